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

#[cold]
#[inline(never)]
fn push_growing<T>(vec: &mut Vec<T>, value: T) {
    vec.push(value);
}

#[cfg(test)]
mod tests {
    use super::push_in_place;

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
}
