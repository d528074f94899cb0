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

use support::{CountingExporter, process_cpu_nanos};

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

    flood();
    otlp_end_to_end();

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

/// Never returns from an export: a backend that stopped answering.
struct Stalled;

impl tracekit::export::Exporter for Stalled {
    fn export(&mut self, _: &[tracekit::SpanRecord]) -> Result<(), tracekit::export::ExportError> {
        std::thread::sleep(Duration::from_secs(3600));
        Ok(())
    }
}

/// Spans per second two producers make on `tracer` (median of 5 runs).
fn producers_rate(tracer: &tracekit::Tracer) -> f64 {
    let rates = (0..5)
        .map(|_| {
            let start = Instant::now();
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|_| {
                    let tracer = tracer.clone();
                    std::thread::spawn(move || {
                        for _ in 0..SPANS_PER_PRODUCER {
                            tracer.span("flood").start().finish();
                        }
                    })
                })
                .collect();
            for producer in producers {
                producer.join().expect("producer finished");
            }
            (PRODUCERS * SPANS_PER_PRODUCER) as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    median(rates)
}

/// Producers flooding the default queue (2048 spans) of a stalled
/// exporter: every span past the queue is dropped, and dropping must not
/// slow the producers. Their rate beside the same producers with an
/// exporter that keeps up.
fn flood() {
    let stalled = tracekit::Tracer::builder()
        .exporter(Stalled)
        .shutdown_timeout(Duration::ZERO)
        .build();
    let draining = tracekit::Tracer::builder()
        .exporter(CountingExporter::default())
        .batch(tracekit::BatchConfig {
            max_queue_size: 1 << 22,
            ..tracekit::BatchConfig::default()
        })
        .build();
    let stalled_rate = producers_rate(&stalled);
    let draining_rate = producers_rate(&draining);
    let stats = stalled.stats();
    println!(
        "flood, {PRODUCERS} producers, default queue, stalled exporter: {:.2} M spans/s made \
         ({} dropped and counted); same producers, exporter keeping up: {:.2} M spans/s",
        stalled_rate / 1e6,
        stats.dropped_queue_full,
        draining_rate / 1e6,
    );
}

/// Spans each producer makes per run of the OTLP end-to-end case.
const OTLP_SPANS_PER_PRODUCER: u64 = 250_000;

/// A receiver on loopback that reads every OTLP/HTTP request and discards
/// it; returns its base endpoint.
fn discarding_receiver() -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    let mut length = 0;
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        reader.read_line(&mut line).unwrap();
                        let header = line.trim_end().to_ascii_lowercase();
                        if header.is_empty() {
                            break;
                        }
                        if let Some(value) = header.strip_prefix("content-length:") {
                            length = value.trim().parse().unwrap();
                        }
                    }
                    std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink()).unwrap();
                    let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                    if writer.write_all(ok).is_err() {
                        return;
                    }
                }
            });
        }
    });
    endpoint
}

/// Two producers making spans that go over OTLP/HTTP protobuf to a loopback
/// receiver: the producers' rate beside the same producers exporting to
/// memory, and the rate spans are delivered at, none lost.
fn otlp_end_to_end() {
    // The exporter thread is slower than two producers: the queue holds a
    // whole run, and a flush waits for all of it.
    let batch = tracekit::BatchConfig {
        max_queue_size: 1 << 22,
        max_export_batch_size: 1024,
        schedule_delay: Duration::from_millis(100),
        export_timeout: Duration::from_secs(600),
    };
    let exporter = tracekit::otlp::OtlpExporter::builder()
        .endpoint(&discarding_receiver())
        .build()
        .expect("an OTLP exporter");
    let otlp = tracekit::Tracer::builder()
        .exporter(exporter)
        .batch(batch.clone())
        .build();
    let memory = tracekit::Tracer::builder()
        .exporter(CountingExporter::default())
        .batch(batch)
        .build();

    let otlp = run_to_flush(&otlp);
    let memory = run_to_flush(&memory);
    println!(
        "otlp/http protobuf to a loopback receiver, {PRODUCERS} producers, \
         {OTLP_SPANS_PER_PRODUCER} spans each (median of 5): {:.2} M spans/s delivered \
         (until flush returned), none lost; producers {:.2} M spans/s against {:.2} M \
         with an in-memory exporter ({:.2}x); CPU time per span, all threads of the \
         process (producers, exporter, receiver): {:.0} ns against {:.0} ns in memory",
        otlp.delivered / 1e6,
        otlp.produced / 1e6,
        memory.produced / 1e6,
        otlp.produced / memory.produced,
        otlp.cpu_nanos_per_span,
        memory.cpu_nanos_per_span,
    );
}

/// Medians of 5 runs of two producers, each until `flush` returned.
struct EndToEnd {
    /// Spans per second the producers made.
    produced: f64,
    /// Spans per second delivered, none lost.
    delivered: f64,
    /// The process's CPU time (every thread) per span.
    cpu_nanos_per_span: f64,
}

fn run_to_flush(tracer: &tracekit::Tracer) -> EndToEnd {
    let mut produced = Vec::new();
    let mut delivered = Vec::new();
    let mut cpu = Vec::new();
    for _ in 0..5 {
        let before = tracer.stats();
        let cpu_before = process_cpu_nanos();
        let start = Instant::now();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|_| {
                let tracer = tracer.clone();
                std::thread::spawn(move || {
                    for _ in 0..OTLP_SPANS_PER_PRODUCER {
                        tracer.span("request").start().finish();
                    }
                })
            })
            .collect();
        for producer in producers {
            producer.join().expect("producer finished");
        }
        let made_in = start.elapsed();
        tracer.flush().expect("flushed");
        let delivered_in = start.elapsed();
        let after = tracer.stats();
        let made = PRODUCERS * OTLP_SPANS_PER_PRODUCER;
        assert_eq!(
            after.spans_exported - before.spans_exported,
            made,
            "none lost: {after:?}"
        );
        produced.push(made as f64 / made_in.as_secs_f64());
        delivered.push(made as f64 / delivered_in.as_secs_f64());
        cpu.push((process_cpu_nanos() - cpu_before) as f64 / made as f64);
    }
    EndToEnd {
        produced: median(produced),
        delivered: median(delivered),
        cpu_nanos_per_span: median(cpu),
    }
}
