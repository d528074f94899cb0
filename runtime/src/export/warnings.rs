//! What the pipeline says on stderr when it loses spans: each kind of
//! problem on its own, at most once a minute, with how often it happened
//! since it was last said. Everything is also counted in `Tracer::stats`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The longest silence about a problem that keeps happening.
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(60);

/// A kind of problem, reported on its own.
#[derive(Clone, Copy)]
pub(crate) enum Problem {
    /// Spans were dropped because the queue was full.
    QueueFull = 0,
    /// An export failed (or an exporter panicked); its spans were dropped.
    ExportFailed = 1,
}

/// Per kind of problem: when it was last reported, and how often it
/// happened since.
#[derive(Default)]
pub(crate) struct Warnings {
    kinds: Mutex<[Reported; 2]>,
}

#[derive(Default)]
struct Reported {
    last: Option<Instant>,
    unreported: u64,
}

impl Warnings {
    /// Reports `problem` on stderr with the text `what` makes, unless it
    /// was reported less than a minute ago (then it is only counted).
    pub(crate) fn report(&self, problem: Problem, what: impl FnOnce() -> String) {
        if let Some(line) = self.line(problem, Instant::now(), what) {
            eprintln!("{line}");
        }
    }

    /// The line to print for `problem` at `now`, if one is due.
    fn line(
        &self,
        problem: Problem,
        now: Instant,
        what: impl FnOnce() -> String,
    ) -> Option<String> {
        let mut kinds = self.kinds.lock().unwrap_or_else(|p| p.into_inner());
        let kind = &mut kinds[problem as usize];
        let due = kind
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= REPORT_EVERY);
        if !due {
            kind.unreported += 1;
            return None;
        }
        let since = match std::mem::take(&mut kind.unreported) {
            0 => String::new(),
            n => format!("; {n} more times since the last report"),
        };
        kind.last = Some(now);
        Some(format!(
            "tracekit: {}{since} (counted in Tracer::stats; reported at most once a minute)",
            what()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_problem_is_reported_apart_and_at_most_once_a_minute() {
        let warnings = Warnings::default();
        let start = Instant::now();
        let full = || "the export queue is full".to_owned();
        let failed = || "export failed: refused".to_owned();
        assert!(warnings.line(Problem::QueueFull, start, full).is_some());
        assert!(
            warnings
                .line(Problem::ExportFailed, start, failed)
                .is_some(),
            "another kind is reported even right after"
        );
        for _ in 0..5 {
            assert!(warnings.line(Problem::QueueFull, start, full).is_none());
        }
        let later = start + REPORT_EVERY;
        let line = warnings.line(Problem::QueueFull, later, full).unwrap();
        assert!(
            line.contains("5 more times since the last report"),
            "{line}"
        );
        assert!(line.contains("counted in Tracer::stats"), "{line}");
    }
}
