//! Span timestamps: the fastest monotonic clock the machine offers, read
//! raw on the hot path and turned into wall time off it.
//!
//! A span stores a *stamp*: the raw reading (one `rdtsc` on x86-64 when the
//! kernel itself keeps time with an invariant TSC, elsewhere nanoseconds of
//! `Instant` since the clock started). A time given explicitly
//! (`start_time`, `finish_at`) is stored as wall time, marked by the top bit.
//!
//! Readings become wall time through an *anchor*: a raw reading and the
//! wall clock read at the same instant (between two raw readings, the
//! closest pair of a few kept). The anchor is renewed at most every
//! [`REANCHOR_EVERY`] by whoever converts (the exporter thread), and the
//! rate of raw units is re-measured against the monotonic clock over the
//! whole life of the process at each renewal, so a calibration error
//! shrinks as the process runs instead of growing into drift.

#[cfg(target_arch = "x86_64")]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::wall::unix_nanos;

/// How the hot path reads the clock; chosen once.
enum Source {
    /// The time-stamp counter; `nanos_per_tick` from a first calibration.
    #[cfg(target_arch = "x86_64")]
    Tsc { nanos_per_tick: f64 },
    /// Nanoseconds since `base`.
    Instant,
}

struct Clock {
    source: Source,
    /// What `Source::Instant` readings count from, and what the monotonic
    /// side of every anchor is measured against.
    base: Instant,
}

/// Marks a stamp that holds wall time (nanoseconds since the Unix epoch)
/// rather than a raw reading; wall time fits in 63 bits until 2262.
const WALL: u64 = 1 << 63;

/// How old the anchor may grow before a conversion renews it.
const REANCHOR_EVERY: Duration = Duration::from_secs(1);

/// Calibrates the clock; the tracer builder calls it so the first span does
/// not pay for it.
pub(crate) fn init() {
    calibration();
}

/// Set once the clock reads the TSC: the hot path then tests this one
/// flag, instead of the clock's initialisation and then its source.
#[cfg(target_arch = "x86_64")]
static READS_TSC: AtomicBool = AtomicBool::new(false);

#[inline]
fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(|| {
        let base = Instant::now();
        let source = tsc::calibrate().unwrap_or(Source::Instant);
        #[cfg(target_arch = "x86_64")]
        READS_TSC.store(matches!(source, Source::Tsc { .. }), Ordering::Relaxed);
        Clock { source, base }
    })
}

/// A span's stamp of now if it records; 0 for a span that records
/// nothing, as it keeps no times (and the clock is not read).
#[inline(always)]
pub(crate) fn now_if(records: bool) -> u64 {
    if records { now_compact() } else { 0 }
}

/// A stamp of now: the raw reading, nothing converted.
#[inline(always)]
pub(crate) fn now() -> u64 {
    now_tsc().unwrap_or_else(now_from_clock_inline)
}

/// [`now`] for generic code, compiled once per traced function (and for
/// the paths that are not the hottest): inline only where the clock is
/// the TSC, every other source read out of line.
#[inline(always)]
pub(crate) fn now_compact() -> u64 {
    now_tsc().unwrap_or_else(now_from_clock)
}

/// A raw TSC reading, when that is the clock's source: it needs nothing
/// of the clock's state (converting it does, through `clock()`).
#[inline(always)]
fn now_tsc() -> Option<u64> {
    #[cfg(target_arch = "x86_64")]
    if READS_TSC.load(Ordering::Relaxed) {
        return Some(tsc::read() & !WALL);
    }
    None
}

#[inline(never)]
fn now_from_clock() -> u64 {
    now_from_clock_inline()
}

#[inline(always)]
fn now_from_clock_inline() -> u64 {
    read(clock()) & !WALL
}

#[inline(always)]
fn read(clock: &Clock) -> u64 {
    match clock.source {
        #[cfg(target_arch = "x86_64")]
        Source::Tsc { .. } => tsc::read(),
        Source::Instant => clock.base.elapsed().as_nanos() as u64,
    }
}

/// The stamp of a wall-clock time (times before the Unix epoch become it).
pub(crate) fn stamp(time: SystemTime) -> u64 {
    unix_nanos(time).min(!WALL) | WALL
}

