//! A global allocator for the test files that count memory: it forwards to
//! the system allocator and counts, per thread, the allocations made and
//! the bytes held. A file that includes this one declares it:
//! `#[global_allocator] static ALLOCATOR: Counting = Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The counting allocator.
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static HELD: Cell<isize> = const { Cell::new(0) };
}

fn note(allocations: u64, bytes: isize) {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + allocations));
    let _ = HELD.try_with(|held| held.set(held.get() + bytes));
}

// SAFETY: forwards to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(1, layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(0, -(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(1, new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// The allocations this thread has made so far.
#[allow(dead_code)] // not every test file that includes this counts them
pub fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// The bytes this thread's allocations hold now (what it allocated less
/// what it freed; memory freed by another thread is not seen).
#[allow(dead_code)] // not every test file that includes this counts them
pub fn held() -> isize {
    HELD.with(Cell::get)
}
