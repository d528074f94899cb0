//! The tests' process-wide tracer, exporting to memory, and a wait for a
//! trace's spans to arrive there (from other tasks, through the export
//! pipeline).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tracekit::export::Memory;
use tracekit::{SpanRecord, TraceId};

/// The global tracer, installed once, and its memory.
pub fn memory() -> &'static Memory {
    static MEMORY: OnceLock<Memory> = OnceLock::new();
    MEMORY.get_or_init(|| {
        let memory = Memory::new();
        std::mem::forget(
            tracekit::Tracer::builder()
                .exporter(memory.clone())
                .install(),
        );
        memory
    })
}

/// The spans of `trace` once `count` of them have arrived (or what has
/// after ten seconds).
pub async fn spans_of(trace: TraceId, count: usize) -> Vec<SpanRecord> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        tracekit::global().flush().unwrap();
        let spans: Vec<SpanRecord> = memory()
            .spans()
            .into_iter()
            .filter(|span| span.trace_id == trace)
            .collect();
        if spans.len() >= count || Instant::now() > deadline {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
