//! Memory the exporter thread reads once and hands back to a producer
//! (a chunk's slots, a tag box), fetched so that the reading leaves no
//! copy the producer's next write would first have to take from this
//! core.

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
