#![deny(warnings)]

use tracekit::traced;

struct Point {
    x: i32,
    y: i32,
}

#[traced]
fn patterns((a, b): (i32, i32), Point { x, y }: Point, [first, ..]: [u8; 3], _: bool, mut total: i32) -> i32 {
    total += a + b + x + y + i32::from(first);
    total
}

fn main() {
    assert_eq!(patterns((1, 2), Point { x: 3, y: 4 }, [5, 0, 0], true, 0), 15);
}
