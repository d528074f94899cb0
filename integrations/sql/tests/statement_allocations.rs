//! A traced statement allocates about what the untraced one does: the
//! span's own storage is reused from statement to statement, and the
//! statement is sent through the client's own methods (tokio-postgres's
//! `GenericClient` would box each query's future, about 1 KB). Counted
//! by an allocator that counts what this thread asks for.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use support::postgres::Postgres;
use tracekit::export::Memory;
use tracekit_sql::tokio_postgres::Client;

struct CountingThisThread;

static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for CountingThisThread {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.try_with(Cell::get).unwrap_or(false) {
            BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        // SAFETY: passed on from the caller.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: passed on from the caller.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingThisThread = CountingThisThread;

/// The bytes this thread allocates running `run` `times` times, per run.
fn bytes_per_run(times: u32, mut run: impl FnMut()) -> u64 {
    BYTES.store(0, Ordering::Relaxed);
    COUNTING.with(|counting| counting.set(true));
    for _ in 0..times {
        run();
    }
    COUNTING.with(|counting| counting.set(false));
    BYTES.load(Ordering::Relaxed) / u64::from(times)
}

const QUERY: &str = "SELECT count FROM stock WHERE item = $1";

#[test]
fn a_traced_postgres_query_allocates_about_what_the_untraced_one_does() {
    let memory = Memory::new();
    let _tracer = tracekit::Tracer::builder()
        .exporter(memory.clone())
        .install();
    let server = Postgres::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let traced = Client::new(runtime.block_on(server.stocked_client()));
    let untraced = || {
        let row = runtime
            .block_on(traced.untraced().query_one(QUERY, &[&"apple"]))
            .expect("a row");
        assert_eq!(row.get::<_, i32>(0), 5);
    };
    let root = tracekit::global().span("request").start();
    let scope = root.activate();
    let in_span = || {
        let row = runtime
            .block_on(traced.query_one(QUERY, &[&"apple"]))
            .expect("a row");
        assert_eq!(row.get::<_, i32>(0), 5);
    };
    // Warm up: pools filled, the statement's analysis cached, chunks
    // sealed and given back.
    for _ in 0..600 {
        untraced();
        in_span();
    }
    tracekit::global().flush().expect("flushed");
    let plain = bytes_per_run(200, untraced);
    let spanned = bytes_per_run(200, in_span);
    drop(scope);
    root.finish();
    tracekit::global().flush().expect("flushed");
    assert!(memory.spans().len() > 800);
    // A boxed query future alone is 1,184 bytes.
    assert!(
        spanned <= plain + 256,
        "{spanned} bytes a traced query, {plain} untraced"
    );
}
