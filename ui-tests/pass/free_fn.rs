#![deny(warnings)]

use tracekit::traced;

#[traced]
fn add(a: i32, b: i32) -> i32 {
    a + b
}

#[traced]
pub fn unit() {}

fn main() {
    assert_eq!(add(1, 2), 3);
    unit();
}
