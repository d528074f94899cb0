//! Wall-clock times as nanoseconds since the Unix epoch, the number every
//! exporter writes.
//!
//! `SystemTime::duration_since` is an out-of-line call that costs about
//! 15 ns here (its result goes back through memory), three times per span:
//! a quarter of encoding a span to OTLP. `SystemTime` hands out its seconds
//! and nanoseconds through `Hash` as well, inline; that order is not
//! documented, so it is checked once per process against `duration_since`
//! and, on a platform where it differs, `duration_since` is used. No
//! documented way is as fast. The test
//! `the_fast_path_is_taken_where_the_fields_are_known` fails on Linux and
//! macOS the day a new Rust changes that order, so the suite says so
//! rather than the exporters quietly slowing down; reading the fields is
//! safe code either way (a wrong order gives `duration_since`'s answer).

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// The nanoseconds from the Unix epoch to `time`: 0 for a time before the
/// epoch, `u64::MAX` after the year 2554.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tracekit_runtime::unix_nanos;
///
/// let time = UNIX_EPOCH + Duration::new(1_700_000_000, 5);
/// assert_eq!(unix_nanos(time), 1_700_000_000_000_000_005);
/// assert_eq!(unix_nanos(UNIX_EPOCH - Duration::from_secs(1)), 0);
/// ```
#[inline]
pub fn unix_nanos(time: SystemTime) -> u64 {
    if fields_readable() {
        if let Some((secs, nanos)) = fields(time) {
            return from_fields(secs, nanos);
        }
    }
    through_duration(time)
}

/// What `SystemTime`'s `Hash` gave, if it was seconds then nanoseconds.
#[inline(always)]
fn fields(time: SystemTime) -> Option<(i64, u32)> {
    let mut grab = Grab::default();
    time.hash(&mut grab);
    match grab {
        Grab {
            secs: Some(secs),
            nanos: Some(nanos),
            other: false,
        } if u64::from(nanos) < NANOS_PER_SEC => Some((secs, nanos)),
        _ => None,
    }
}

#[inline(always)]
fn from_fields(secs: i64, nanos: u32) -> u64 {
    match u64::try_from(secs) {
        Err(_) => 0,
        Ok(secs) => secs
            .checked_mul(NANOS_PER_SEC)
            .and_then(|whole| whole.checked_add(u64::from(nanos)))
            .unwrap_or(u64::MAX),
    }
}

fn through_duration(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    })
}

/// Receives a hash's writes: one `i64`, then one `u32`, and nothing else.
#[derive(Default)]
struct Grab {
    secs: Option<i64>,
    nanos: Option<u32>,
    other: bool,
}

impl Hasher for Grab {
    fn finish(&self) -> u64 {
        0
    }
    fn write(&mut self, _: &[u8]) {
        self.other = true;
    }
    #[inline(always)]
    fn write_i64(&mut self, value: i64) {
        if self.secs.is_some() || self.nanos.is_some() {
            self.other = true;
        }
        self.secs = Some(value);
    }
    #[inline(always)]
    fn write_u32(&mut self, value: u32) {
        if self.secs.is_none() || self.nanos.is_some() {
            self.other = true;
        }
        self.nanos = Some(value);
    }
}

const UNKNOWN: u8 = 0;
const READABLE: u8 = 1;
const UNREADABLE: u8 = 2;
static FIELDS: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether [`fields`] agrees with `duration_since` on this platform.
#[inline(always)]
fn fields_readable() -> bool {
    match FIELDS.load(Ordering::Relaxed) {
        READABLE => true,
        UNREADABLE => false,
        _ => check_fields(),
    }
}

#[cold]
fn check_fields() -> bool {
    let agrees = probes().all(|time| {
        fields(time).map(|(secs, nanos)| from_fields(secs, nanos)) == Some(through_duration(time))
    });
    FIELDS.store(
        if agrees { READABLE } else { UNREADABLE },
        Ordering::Relaxed,
    );
    agrees
}

/// Times on each side of the epoch and of a second's boundary.
fn probes() -> impl Iterator<Item = SystemTime> {
    let after = [
        Duration::ZERO,
        Duration::from_nanos(1),
        Duration::from_nanos(NANOS_PER_SEC - 1),
        Duration::from_secs(1),
        Duration::new(1_700_000_000, 123_456_789),
        Duration::new(18_000_000_000, 999_999_999),
    ];
    let before = [Duration::from_nanos(1), Duration::new(1, 500_000_000)];
    after
        .into_iter()
        .map(|since| UNIX_EPOCH + since)
        .chain(before.into_iter().map(|until| UNIX_EPOCH - until))
        .chain([SystemTime::now()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_duration_since_around_the_epoch_and_each_second() {
        let mut times: Vec<SystemTime> = probes().collect();
        for nanos in [0, 1, 999_999_999, 1_000_000_000, 1_000_000_001] {
            times.push(UNIX_EPOCH + Duration::from_nanos(nanos));
            times.push(UNIX_EPOCH - Duration::from_nanos(nanos));
            times.push(UNIX_EPOCH + Duration::new(1_700_000_000, 0) + Duration::from_nanos(nanos));
        }
        for time in times {
            assert_eq!(unix_nanos(time), through_duration(time), "{time:?}");
        }
    }

    #[test]
    fn saturates_after_2554() {
        let far = UNIX_EPOCH + Duration::from_secs(u64::MAX / NANOS_PER_SEC + 1);
        assert_eq!(unix_nanos(far), u64::MAX);
    }

    #[cfg(any(target_os = "linux", target_os = "macos"))]
    #[test]
    fn the_fast_path_is_taken_where_the_fields_are_known() {
        assert!(fields_readable());
    }
}
