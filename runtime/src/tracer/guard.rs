//! The guard `install` returns: the tracer, flushed when it drops.

use std::ops::Deref;

use super::Tracer;

/// Returned by [`TracerBuilder::install`](super::TracerBuilder::install) and [`init_with`](super::init_with): derefs to the
/// tracer, and flushes it when dropped (waiting at most the
/// [shutdown timeout](super::TracerBuilder::shutdown_timeout), then saying on
/// stderr what could not be delivered) so a program that ends normally
/// loses no span. Keep it alive for the life of the program; for programs
/// that end through `std::process::exit`, see [`flush_at_exit`](crate::flush_at_exit).
#[must_use = "dropping the guard flushes the tracer; keep it for the life of the program"]
pub struct TracerGuard {
    pub(super) tracer: Tracer,
}

impl Deref for TracerGuard {
    type Target = Tracer;

    fn deref(&self) -> &Tracer {
        &self.tracer
    }
}

impl Drop for TracerGuard {
    /// Flushes, waiting at most the shutdown timeout.
    fn drop(&mut self) {
        self.tracer.flush_for_shutdown();
    }
}
