#![deny(warnings)]

// A `Secret` where a tag option asks to record it compiles, with no
// warning; what is recorded is "[redacted]" (tests/redaction.rs).

use tracekit::{Secret, traced};

#[traced(ret, tags(token.again = token))]
fn call(token: Secret<&'static str>) -> Secret<u32> {
    Secret::new(token.len() as u32)
}

fn main() {
    assert_eq!(call(Secret::new("abc")).into_inner(), 3);
}
