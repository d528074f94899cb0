//! Id generation: a per-thread generator, so making an id touches no shared
//! state and takes no lock.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use super::{Stack, with_thread};
use crate::identity::{SpanId, TraceId};

/// A seed that differs per thread and per process: std's `RandomState` keys
/// are random per process and advance per call.
pub(crate) fn seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(std::process::id() as u64);
    hasher.finish() | 1
}

/// wyrand: one multiply per draw, passes BigCrush; ids need uniqueness and
/// spread, not cryptographic strength. The state lives in the thread's
/// [`Stack`].
#[inline]
pub(crate) fn draw(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0xa076_1d64_78bd_642f);
    let t = u128::from(*state) * u128::from(*state ^ 0xe703_7ed1_a0b4_28db);
    ((t >> 64) as u64) ^ (t as u64)
}

/// A new span id (never zero), drawn from this thread's generator.
#[inline]
pub(crate) fn span_id(stack: &mut Stack) -> SpanId {
    loop {
        if let Some(id) = SpanId::new(stack.next_u64()) {
            return id;
        }
    }
}

/// A new 128-bit trace id (never all zeros), drawn from this thread's
/// generator.
pub(crate) fn trace_id(stack: &mut Stack) -> TraceId {
    loop {
        let high = u128::from(stack.next_u64());
        let id = TraceId::from_u128((high << 64) | u128::from(stack.next_u64()));
        if id.is_valid() {
            return id;
        }
    }
}

/// A new span id, outside a visit of the thread's state.
pub(crate) fn new_span_id() -> SpanId {
    with_thread(span_id)
}

/// A new trace id, outside a visit of the thread's state.
pub(crate) fn new_trace_id() -> TraceId {
    with_thread(trace_id)
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
