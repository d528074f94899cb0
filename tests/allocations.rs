//! In steady state a traced call allocates nothing on the calling thread,
//! sync or async, with or without argument tags, and the storage reused
//! from span to span never leaks one span's tags into another's record.
//!
//! The global allocator of this test binary counts, per thread, the
//! allocations the calling thread makes (`support/allocator.rs`).

use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tracekit::export::{BatchConfig, Memory};
use tracekit::{TagValue, Tracer, traced};

#[path = "support/poll.rs"]
mod poll;
use poll::poll_once;

#[path = "support/allocator.rs"]
mod allocator;

#[global_allocator]
static ALLOCATOR: allocator::Counting = allocator::Counting;

fn allocations_of(f: impl FnOnce()) -> u64 {
    let before = allocator::allocations();
    f();
    allocator::allocations() - before
}

#[traced]
fn plain_child() -> u64 {
    1
}

#[traced]
fn child_with_args(user: u64, order: i64, region: &str, plan: &str) -> u64 {
    user + order.unsigned_abs() + region.len() as u64 + plan.len() as u64
}

#[traced]
fn child_with_one_arg(attempt: u32) -> u32 {
    attempt
}

#[traced]
async fn async_child(attempt: u32) -> u32 {
    attempt
}

#[derive(tracekit::Tags)]
struct Purchase<'a> {
    user: u64,
    region: &'a str,
}

#[traced]
fn child_with_derived(purchase: &Purchase<'_>) -> u64 {
    purchase.user
}

/// One root (a traced call, so it lives on the thread's stack) and its
/// children.
#[traced(skip_all)]
fn request(children: u32) {
    for i in 0..children {
        plain_child();
        child_with_args(u64::from(i), -3, "eu-west-1", "premium");
        child_with_one_arg(i);
        poll_once(async_child(i));
        child_with_derived(&Purchase {
            user: u64::from(i),
            region: "eu-west-1",
        });
    }
}

/// The tests' tracer, installed once: it exports only when flushed. The
/// tests share its queue, so each holds the returned guard throughout:
/// another test's spans would change what the queue holds.
fn exported() -> (&'static Memory, MutexGuard<'static, ()>) {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    (installed(), turn)
}

fn installed() -> &'static Memory {
    static MEMORY: OnceLock<Memory> = OnceLock::new();
    MEMORY.get_or_init(|| {
        let memory = Memory::new();
        let guard = Tracer::builder()
            .exporter(memory.clone())
            .batch(BatchConfig {
                max_queue_size: 1 << 20,
                max_export_batch_size: 1 << 20,
                schedule_delay: Duration::from_secs(3600),
                ..BatchConfig::default()
            })
            .install();
        std::mem::forget(guard);
        memory
    })
}

#[test]
fn traced_calls_allocate_nothing_in_steady_state_and_reused_storage_stays_exact() {
    let (memory, _turn) = exported();
    let tracer = tracekit::global();

    // Warm up: buffers, pools and the exporter's records reach their size.
    for _ in 0..3 {
        request(80);
        tracer.flush().expect("flushed");
    }
    memory.take();

    // Each flush exports the round's spans and refills this thread's pool
    // of tag storage with what the exporter gave back.
    let allocations = allocations_of(|| {
        for _ in 0..20 {
            request(80);
            tracer.flush().expect("flushed");
        }
    });
    assert_eq!(allocations, 0, "allocations on the calling thread");

    let mut spans = memory.take();
    spans.retain(|span| span.name != "top_level");
    assert_eq!(spans.len(), 20 * (1 + 80 * 5));
    for span in &spans {
        let keys: Vec<&str> = span.tags.iter().map(|(k, _)| &**k).collect();
        match &*span.name {
            "plain_child" | "request" => assert!(keys.is_empty(), "{keys:?}"),
            "child_with_one_arg" | "async_child" => assert_eq!(keys, ["attempt"]),
            "child_with_args" => {
                assert_eq!(keys, ["user", "order", "region", "plan"]);
                assert_eq!(span.tag("region"), Some(&TagValue::from("eu-west-1")));
                assert_eq!(span.tag("order"), Some(&TagValue::I64(-3)));
            }
            "child_with_derived" => {
                assert_eq!(keys, ["purchase.user", "purchase.region"]);
                assert_eq!(
                    span.tag("purchase.region"),
                    Some(&TagValue::from("eu-west-1"))
                );
            }
            other => panic!("unexpected span {other}"),
        }
    }
}

#[test]
fn unsampled_calls_allocate_nothing() {
    let (_memory, _turn) = exported();
    let unsampled = tracekit::Context::from_span_context(tracekit::SpanContext::new(
        tracekit::TraceId::from_u128(1),
        tracekit::SpanId::new(1).expect("non-zero"),
        false,
    ));
    let calls = |count: u64| {
        unsampled.run(|| {
            for i in 0..count {
                child_with_args(i, -3, "eu-west-1", "premium");
                child_with_derived(&Purchase {
                    user: i,
                    region: "eu-west-1",
                });
            }
        })
    };
    calls(1);
    // Entering the context may allocate; the calls in it do not.
    let few = allocations_of(|| calls(1));
    let many = allocations_of(|| calls(1000));
    assert_eq!(many, few, "allocations of 999 more unsampled calls");
}

#[traced]
fn top_level() -> u64 {
    1
}

#[test]
fn calls_that_each_end_a_trace_segment_allocate_nothing_while_their_spans_queue() {
    let (memory, _turn) = exported();
    let tracer = tracekit::global();
    // Warm up: as many spans queue as below, twice, so the queue's chunks
    // exist (they come back for reuse when exported).
    for _ in 0..2 {
        for _ in 0..1000 {
            top_level();
        }
        tracer.flush().expect("flushed");
    }

    // Each call is a root, a trace of its own. The spans wait in this
    // thread's buffer and in the queue (nothing exports until the flush),
    // in chunks reused from earlier rounds.
    let allocations = allocations_of(|| {
        for _ in 0..1000 {
            top_level();
        }
    });
    assert_eq!(allocations, 0, "allocations on the calling thread");
    let stats = tracer.stats();
    assert!(stats.queued + stats.buffered >= 1000, "{stats:?}");
    tracer.flush().expect("flushed");
    let exported = memory
        .spans()
        .iter()
        .filter(|s| s.name == "top_level")
        .count();
    assert_eq!(exported, 3000);
}
