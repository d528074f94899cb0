//! The process-wide tracer: installed once, reached by [`global`], and
//! the flags traced calls read of it without looking it up.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Tracer;

/// Why [`TracerBuilder::try_install`](super::TracerBuilder::try_install) failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstallError {
    /// A tracer was installed earlier in this process.
    AlreadyInstalled,
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::AlreadyInstalled => f.write_str("a global tracer is already installed"),
        }
    }
}

impl std::error::Error for InstallError {}

static GLOBAL: OnceLock<Tracer> = OnceLock::new();

/// The silent tracer of test captures, used until a tracer is installed.
static PROVISIONAL: OnceLock<Tracer> = OnceLock::new();

/// Whether a global tracer is installed: the one load `#[traced]` pays when
/// tracing is off.
static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether the global tracer's sampler keeps every child of an unsampled
/// span unsampled: then a traced call under one reads only this and a
/// thread-local flag, without looking the tracer up.
static SKIPS_UNSAMPLED_CHILDREN: AtomicBool = AtomicBool::new(false);

/// Whether the global tracer has hooks, read by every traced call as it
/// ends.
static HAS_HOOKS: AtomicBool = AtomicBool::new(false);

/// Whether a tracer is installed (the stand-in of test captures is not).
pub(super) fn is_set() -> bool {
    GLOBAL.get().is_some()
}

/// Whether `tracer` is the installed global tracer, which stays for the
/// life of the process (the stand-in of test captures gives way to an
/// installed one).
pub(crate) fn is_installed_global(tracer: &Tracer) -> bool {
    GLOBAL.get().is_some_and(|installed| installed.is(tracer))
}

/// Makes `tracer` the global one.
pub(super) fn set(tracer: Tracer) -> Result<(), InstallError> {
    GLOBAL
        .set(tracer)
        .map_err(|_| InstallError::AlreadyInstalled)?;
    enable();
    Ok(())
}

/// Makes `tracer` the stand-in until one is installed.
pub(super) fn set_provisional(tracer: Tracer) {
    let _ = PROVISIONAL.set(tracer);
    enable();
}

/// Marks the global tracer installed, with what traced calls read of it
/// without looking it up.
fn enable() {
    let skips = global().sampler().keeps_unsampled_children();
    SKIPS_UNSAMPLED_CHILDREN.store(skips, Ordering::Release);
    HAS_HOOKS.store(!global().hooks().is_empty(), Ordering::Release);
    ENABLED.store(true, Ordering::Release);
}

/// Whether a global tracer is installed.
#[inline(always)]
pub fn is_installed() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Whether the global tracer has hooks.
#[inline(always)]
pub(crate) fn has_global_hooks() -> bool {
    HAS_HOOKS.load(Ordering::Relaxed)
}

/// Whether the global tracer's sampler keeps the children of an unsampled
/// span unsampled (see `SKIPS_UNSAMPLED_CHILDREN`).
#[inline(always)]
pub(crate) fn skips_unsampled_children() -> bool {
    SKIPS_UNSAMPLED_CHILDREN.load(Ordering::Relaxed)
}

/// The process-wide tracer; a disabled one that records nothing until a
/// tracer is installed.
///
/// ```
/// let span = tracekit_runtime::global().span("before install").start();
/// assert!(span.is_noop());
/// ```
#[inline]
pub fn global() -> &'static Tracer {
    match GLOBAL.get() {
        Some(tracer) => tracer,
        None => not_installed(),
    }
}

#[cold]
fn not_installed() -> &'static Tracer {
    static DISABLED: OnceLock<Tracer> = OnceLock::new();
    match PROVISIONAL.get() {
        Some(tracer) => tracer,
        None => DISABLED.get_or_init(Tracer::disabled),
    }
}

/// Where the spans of traced futures and carried spans go when a loan
/// ends: the global tracer's pipeline, looked up only then.
pub(crate) struct GlobalSink;

impl crate::local::Sink for GlobalSink {
    fn pipeline() -> Option<&'static std::sync::Arc<crate::export::Shared>> {
        global().pipeline()
    }
}
