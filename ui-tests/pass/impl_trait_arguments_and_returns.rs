#![deny(warnings)]

use tracekit::traced;

use std::fmt::Display;

#[traced]
fn joined(items: impl IntoIterator<Item = impl Display>) -> impl Display {
    items.into_iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",")
}

#[traced]
fn counter(limit: u32) -> impl Iterator<Item = u32> {
    0..limit
}

fn main() {
    assert_eq!(joined([1, 2]).to_string(), "1,2");
    assert_eq!(counter(3).count(), 3);
}
