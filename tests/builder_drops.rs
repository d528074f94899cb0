//! A span builder that starts no span (no tracer is installed, so the
//! global tracer records nothing) frees everything it holds: its owned
//! name, its tags and its parent's baggage, whether it was to start a
//! carried span or a shared one.
//!
//! The global allocator of this test binary counts the bytes each thread
//! holds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use tracekit::{SpanContext, SpanId, SpanKind, TraceId};

struct HeldBytes;

thread_local! {
    static HELD: Cell<isize> = const { Cell::new(0) };
}

fn add(bytes: isize) {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = HELD.try_with(|held| held.set(held.get() + bytes));
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for HeldBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: HeldBytes = HeldBytes;

/// Builds and starts a span that holds memory everywhere it can.
fn start_both(round: usize, parent: &SpanContext) {
    let tracer = tracekit::global();
    let carried = tracer
        .span(format!("GET /items/{round}"))
        .kind(SpanKind::Client)
        .tag(format!("item.{round}"), "x".repeat(200))
        .child_of(parent.clone())
        .start_carried();
    assert!(carried.is_noop(), "no tracer: no span");
    drop(carried);
    let shared = tracer
        .span(format!("GET /orders/{round}"))
        .tag("order", "y".repeat(200))
        .follows_from(parent.clone())
        .start();
    drop(shared);
}

#[test]
fn a_builder_that_starts_no_span_frees_what_it_holds() {
    assert!(
        !tracekit::global().is_enabled(),
        "this binary installs no tracer"
    );
    let parent = SpanContext::new(
        TraceId::from_u128(7),
        SpanId::new(7).expect("non-zero"),
        true,
    )
    .with_baggage_item("user", "ada".repeat(50));
    start_both(0, &parent);
    let held = HELD.with(Cell::get);
    for round in 1..=100 {
        start_both(round, &parent);
    }
    assert_eq!(
        HELD.with(Cell::get),
        held,
        "bytes still held after 100 builders"
    );
}
