//! Span timestamps: a monotonic clock anchored once to wall time, so that
//! durations never go backwards when the system clock is adjusted.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Anchor {
    instant: Instant,
    unix_nanos: u64,
}

fn anchor() -> &'static Anchor {
    static ANCHOR: OnceLock<Anchor> = OnceLock::new();
    ANCHOR.get_or_init(|| Anchor {
        instant: Instant::now(),
        unix_nanos: to_unix_nanos(SystemTime::now()),
    })
}

/// Nanoseconds since the Unix epoch, read from the monotonic clock.
pub(crate) fn now() -> u64 {
    let anchor = anchor();
    anchor.unix_nanos + anchor.instant.elapsed().as_nanos() as u64
}

/// Wall time as nanoseconds since the Unix epoch (0 for times before it).
pub(crate) fn to_unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Nanoseconds since the Unix epoch back to wall time.
pub(crate) fn to_system_time(unix_nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(unix_nanos)
}
