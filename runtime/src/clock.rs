//! Span timestamps: the fastest monotonic clock the machine offers, anchored
//! once to wall time, so durations never go backwards when the system clock
//! is adjusted.
//!
//! A span stores a *stamp*: on the hot path that is the raw reading (one
//! `rdtsc` on x86-64 with an invariant TSC — `constant_tsc` and
//! `nonstop_tsc` — elsewhere nanoseconds of `Instant` since the anchor),
//! converted to wall time only when the span is exported. A time given
//! explicitly (`start_time`, `finish_at`) is stored as wall time, marked by
//! the top bit.

use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Anchor {
    unix_nanos: u64,
    source: Source,
}

enum Source {
    /// Ticks since `base`, at `nanos_per_tick`.
    #[cfg(target_arch = "x86_64")]
    Tsc {
        base: u64,
        nanos_per_tick: f64,
    },
    Instant(Instant),
}

/// Marks a stamp that holds wall time (nanoseconds since the Unix epoch)
/// rather than a raw reading; wall time fits in 63 bits until 2262.
const WALL: u64 = 1 << 63;

/// Calibrates the clock; the tracer builder calls it so the first span does
/// not pay for it.
pub(crate) fn init() {
    anchor();
}

#[inline]
fn anchor() -> &'static Anchor {
    static ANCHOR: OnceLock<Anchor> = OnceLock::new();
    ANCHOR.get_or_init(|| {
        let source = tsc::calibrate().unwrap_or_else(|| Source::Instant(Instant::now()));
        Anchor {
            unix_nanos: unix_nanos(SystemTime::now()),
            source,
        }
    })
}

/// A span's stamp of now if it records; 0 for a span that records
/// nothing, as it keeps no times (and the clock is not read).
#[inline(always)]
pub(crate) fn now_if(records: bool) -> u64 {
    if records { now() } else { 0 }
}

/// A stamp of now: the raw reading, nothing converted.
#[inline]
pub(crate) fn now() -> u64 {
    let reading = match &anchor().source {
        #[cfg(target_arch = "x86_64")]
        Source::Tsc { .. } => tsc::read(),
        Source::Instant(start) => start.elapsed().as_nanos() as u64,
    };
    reading & !WALL
}

/// The stamp of a wall-clock time (times before the Unix epoch become it).
pub(crate) fn stamp(time: SystemTime) -> u64 {
    unix_nanos(time).min(!WALL) | WALL
}

/// A stamp as nanoseconds since the Unix epoch.
pub(crate) fn to_unix_nanos(stamp: u64) -> u64 {
    if stamp & WALL != 0 {
        return stamp & !WALL;
    }
    let anchor = anchor();
    let since_anchor = match &anchor.source {
        #[cfg(target_arch = "x86_64")]
        Source::Tsc {
            base,
            nanos_per_tick,
        } => (stamp.saturating_sub(*base) as f64 * nanos_per_tick) as u64,
        Source::Instant(_) => stamp,
    };
    anchor.unix_nanos + since_anchor
}

/// A stamp as wall time.
pub(crate) fn to_system_time(stamp: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(to_unix_nanos(stamp))
}

/// How many raw clock units `duration` spans, to compare readings with.
pub(crate) fn units_in(duration: Duration) -> u64 {
    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
    match &anchor().source {
        #[cfg(target_arch = "x86_64")]
        Source::Tsc { nanos_per_tick, .. } => (nanos as f64 / nanos_per_tick) as u64,
        Source::Instant(_) => nanos,
    }
}

/// Wall time as nanoseconds since the Unix epoch (0 for times before it).
fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(target_arch = "x86_64")]
mod tsc {
    use super::Source;
    use std::time::{Duration, Instant};

    #[inline]
    pub(super) fn read() -> u64 {
        // SAFETY: `rdtsc` exists on every x86-64 CPU and has no preconditions.
        unsafe { core::arch::x86_64::_rdtsc() }
    }

    /// Whether the TSC ticks at a constant rate through frequency changes
    /// and sleep states, as the kernel reports it.
    fn invariant() -> bool {
        let Ok(cpuinfo) = std::fs::read_to_string("/proc/cpuinfo") else {
            return false;
        };
        let Some(flags) = cpuinfo.lines().find(|l| l.starts_with("flags")) else {
            return false;
        };
        let has = |flag: &str| flags.split_whitespace().any(|f| f == flag);
        has("constant_tsc") && has("nonstop_tsc")
    }

    /// Measures the tick rate against `Instant` over 10 ms.
    pub(super) fn calibrate() -> Option<Source> {
        if !invariant() {
            return None;
        }
        let (start, base) = (Instant::now(), read());
        while start.elapsed() < Duration::from_millis(10) {
            std::hint::spin_loop();
        }
        let (elapsed, ticks) = (start.elapsed(), read().checked_sub(base)?);
        (ticks > 0).then(|| Source::Tsc {
            base,
            nanos_per_tick: elapsed.as_nanos() as f64 / ticks as f64,
        })
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod tsc {
    pub(super) fn calibrate() -> Option<super::Source> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_tracks_wall_time_and_never_goes_backwards() {
        let wall = unix_nanos(SystemTime::now());
        let first = to_unix_nanos(now());
        assert!(
            first.abs_diff(wall) < 50_000_000,
            "within 50 ms of wall time"
        );
        let mut last = first;
        for _ in 0..10_000 {
            let next = to_unix_nanos(now());
            assert!(next >= last);
            last = next;
        }
        std::thread::sleep(Duration::from_millis(20));
        let slept = to_unix_nanos(now()) - first;
        assert!(
            (20_000_000..2_000_000_000).contains(&slept),
            "slept {slept} ns"
        );
    }

    #[test]
    fn explicit_wall_times_round_trip_and_units_match_durations() {
        let time = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        assert_eq!(to_system_time(stamp(time)), time);
        assert_eq!(to_system_time(stamp(UNIX_EPOCH)), UNIX_EPOCH);
        let before = now();
        std::thread::sleep(Duration::from_millis(20));
        let waited = now() - before;
        assert!(waited >= units_in(Duration::from_millis(19)));
        assert!(waited < units_in(Duration::from_secs(2)));
    }
}
