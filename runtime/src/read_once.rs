//! Memory the exporter thread reads once and hands back to a producer
//! (a chunk's slots, a tag box), fetched so that the reading leaves no
//! copy the producer's next write would first have to take from this
//! core, and let go of once read for the same reason.

/// Fetches the `len` bytes at `start` into this core's first cache level
/// alone (a non-temporal prefetch), ahead of reading them once. Memory the
/// exporter thread reads goes back to a producer (a chunk, a tag box): a
/// line the reader keeps in its other caches after the read must, at the
/// producer's next write to it, first be taken from this core, and a run
/// of such writes stalls the producer: on the development VM it doubled
/// the cost of a span (BENCHMARKS.md, session 10).
#[inline(always)]
pub(crate) fn read_soon(start: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_NTA, _mm_prefetch};
        const LINE: usize = 64;
        let first = start as usize & !(LINE - 1);
        let end = start as usize + len;
        let mut line = first;
        while line < end {
            // SAFETY: a prefetch is a hint: it reads and writes nothing and
            // cannot fault, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_NTA>(line as *const i8) };
            line += LINE;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (start, len);
}

/// Evicts the `len` bytes at `start` from every cache level of every core
/// (`clflushopt`), once the exporter thread has read them for the last
/// time and before a producer writes them again. Without it, a producer
/// on the other vCPU of the development VM took up to three times as long
/// a call, in runs that came and went, and handing back only memory read
/// more than an L3's worth ago made them go too: by all signs this core's
/// last-level cache kept the lines, however they were read, and each
/// first write from a core under another L3 waited for that copy
/// (BENCHMARKS.md, session 17). Evicted, the lines come back from memory,
/// in order, which the hardware prefetches. Does nothing where
/// `clflushopt` is missing, for an empty range, and off x86-64.
#[inline]
pub(crate) fn let_go(start: *const u8, len: usize) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        // Nothing to let go of: an empty range may start at a dangling
        // address, which the instruction must not touch.
        if len == 0 || !has_clflushopt() {
            return;
        }
        const LINE: usize = 64;
        let end = start as usize + len;
        let mut line = start as usize & !(LINE - 1);
        while line < end {
            // SAFETY: `clflushopt` writes a line back to memory if it is
            // dirty and evicts it: no value changes. Each line holds a
            // byte of the caller's memory, so its page is mapped and the
            // instruction cannot fault.
            unsafe {
                std::arch::asm!(
                    "clflushopt [{line}]",
                    line = in(reg) line,
                    options(nostack, preserves_flags)
                );
            }
            line += LINE;
        }
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = (start, len);
}

/// Whether the CPU has `clflushopt` (CPUID leaf 7, EBX bit 23), asked once.
#[cfg(all(target_arch = "x86_64", not(miri)))]
fn has_clflushopt() -> bool {
    use std::sync::OnceLock;
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        use std::arch::x86_64::{__cpuid, __cpuid_count};
        // Leaf 7 is asked only when the highest leaf reaches it.
        __cpuid(0).eax >= 7 && __cpuid_count(7, 0).ebx & (1 << 23) != 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_soon_and_letting_go_change_no_byte_whatever_the_range() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let expected = bytes.clone();
        for (from, len) in [(0, 0), (0, 1000), (3, 61), (63, 2), (64, 64), (999, 1)] {
            read_soon(bytes[from..].as_ptr(), len);
            let_go(bytes[from..].as_ptr(), len);
        }
        assert_eq!(bytes, expected);
        // An empty vector's address is dangling: nothing may be touched.
        let empty: Vec<u64> = Vec::new();
        let_go(empty.as_ptr().cast(), 0);
    }
}
