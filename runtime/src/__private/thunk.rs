//! Closures that generated code hands to the runtime through a pointer,
//! so that the runtime's side (its `catch_unwind` above all) is compiled
//! once rather than once per traced function.
//!
//! The pointers are to these one-method traits rather than to `dyn FnMut`:
//! the vtable of a `dyn FnMut` also holds `FnOnce::call_once` and its shim,
//! two more functions compiled for every closure.

use super::{ArgTags, CallSite, TracedCall};

/// A closure that takes and returns nothing.
pub trait Thunk {
    /// Calls it.
    fn run(&mut self);
}

impl<F: FnMut()> Thunk for F {
    #[inline(always)]
    fn run(&mut self) {
        self();
    }
}

/// A closure that writes a call's `tags(..)` and arguments.
pub trait Gather {
    /// Writes them into `args`.
    fn gather(&mut self, args: &mut ArgTags);
}

impl<F: FnMut(&mut ArgTags)> Gather for F {
    #[inline(always)]
    fn gather(&mut self, args: &mut ArgTags) {
        self(args);
    }
}

/// A traced call's body and the reading of its outcome, driven by the
/// runtime through one dynamic call: it runs the body, then, if the span
/// records, stamps its end, records what the body returned and runs the
/// `after_call` hooks (`end_and_complete`, generic over the returned type
/// only, so a reader with nothing to find compiles to nothing).
pub(super) trait Steps {
    /// Runs the body, keeping what it returns, and completes `call`'s
    /// span with it; returns the stamp the span ends at.
    fn run(&mut self, call: &TracedCall, site: &'static CallSite) -> u64;
}
