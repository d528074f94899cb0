//! Settings of the batch pipeline.

use std::time::Duration;

/// How finished spans are batched on their way to the exporters. The
/// defaults are OpenTelemetry's; [`BatchConfig::from_env`] reads the
/// `OTEL_BSP_*` variables.
///
/// ```
/// use std::time::Duration;
/// use tracekit_runtime::export::BatchConfig;
///
/// let config = BatchConfig {
///     max_queue_size: 8192,
///     schedule_delay: Duration::from_millis(500),
///     ..BatchConfig::default()
/// };
/// let _tracer = tracekit_runtime::Tracer::builder().batch(config).build();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchConfig {
    /// Spans held for export at most; past it the oldest are dropped and
    /// counted (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2048).
    pub max_queue_size: usize,
    /// Spans per export call at most (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`,
    /// default 512; never more than `max_queue_size`).
    pub max_export_batch_size: usize,
    /// The longest a finished span waits before the exporter thread takes
    /// it, whatever its thread does next (`OTEL_BSP_SCHEDULE_DELAY` in
    /// milliseconds, default 5000). Below 100 ms, a span finished while the
    /// pipeline was idle may wait up to 100 ms; full batches go at once.
    pub schedule_delay: Duration,
    /// How long `flush` and shutdown wait for the exporters
    /// (`OTEL_BSP_EXPORT_TIMEOUT` in milliseconds, default 30000).
    pub export_timeout: Duration,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig {
            max_queue_size: 2048,
            max_export_batch_size: 512,
            schedule_delay: Duration::from_millis(5000),
            export_timeout: Duration::from_millis(30_000),
        }
    }
}

impl BatchConfig {
    /// The defaults, overridden by the `OTEL_BSP_*` variables that are set
    /// to a usable number; an unusable value is reported on stderr and its
    /// default kept.
    pub fn from_env() -> BatchConfig {
        let mut config = BatchConfig::default();
        let read = |name: &str| -> Option<u64> {
            let text = std::env::var(name).ok()?;
            match text.trim().parse::<u64>() {
                Ok(value) => Some(value),
                Err(_) => {
                    eprintln!("tracekit: {name}={text:?} is not a whole number; using the default");
                    None
                }
            }
        };
        if let Some(v) = read("OTEL_BSP_MAX_QUEUE_SIZE") {
            config.max_queue_size = v as usize;
        }
        if let Some(v) = read("OTEL_BSP_MAX_EXPORT_BATCH_SIZE") {
            config.max_export_batch_size = v as usize;
        }
        if let Some(v) = read("OTEL_BSP_SCHEDULE_DELAY") {
            config.schedule_delay = Duration::from_millis(v);
        }
        if let Some(v) = read("OTEL_BSP_EXPORT_TIMEOUT") {
            config.export_timeout = Duration::from_millis(v);
        }
        config
    }

    /// Spans each thread buffers at most before it queues them (the
    /// exporter thread also takes them from there every schedule delay):
    /// an eighth of the queue and no more than a batch, at least 1 and at
    /// most 256.
    ///
    /// ```
    /// use tracekit_runtime::export::BatchConfig;
    ///
    /// assert_eq!(BatchConfig::default().thread_buffer_size(), 256);
    /// let small = BatchConfig { max_queue_size: 100, ..BatchConfig::default() };
    /// assert_eq!(small.thread_buffer_size(), 12);
    /// ```
    pub fn thread_buffer_size(&self) -> usize {
        let normalized = self.clone().normalized();
        (normalized.max_queue_size / 8)
            .min(normalized.max_export_batch_size)
            .clamp(1, 256)
    }

    /// The configuration made consistent: sizes at least 1, the batch no
    /// larger than the queue.
    pub(crate) fn normalized(mut self) -> BatchConfig {
        self.max_queue_size = self.max_queue_size.max(1);
        self.max_export_batch_size = self.max_export_batch_size.clamp(1, self.max_queue_size);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_batch_never_exceeds_the_queue_and_sizes_are_at_least_one() {
        let config = BatchConfig {
            max_queue_size: 10,
            max_export_batch_size: 50,
            ..BatchConfig::default()
        }
        .normalized();
        assert_eq!(config.max_export_batch_size, 10);
        let zero = BatchConfig {
            max_queue_size: 0,
            max_export_batch_size: 0,
            ..BatchConfig::default()
        }
        .normalized();
        assert_eq!((zero.max_queue_size, zero.max_export_batch_size), (1, 1));
    }
}
