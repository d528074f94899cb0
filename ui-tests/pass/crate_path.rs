#![deny(warnings)]

// A crate that re-exports tracekit under another name points the
// attribute at it.

mod sdk {
    pub use tracekit as tracing_kit;
}

#[sdk::tracing_kit::traced(crate = sdk::tracing_kit, ret)]
fn add(a: i32, b: i32) -> i32 {
    a + b
}

#[sdk::tracing_kit::traced(crate = crate::sdk::tracing_kit)]
async fn later(a: i32) -> i32 {
    a
}

fn main() {
    assert_eq!(add(1, 2), 3);
    drop(later(1));
}
