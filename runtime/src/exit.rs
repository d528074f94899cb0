//! Flushing the global tracer when the process exits without dropping its
//! guard.

/// Makes the process flush the global tracer when it exits through
/// `std::process::exit` or by returning from `main`, even if the guard was
/// forgotten; waits at most the tracer's
/// [shutdown timeout](crate::TracerBuilder::shutdown_timeout). Calling it
/// more than once registers it once. On targets without C's `atexit` it
/// does nothing.
///
/// What reaches the exporters, case by case:
///
/// - `main` returns with the guard of [`install`](crate::TracerBuilder::install)
///   or [`init_with`](crate::init_with) alive, or a panic unwinds out of `main`: the
///   guard's drop flushes; everything finished is delivered.
/// - `std::process::exit`, or `main` returns after the guard was forgotten
///   or leaked: nothing is flushed unless this function was called; then
///   everything finished on any thread is delivered, as the exporter
///   thread takes it from where each thread left it.
/// - `panic = "abort"`, `std::process::abort`, a signal that kills the
///   process (SIGKILL; SIGTERM and Ctrl-C unless the program handles
///   them): spans not exported yet are lost. Handle the signal and return
///   from `main` (or call `std::process::exit`) to deliver them.
///
/// Spans still running at exit are not finished, so not delivered.
///
/// ```no_run
/// let guard = tracekit_runtime::init_with(&[]);
/// tracekit_runtime::flush_at_exit();
/// // ... work; then, from anywhere:
/// std::process::exit(0); // the spans finished so far are delivered
/// ```
pub fn flush_at_exit() {
    #[cfg(any(unix, windows))]
    {
        static REGISTERED: std::sync::Once = std::sync::Once::new();
        REGISTERED.call_once(|| {
            // SAFETY: `atexit` takes a plain function that it calls once,
            // at exit, on the exiting thread; `flush_global` never unwinds.
            let status = unsafe { atexit(flush_global) };
            if status != 0 {
                eprintln!("tracekit: cannot register the exit flush");
            }
        });
    }
}

#[cfg(any(unix, windows))]
unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

/// Runs at exit: flushes the global tracer, if one is installed.
#[cfg(any(unix, windows))]
extern "C" fn flush_global() {
    // Nothing may unwind into C.
    let _ = std::panic::catch_unwind(|| {
        let tracer = crate::global();
        if tracer.is_enabled() {
            tracer.flush_for_shutdown();
        }
    });
}
