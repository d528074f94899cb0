//! Throughput with two producer threads while the exporter thread drains,
//! and heap allocations per span in steady state.
//!
//! Run with `cargo bench --bench throughput`. Prints the median of 5 runs.

#[path = "support.rs"]
#[allow(dead_code)] // the async helpers serve the comparison bench
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use support::CountingExporter;

/// Counts every allocation in the process, on every thread.
struct CountingAllocator;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const PRODUCERS: u64 = 2;
const SPANS_PER_PRODUCER: u64 = 1_000_000;
const CHILDREN_PER_ROOT: u64 = 1000;

#[tracekit::traced]
#[inline(never)]
fn child() -> u64 {
    black_box(1)
}

#[tracekit::traced]
#[inline(never)]
fn child_with_args(user: u64, order: i64, region: &str, plan: &str) -> u64 {
    black_box(user + order as u64 + region.len() as u64 + plan.len() as u64)
}

/// `count` spans as children of roots of `CHILDREN_PER_ROOT`, on this thread.
fn produce(count: u64, call: fn() -> u64) {
    for _ in 0..count / (CHILDREN_PER_ROOT + 1) {
        let root = tracekit::global().span("root").ignore_active().start();
        let _scope = root.activate();
        for _ in 0..CHILDREN_PER_ROOT {
            call();
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let exported = CountingExporter::default();
    let _tracer = tracekit::Tracer::builder()
        .exporter(exported.clone())
        .batch(tracekit::BatchConfig {
            max_queue_size: 1 << 22,
            max_export_batch_size: 1024,
            schedule_delay: Duration::from_millis(100),
            ..tracekit::BatchConfig::default()
        })
        .install();
    let tracer = tracekit::global();
    let per_thread = SPANS_PER_PRODUCER / (CHILDREN_PER_ROOT + 1) * (CHILDREN_PER_ROOT + 1);

    let mut produced_rates = Vec::new();
    let mut delivered_rates = Vec::new();
    for _ in 0..5 {
        let before = tracer.stats();
        let start = Instant::now();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|_| std::thread::spawn(move || produce(per_thread, child)))
            .collect();
        for producer in producers {
            producer.join().expect("producer finished");
        }
        let produced_in = start.elapsed();
        tracer.flush().expect("flushed");
        let delivered_in = start.elapsed();
        let after = tracer.stats();
        let made = PRODUCERS * per_thread;
        assert_eq!(after.spans_finished - before.spans_finished, made);
        assert_eq!(
            after.spans_exported - before.spans_exported,
            made,
            "no span lost: {after:?}"
        );
        produced_rates.push(made as f64 / produced_in.as_secs_f64());
        delivered_rates.push(made as f64 / delivered_in.as_secs_f64());
    }
    assert_eq!(tracer.stats().dropped(), 0);
    println!(
        "throughput, {PRODUCERS} producer threads, {per_thread} spans each (median of 5):\n  \
         produced  {:.2} M spans/s\n  delivered {:.2} M spans/s (until flush returned), none lost",
        median(produced_rates) / 1e6,
        median(delivered_rates) / 1e6,
    );

    for (name, call) in [
        ("no arguments", child as fn() -> u64),
        ("4 argument tags", || {
            child_with_args(7, -3, "eu-west", "premium")
        }),
    ] {
        let spans = 200 * (CHILDREN_PER_ROOT + 1);
        produce(spans, call); // warm up buffers and pools
        tracer.flush().expect("flushed");
        let before = ALLOCATIONS.load(Ordering::Relaxed);
        produce(spans, call);
        tracer.flush().expect("flushed");
        let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
        println!(
            "heap allocations per sampled span, {name}: {:.2} (all threads, exporter included)",
            allocations as f64 / spans as f64
        );
    }
}
