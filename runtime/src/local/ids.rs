//! Id generation: a per-thread generator, so making an id touches no shared
//! state and takes no lock.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// A seed that differs per thread and per process: std's `RandomState` keys
/// are random per process and advance per call.
pub(crate) fn seed() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(std::process::id() as u64);
    hasher.finish() | 1
}

/// wyrand: one multiply per draw, passes BigCrush; ids need uniqueness and
/// spread, not cryptographic strength. The state lives in the thread's
/// `Stack`.
#[inline]
pub(crate) fn draw(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0xa076_1d64_78bd_642f);
    let t = u128::from(*state) * u128::from(*state ^ 0xe703_7ed1_a0b4_28db);
    ((t >> 64) as u64) ^ (t as u64)
}

#[cfg(test)]
mod tests {
    use crate::local::new_span_id;
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