fn nanos_per_unit(clock: &Clock) -> f64 {
    match clock.source {
        #[cfg(target_arch = "x86_64")]
        Source::Tsc { nanos_per_tick } => nanos_per_tick,
        Source::Instant => 1.0,
    }
}

/// A raw reading and the wall and monotonic clocks read at the same
/// instant.
#[derive(Clone, Copy, Debug)]
struct Anchor {
    reading: u64,
    unix_nanos: u64,
    /// Nanoseconds of the monotonic clock since the clock's base.
    mono_nanos: u64,
}

impl Anchor {
    /// Reads the three clocks; of a few tries, keeps the one whose raw
    /// readings around the other two lie closest together (a try that was
    /// interrupted between them says little about when they were read).
    fn read(clock: &Clock) -> Anchor {
        let try_once = || {
            let before = read(clock);
            let wall = SystemTime::now();
            let mono = Instant::now();
            let after = read(clock);
            let window = after.wrapping_sub(before);
            let anchor = Anchor {
                reading: before + window / 2,
                unix_nanos: unix_nanos(wall),
                mono_nanos: mono.saturating_duration_since(clock.base).as_nanos() as u64,
            };
            (window, anchor)
        };
        let (_, anchor) =
            (1..5).map(|_| try_once()).fold(
                try_once(),
                |best, next| if next.0 < best.0 { next } else { best },
            );
        anchor
    }
}

/// The first anchor, the latest one, and the rate between raw units and
/// nanoseconds measured from one to the other.
#[derive(Clone, Copy, Debug)]
struct Calibration {
    first: Anchor,
    latest: Anchor,
    nanos_per_unit: f64,
}

impl Calibration {
    fn new(first: Anchor, nanos_per_unit: f64) -> Calibration {
        Calibration {
            first,
            latest: first,
            nanos_per_unit,
        }
    }

    /// Takes `anchor` as the latest and re-measures the rate over the
    /// whole span since the first anchor, against the monotonic clock.
    fn reanchor(&mut self, anchor: Anchor) {
        let units = anchor.reading.saturating_sub(self.first.reading);
        let nanos = anchor.mono_nanos.saturating_sub(self.first.mono_nanos);
        if units > 0 && nanos > 0 {
            self.nanos_per_unit = nanos as f64 / units as f64;
        }
        self.latest = anchor;
    }

    fn wall_clock(&self) -> WallClock {
        WallClock {
            reading: self.latest.reading,
            unix_nanos: self.latest.unix_nanos,
            nanos_per_unit: self.nanos_per_unit,
        }
    }
}

fn calibration() -> &'static Mutex<Calibration> {
    static CALIBRATION: OnceLock<Mutex<Calibration>> = OnceLock::new();
    CALIBRATION.get_or_init(|| {
        let clock = clock();
        Mutex::new(Calibration::new(Anchor::read(clock), nanos_per_unit(clock)))
    })
}

/// Turns stamps into wall time: a copy of the clock's latest anchor, taken
/// once for a batch of conversions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WallClock {
    reading: u64,
    unix_nanos: u64,
    nanos_per_unit: f64,
}

impl WallClock {
    /// The latest anchor, renewed first when it is older than
    /// [`REANCHOR_EVERY`].
    pub(crate) fn current() -> WallClock {
        let clock = clock();
        let mut calibration = calibration().lock().unwrap_or_else(|p| p.into_inner());
        let age = read(clock).saturating_sub(calibration.latest.reading) as f64
            * calibration.nanos_per_unit;
        if age >= REANCHOR_EVERY.as_nanos() as f64 {
            calibration.reanchor(Anchor::read(clock));
        }
        calibration.wall_clock()
    }

    /// A stamp as nanoseconds since the Unix epoch.
    #[inline]
    pub(crate) fn unix_nanos(&self, stamp: u64) -> u64 {
        if stamp & WALL != 0 {
            return stamp & !WALL;
        }
        // Readings are below 2^63 (`now` clears the top bit), so their
        // difference fits an i64, and the float conversions are single
        // instructions (i128 ones are library calls, on every span).
        let units = (stamp & !WALL) as i64 - (self.reading & !WALL) as i64;
        let offset = (units as f64 * self.nanos_per_unit) as i64;
        self.unix_nanos.saturating_add_signed(offset)
    }

