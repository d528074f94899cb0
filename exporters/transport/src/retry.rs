//! Trying an export again after a failure that may pass (the backend down,
//! busy or timing out): waits that grow, with jitter, within a bounded time.

use std::time::{Duration, Instant, SystemTime};

/// How an export that failed for a passing reason (connection refused, a
/// timeout, HTTP 429, 502, 503, 504) is tried again: waits that double from
/// `initial_backoff` up to `max_backoff`, each a random part between half
/// and all of it (jitter, so that many exporters do not come back at
/// once), or what the backend asked in `Retry-After`; no try starts once
/// `max_elapsed` has passed since the first. Other failures (HTTP 400, a
/// bad URL) are not tried again.
///
/// ```
/// use std::time::Duration;
/// use tracekit_transport::Retry;
///
/// let patient = Retry { max_elapsed: Duration::from_secs(60), ..Retry::default() };
/// assert_eq!(patient.initial_backoff, Duration::from_millis(500));
/// assert_eq!(Retry::none().max_elapsed, Duration::ZERO);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retry {
    /// The first wait (default 500 ms).
    pub initial_backoff: Duration,
    /// The longest wait (default 5 s).
    pub max_backoff: Duration,
    /// No try starts after this much time since the first (default 10 s).
    pub max_elapsed: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(10),
        }
    }
}

impl Retry {
    /// One try only.
    pub fn none() -> Retry {
        Retry {
            max_elapsed: Duration::ZERO,
            ..Retry::default()
        }
    }
}

/// The waits of one export's tries under a [`Retry`] policy, for an
/// exporter that tries by itself (the gRPC one).
///
/// ```
/// use std::time::Duration;
/// use tracekit_transport::{Backoff, Retry};
///
/// let mut backoff = Backoff::new(Retry::default());
/// let wait = backoff.next_wait(None).unwrap();
/// assert!(wait >= Duration::from_millis(250) && wait <= Duration::from_millis(500));
/// ```
pub struct Backoff {
    policy: Retry,
    started: Instant,
    next: Duration,
    rng: u64,
}

impl Backoff {
    /// The first try starts now.
    pub fn new(policy: Retry) -> Backoff {
        // Only jitter: any seed that differs between exporters will do.
        let seed = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| since.subsec_nanos().into());
        Backoff {
            policy,
            started: Instant::now(),
            next: policy.initial_backoff,
            rng: seed | 1,
        }
    }

    /// The wait before the next try (`asked`: what the backend asked for),
    /// or `None` when that try would start after `max_elapsed`.
    pub fn next_wait(&mut self, asked: Option<Duration>) -> Option<Duration> {
        let wait = asked.unwrap_or_else(|| self.jittered(self.next));
        self.next = (self.next * 2).min(self.policy.max_backoff);
        let elapsed = self.started.elapsed();
        (elapsed + wait <= self.policy.max_elapsed).then_some(wait)
    }

    /// A random wait between half and all of `full`.
    fn jittered(&mut self, full: Duration) -> Duration {
        // xorshift64: jitter needs spread, not quality.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let part = 0.5 + (self.rng >> 11) as f64 / (1u64 << 53) as f64 / 2.0;
        full.mul_f64(part)
    }
}

/// A `Retry-After` value in seconds (the HTTP-date form is not read: the
/// backoff applies then).
pub(crate) fn retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_with_jitter_up_to_the_cap() {
        let policy = Retry {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            max_elapsed: Duration::from_secs(3600),
        };
        let mut backoff = Backoff::new(policy);
        for full in [100, 200, 400, 400, 400] {
            let wait = backoff.next_wait(None).unwrap();
            let full = Duration::from_millis(full);
            assert!(wait >= full / 2 && wait <= full, "{wait:?} for {full:?}");
        }
    }

    #[test]
    fn a_wait_that_would_pass_the_limit_is_not_taken() {
        let mut backoff = Backoff::new(Retry {
            max_elapsed: Duration::from_secs(1),
            ..Retry::default()
        });
        assert_eq!(
            backoff.next_wait(Some(Duration::from_millis(10))),
            Some(Duration::from_millis(10))
        );
        assert_eq!(backoff.next_wait(Some(Duration::from_secs(2))), None);
        assert_eq!(Backoff::new(Retry::none()).next_wait(None), None);
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after("-1"), None);
    }
}
