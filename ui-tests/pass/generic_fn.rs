#![deny(warnings)]

use tracekit::traced;

use std::fmt::Debug;

#[traced]
fn describe<T: Debug, const N: usize>(items: [T; N], label: &str) -> String
where
    T: Clone,
{
    format!("{label}: {items:?}")
}

#[traced]
fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.len() >= b.len() { a } else { b }
}

fn main() {
    assert_eq!(describe([1, 2], "n"), "n: [1, 2]");
    assert_eq!(longest("ab", "c"), "ab");
}