    /// A stamp as wall time.
    pub(crate) fn system_time(&self, stamp: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.unix_nanos(stamp))
    }
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
    /// and sleep states, and the kernel trusts it enough to keep time with
    /// it (it does not on machines whose CPUs' counters disagree, and on
    /// many virtual machines).
    fn trusted() -> bool {
        let Ok(cpuinfo) = std::fs::read_to_string("/proc/cpuinfo") else {
            return false;
        };
        let Some(flags) = cpuinfo.lines().find(|l| l.starts_with("flags")) else {
            return false;
        };
        let has = |flag: &str| flags.split_whitespace().any(|f| f == flag);
        let kernel_uses_it = std::fs::read_to_string(
            "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        )
        .is_ok_and(|source| source.trim() == "tsc");
        has("constant_tsc") && has("nonstop_tsc") && kernel_uses_it
    }

    /// Measures the tick rate against `Instant` over 10 ms; the anchors
    /// refine it later.
    pub(super) fn calibrate() -> Option<Source> {
        // Miri cannot run `rdtsc`; there the clock is `Instant`.
        if cfg!(miri) || !trusted() {
            return None;
        }
        let (start, base) = (Instant::now(), read());
        while start.elapsed() < Duration::from_millis(10) {
            std::hint::spin_loop();
        }
        let (elapsed, ticks) = (start.elapsed(), read().checked_sub(base)?);
        (ticks > 0).then(|| Source::Tsc {
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

    /// How far a converted stamp lies from the wall-clock readings taken
    /// just before and just after it (0 when between them).
    fn distance(converted: u64, before: SystemTime, after: SystemTime) -> u64 {
        let (before, after) = (unix_nanos(before), unix_nanos(after));
        before.saturating_sub(converted) + converted.saturating_sub(after)
    }

    #[test]
    fn a_stamp_converts_to_the_wall_time_read_around_it_and_never_goes_backwards() {
        init();
        let before = SystemTime::now();
        let stamp = now();
        let after = SystemTime::now();
        let wall = WallClock::current();
        let off = distance(wall.unix_nanos(stamp), before, after);
        assert!(off < 1_000_000, "{off} ns from the wall clock");
        let mut last = wall.unix_nanos(now());
        for _ in 0..10_000 {
            let next = wall.unix_nanos(now());
            assert!(next >= last);
            last = next;
        }
        std::thread::sleep(Duration::from_millis(20));
        let slept = WallClock::current().unix_nanos(now()) - wall.unix_nanos(stamp);
        assert!(
            (20_000_000..2_000_000_000).contains(&slept),
            "slept {slept} ns"
        );
    }

    #[test]
    fn a_calibration_error_is_measured_away_at_the_next_anchor() {
        let clock = clock();
        // A rate 1% off: unanchored, times drift 10 ms per second of run.
        let skewed = nanos_per_unit(clock) * 1.01;
        let mut calibration = Calibration::new(Anchor::read(clock), skewed);

        std::thread::sleep(Duration::from_millis(150));
        let (before, early, after) = (SystemTime::now(), now(), SystemTime::now());
        std::thread::sleep(Duration::from_millis(150));

        let drifted = calibration.wall_clock();
        let (before_now, stamp_now, after_now) = (SystemTime::now(), now(), SystemTime::now());
        let drift = distance(drifted.unix_nanos(stamp_now), before_now, after_now);
        assert!(drift > 1_000_000, "the injected error shows: {drift} ns");

        calibration.reanchor(Anchor::read(clock));
        let wall = calibration.wall_clock();
        let off_now = distance(wall.unix_nanos(stamp_now), before_now, after_now);
        let off_early = distance(wall.unix_nanos(early), before, after);
        assert!(off_now < 1_000_000, "{off_now} ns off after re-anchoring");
        assert!(
            off_early < 1_000_000,
            "{off_early} ns off for an older stamp"
        );
    }

    #[test]
    fn explicit_wall_times_round_trip() {
        let wall = WallClock::current();
        let time = UNIX_EPOCH + Duration::from_nanos(1_700_000_000_123_456_789);
        assert_eq!(wall.system_time(stamp(time)), time);
        assert_eq!(wall.system_time(stamp(UNIX_EPOCH)), UNIX_EPOCH);
    }
}
