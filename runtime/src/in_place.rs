//! Appending a value so that it is written straight into its slot.
//!
//! `Vec::push(value)` may have to grow the vector, an opaque call the value
//! must survive, so the compiler builds the value on the stack and copies
//! it over. For the span state and the finished-span records, built field
//! by field and ~100 bytes large, that copy reads back whole what was just
//! written in pieces, and the CPU's store forwarding stalls. When the push
//! happens on a branch that has room, growing is impossible there and the
//! fields are stored into the vector directly.

/// Appends `value` to `vec`.
#[inline(always)]
pub(crate) fn push_in_place<T>(vec: &mut Vec<T>, value: T) {
    if vec.len() < vec.capacity() {
        vec.push(value);
    } else {
        push_growing(vec, value);
    }
}

/// Appends the pair `(first, second)` to `vec`, each half written straight
/// into its place. Built as a tuple first, the pair is copied from the
/// stack in 16-byte pieces that straddle the halves' own stores, which the
/// CPU cannot forward (the tags of a span go in this way).
#[inline(always)]
pub(crate) fn push_pair_in_place<A, B>(vec: &mut Vec<(A, B)>, first: A, second: B) {
    let len = vec.len();
    if len == vec.capacity() {
        return push_growing(vec, (first, second));
    }
    // SAFETY: `len < capacity`: the slot at `len` is allocated and holds
    // nothing. Both halves are written before the length takes it in.
    unsafe {
        let slot = vec.as_mut_ptr().add(len);
        (&raw mut (*slot).0).write(first);
        (&raw mut (*slot).1).write(second);
        vec.set_len(len + 1);
    }
}

#[cold]
#[inline(never)]
fn push_growing<T>(vec: &mut Vec<T>, value: T) {
    vec.push(value);
}

#[cfg(test)]
mod tests {
    use super::{push_in_place, push_pair_in_place};

    #[test]
    fn appends_after_the_existing_elements_and_grows() {
        let mut values = Vec::new();
        for n in 0..100 {
            push_in_place(&mut values, n.to_string());
        }
        assert_eq!(values.len(), 100);
        assert_eq!(values[0], "0");
        assert_eq!(values[99], "99");
    }

    #[test]
    fn appends_pairs_after_the_existing_ones_and_grows() {
        let mut pairs = Vec::with_capacity(2);
        for n in 0..100 {
            push_pair_in_place(&mut pairs, n.to_string(), vec![n; 3]);
        }
        assert_eq!(pairs.len(), 100);
        assert_eq!(pairs[0], ("0".to_owned(), vec![0; 3]));
        assert_eq!(pairs[99], ("99".to_owned(), vec![99; 3]));
    }
}
