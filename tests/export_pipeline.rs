//! The batch pipeline: nothing is lost across threads and flushes, batches
//! respect size and age, memory stays bounded when the exporter stalls, and
//! every dropped span is counted.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use tracekit::export::{BatchConfig, ExportError, Exporter, Memory};
use tracekit::{FlushError, SpanRecord, Tracer};

/// Settings under which nothing is exported unless asked: only `flush` (or
/// the test's own trigger) moves spans.
fn patient(max_queue_size: usize, max_export_batch_size: usize) -> BatchConfig {
    BatchConfig {
        max_queue_size,
        max_export_batch_size,
        schedule_delay: Duration::from_secs(3600),
        export_timeout: Duration::from_secs(30),
    }
}

fn tracer_with(exporter: impl Exporter, batch: BatchConfig) -> Tracer {
    Tracer::builder().exporter(exporter).batch(batch).build()
}

/// Polls `done` for up to 10 s; waiting on a background thread, not timing it.
fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done()
}

#[test]
fn spans_buffered_by_a_thread_that_exits_are_handed_over() {
    let memory = Memory::new();
    let tracer = tracer_with(memory.clone(), patient(100_000, 512));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let tracer = tracer.clone();
            std::thread::spawn(move || {
                // An open scope keeps the children in this thread's buffer
                // until the thread exits.
                let root = tracer.span("root").start();
                std::mem::forget(root.activate());
                for _ in 0..100 {
                    tracer.span("child").start().finish();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    tracer.flush().unwrap();
    assert_eq!(memory.spans().len(), 8 * 101);
    let stats = tracer.stats();
    assert_eq!(
        (
            stats.spans_started,
            stats.spans_finished,
            stats.spans_exported
        ),
        (808, 808, 808)
    );
}

#[test]
fn flush_exports_everything_finished_so_far_and_on_this_thread() {
    let memory = Memory::new();
    let tracer = tracer_with(memory.clone(), patient(100_000, 512));
    // Spans finished on this thread under an open scope: still in its buffer.
    let open = tracer.span("open").start();
    let _scope = open.activate();
    for _ in 0..50 {
        tracer.span("here").start().finish();
    }
    // Spans of short-lived threads.
    for _ in 0..20 {
        let tracer = tracer.clone();
        std::thread::spawn(move || tracer.span("there").start().finish())
            .join()
            .unwrap();
    }
    assert!(memory.spans().is_empty(), "nothing is due before the flush");
    tracer.flush().unwrap();
    let spans = memory.spans();
    assert_eq!(spans.iter().filter(|s| s.name == "here").count(), 50);
    assert_eq!(spans.iter().filter(|s| s.name == "there").count(), 20);
}

/// Records the size of every batch it receives.
#[derive(Clone, Default)]
struct BatchSizes(Arc<Mutex<Vec<usize>>>);

impl Exporter for BatchSizes {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        self.0.lock().unwrap().push(batch.len());
        Ok(())
    }
}

#[test]
fn a_full_batch_is_exported_without_waiting_and_never_exceeds_the_batch_size() {
    let sizes = BatchSizes::default();
    let tracer = tracer_with(sizes.clone(), patient(10_000, 10));
    for _ in 0..35 {
        tracer.span("s").start().finish();
    }
    assert!(
        eventually(|| sizes.0.lock().unwrap().iter().sum::<usize>() >= 30),
        "three full batches"
    );
    // The exporter now waits, with 5 spans queued: filling the next batch
    // wakes it.
    for _ in 0..10 {
        tracer.span("s").start().finish();
    }
    assert!(
        eventually(|| sizes.0.lock().unwrap().iter().sum::<usize>() >= 40),
        "a fourth full batch, once the exporter had gone to wait"
    );
    tracer.flush().unwrap();
    let sizes = sizes.0.lock().unwrap().clone();
    assert_eq!(sizes.iter().sum::<usize>(), 45);
    assert!(sizes.iter().all(|&n| n <= 10), "{sizes:?}");
}

#[test]
fn full_batches_go_out_at_once_whether_the_exporter_naps_or_waits() {
    // After a full batch the exporter naps a few milliseconds, looking by
    // itself; then it waits to be woken. Either way a full batch must not
    // wait for the (hour-long) schedule delay.
    let sizes = BatchSizes::default();
    let tracer = tracer_with(sizes.clone(), patient(10_000, 10));
    let exported = || sizes.0.lock().unwrap().iter().sum::<usize>();
    let mut made = 0;
    for pause_ms in [0, 0, 1, 2, 50, 0, 200, 3] {
        std::thread::sleep(Duration::from_millis(pause_ms));
        for _ in 0..10 {
            tracer.span("s").start().finish();
        }
        made += 10;
        assert!(
            eventually(|| exported() >= made),
            "a batch after a pause of {pause_ms} ms"
        );
    }
    assert_eq!(tracer.stats().dropped(), 0);
}

#[test]
fn a_partial_batch_is_exported_once_the_schedule_delay_passed() {
    let memory = Memory::new();
    let batch = BatchConfig {
        schedule_delay: Duration::from_millis(20),
        ..BatchConfig::default()
    };
    let tracer = tracer_with(memory.clone(), batch);
    for _ in 0..3 {
        tracer.span("s").start().finish();
    }
    assert!(
        eventually(|| memory.spans().len() == 3),
        "exported by age, without flush"
    );
}

/// Blocks every export until opened, like a backend that stopped answering.
#[derive(Clone, Default)]
struct StalledBackend {
    open: Arc<(Mutex<bool>, Condvar)>,
    received: Arc<AtomicUsize>,
}

impl StalledBackend {
    fn open(&self) {
        *self.open.0.lock().unwrap() = true;
        self.open.1.notify_all();
    }
}

impl Exporter for StalledBackend {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        let (lock, opened) = &*self.open;
        let _open = opened
            .wait_while(lock.lock().unwrap(), |open| !*open)
            .unwrap();
        self.received.fetch_add(batch.len(), Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn a_flood_against_a_stalled_exporter_stays_bounded_and_counts_every_drop() {
    const QUEUE: usize = 100;
    const PER_THREAD: usize = 5_000;
    let backend = StalledBackend::default();
    let tracer = tracer_with(backend.clone(), patient(QUEUE, 10));
    let max_queued = Arc::new(AtomicUsize::new(0));
    let producers: Vec<_> = (0..2)
        .map(|_| {
            let (tracer, max_queued) = (tracer.clone(), max_queued.clone());
            std::thread::spawn(move || {
                for i in 0..PER_THREAD {
                    tracer.span("flood").start().finish();
                    if i % 100 == 0 {
                        max_queued.fetch_max(tracer.stats().queued as usize, Ordering::SeqCst);
                    }
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    let stalled = tracer.stats();
    assert_eq!(stalled.spans_finished, 2 * PER_THREAD as u64);
    assert!(stalled.queued as usize <= QUEUE, "{stalled:?}");
    assert!(max_queued.load(Ordering::SeqCst) <= QUEUE);
    assert!(
        stalled.dropped_queue_full >= (2 * PER_THREAD - QUEUE - 10) as u64,
        "{stalled:?}"
    );

    backend.open();
    let flushed = tracer.flush();
    let done = tracer.stats();
    assert_eq!(
        flushed,
        Err(FlushError::Dropped {
            spans: done.dropped_queue_full
        }),
        "the flush says what was lost"
    );
    let received = backend.received.load(Ordering::SeqCst) as u64;
    assert_eq!(done.spans_exported, received);
    assert_eq!(
        done.spans_exported + done.dropped_queue_full,
        done.spans_finished,
        "{done:?}"
    );
    assert_eq!(done.queued, 0);
}

/// Fails every export.
struct DownBackend;

impl Exporter for DownBackend {
    fn export(&mut self, _: &[SpanRecord]) -> Result<(), ExportError> {
        Err(ExportError::Backend("connection refused".into()))
    }
}

#[test]
fn failed_exports_are_counted_as_dropped_spans_and_errors() {
    let tracer = tracer_with(DownBackend, patient(1_000, 10));
    for _ in 0..25 {
        tracer.span("lost").start().finish();
    }
    assert_eq!(tracer.flush(), Err(FlushError::Dropped { spans: 25 }));
    let stats = tracer.stats();
    assert_eq!(stats.dropped_export_failed, 25);
    assert_eq!(stats.spans_exported, 0);
    assert!(stats.export_errors >= 3, "{stats:?}");
}

/// Takes every batch but refuses two spans of each (OTLP's partial
/// success); a second exporter takes everything.
struct PickyBackend;

impl Exporter for PickyBackend {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        Err(ExportError::Rejected {
            spans: 2.min(batch.len() as u64),
            reason: "attribute too long".into(),
        })
    }
}

#[test]
fn spans_a_backend_refuses_are_dropped_and_the_rest_exported() {
    let memory = Memory::new();
    let tracer = Tracer::builder()
        .exporter(PickyBackend)
        .exporter(memory.clone())
        .batch(patient(1_000, 10))
        .build();
    for _ in 0..25 {
        tracer.span("partly").start().finish();
    }
    assert_eq!(tracer.flush(), Err(FlushError::Dropped { spans: 6 }));
    let stats = tracer.stats();
    assert_eq!((stats.spans_exported, stats.dropped_export_failed), (19, 6));
    assert_eq!(stats.export_errors, 3, "one per batch");
    assert_eq!(memory.spans().len(), 25, "the other exporter got them all");
}

/// Panics on its first export, then works.
#[derive(Clone, Default)]
struct FlakyBackend {
    panicked: Arc<AtomicBool>,
    memory: Memory,
}

impl Exporter for FlakyBackend {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        if !self.panicked.swap(true, Ordering::SeqCst) {
            panic!("exporter bug");
        }
        self.memory.clone().export(batch)
    }
}

#[test]
fn an_exporter_that_panics_loses_that_batch_only() {
    let flaky = FlakyBackend::default();
    let tracer = tracer_with(flaky.clone(), patient(1_000, 512));
    tracer.span("first").start().finish();
    assert_eq!(tracer.flush(), Err(FlushError::Dropped { spans: 1 }));
    tracer.span("second").start().finish();
    tracer.flush().expect("nothing lost since the last flush");
    let stats = tracer.stats();
    assert_eq!(
        (
            stats.dropped_export_failed,
            stats.export_errors,
            stats.spans_exported
        ),
        (1, 1, 1)
    );
    assert_eq!(flaky.memory.spans()[0].name, "second");
}

#[test]
fn spans_of_a_thread_pool_reach_the_exporter() {
    let memory = Memory::new();
    let tracer = tracer_with(memory.clone(), patient(100_000, 512));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    runtime.block_on(async {
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let tracer = tracer.clone();
                tokio::spawn(async move {
                    let parent = tracer.span("task").start();
                    let _scope = parent.activate();
                    tracer.span("step").start().finish();
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    // The workers are still alive: the flush takes their spans from their
    // buffers.
    tracer.flush().unwrap();
    assert_eq!(memory.spans().len(), 200);
    drop(runtime);
}

#[test]
fn a_flush_that_cannot_finish_in_time_says_so() {
    let backend = StalledBackend::default();
    let tracer = tracer_with(backend.clone(), patient(1_000, 512));
    tracer.span("stuck").start().finish();
    assert_eq!(
        tracer.flush_within(Duration::from_millis(50)),
        Err(FlushError::TimedOut)
    );
    backend.open();
    tracer.flush().unwrap();
    assert_eq!(tracer.stats().spans_exported, 1);
}

/// Keeps the id of every span it receives.
#[derive(Clone, Default)]
struct Ids(Arc<Mutex<Vec<u64>>>);

impl Exporter for Ids {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        let mut ids = self.0.lock().unwrap();
        ids.extend(batch.iter().map(|s| s.span_id.to_u64()));
        Ok(())
    }
}

#[test]
fn spans_taken_from_threads_while_they_write_are_each_exported_once() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 30_000;
    let ids = Ids::default();
    // The exporter looks at the threads' buffers as often as it may, so
    // its takes and the threads' writes and full chunks keep crossing.
    let tracer = tracer_with(
        ids.clone(),
        BatchConfig {
            max_queue_size: 1 << 20,
            max_export_batch_size: 100,
            schedule_delay: Duration::ZERO,
            export_timeout: Duration::from_secs(30),
        },
    );
    let producers: Vec<_> = (0..THREADS)
        .map(|_| {
            let tracer = tracer.clone();
            std::thread::spawn(move || {
                let root = tracer.span("root").start();
                let _scope = root.activate();
                for i in 0..PER_THREAD {
                    tracer.span("child").start().finish();
                    if i % 5_000 == 0 {
                        std::thread::yield_now();
                    }
                }
            })
        })
        .collect();
    for producer in producers {
        producer.join().unwrap();
    }
    tracer.flush().unwrap();
    let mut ids = ids.0.lock().unwrap().clone();
    let total = THREADS * (PER_THREAD + 1);
    assert_eq!(ids.len(), total);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total, "no span exported twice");
    let stats = tracer.stats();
    assert_eq!(stats.spans_exported, total as u64);
    assert_eq!((stats.queued, stats.buffered), (0, 0));
}
