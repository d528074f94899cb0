//! What a pipeline tells about itself: its counters, and why a flush did
//! not complete.

use std::fmt;

/// Counters of a tracer's pipeline, read with [`Tracer::stats`](crate::Tracer::stats).
///
/// Every sampled span that finished is, at any moment, exported, dropped,
/// or still on its way: `spans_finished == spans_exported + dropped() +
/// in flight`, where the spans in flight are `queued`, `buffered`, and
/// those in the batch being exported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TracerStats {
    /// Sampled spans started.
    pub spans_started: u64,
    /// Sampled spans finished.
    pub spans_finished: u64,
    /// Spans the exporters accepted.
    pub spans_exported: u64,
    /// Spans dropped because the queue was full (the oldest go first).
    pub dropped_queue_full: u64,
    /// Spans dropped because an export failed.
    pub dropped_export_failed: u64,
    /// Export calls that failed (or panicked).
    pub export_errors: u64,
    /// Spans waiting in the queue now (at most the configured queue size).
    pub queued: u64,
    /// Spans finished and still in their thread's buffer, which the
    /// exporter takes within the schedule delay (at most
    /// [`BatchConfig::thread_buffer_size`](crate::BatchConfig::thread_buffer_size) per thread).
    pub buffered: u64,
    /// Threads that hold a buffer for this tracer now; a thread lets its
    /// buffer go when it exits, so this follows the live threads, not all
    /// those that ever traced.
    pub threads: u64,
    /// Malformed propagation values ignored by `extract` in this process.
    pub malformed_contexts: u64,
}

impl TracerStats {
    /// All dropped spans, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full + self.dropped_export_failed
    }
}

/// Why a flush did not deliver everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushError {
    /// The exporters did not take everything within the timeout.
    TimedOut,
    /// Everything was handled, but this many spans were dropped since the
    /// last flush completed: an exporter failed, or the queue was full
    /// (see [`TracerStats`] for which).
    Dropped {
        /// Spans dropped since the last flush.
        spans: u64,
    },
}

impl fmt::Display for FlushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlushError::TimedOut => f.write_str("flush timed out before every span was exported"),
            FlushError::Dropped { spans } => write!(
                f,
                "{spans} spans were dropped since the last flush (failed exports or a full queue; see Tracer::stats)"
            ),
        }
    }
}

impl std::error::Error for FlushError {}
