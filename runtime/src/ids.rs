//! Id generation: a per-thread generator, so making an id touches no shared
//! state and takes no lock.

use std::cell::Cell;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use crate::context::{SpanId, TraceId};

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

/// A seed that differs per thread and per process: std's `RandomState` keys
/// are random per process and advance per call.
fn seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(std::process::id() as u64);
    hasher.finish() | 1
}

/// wyrand: one multiply per draw, passes BigCrush; ids need uniqueness and
/// spread, not cryptographic strength.
fn next_u64() -> u64 {
    let draw = |state: &Cell<u64>| {
        let s = state.get().wrapping_add(0xa076_1d64_78bd_642f);
        state.set(s);
        let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    };
    // During thread teardown the thread-local may be gone: fall back to a fresh seed.
    STATE
        .try_with(draw)
        .unwrap_or_else(|_| draw(&Cell::new(seed())))
}

/// A new span id (never zero).
pub(crate) fn new_span_id() -> SpanId {
    loop {
        if let Some(id) = SpanId::new(next_u64()) {
            return id;
        }
    }
}

/// A new 128-bit trace id (never all zeros).
pub(crate) fn new_trace_id() -> TraceId {
    loop {
        let id = TraceId::from_u128((u128::from(next_u64()) << 64) | u128::from(next_u64()));
        if id.is_valid() {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_do_not_repeat_within_or_across_threads() {
        let draw = || (0..10_000).map(|_| new_span_id()).collect::<Vec<_>>();
        let other = std::thread::spawn(draw).join().unwrap();
        let mine = draw();
        let all: HashSet<_> = mine.iter().chain(other.iter()).collect();
        assert_eq!(all.len(), 20_000);
    }
}
