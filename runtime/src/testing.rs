//! Helpers for asserting on spans in your own tests.
//!
//! [`capture`] runs code under a fresh sampled trace and returns the spans
//! of that trace only, so tests running in parallel never see each other's
//! spans. The capture's trace is recorded whatever the global sampler
//! says. If no tracer is installed yet, a silent one (no exporter) stands
//! in for the process until one is: a tracer installed later with
//! [`TracerBuilder::install`](crate::TracerBuilder::install) takes its
//! place, so a test binary may capture first and install afterwards.
//!
//! ```
//! use tracekit_runtime::testing;
//!
//! let (answer, spans) = testing::capture(|| {
//!     let _span = tracekit_runtime::global().span("compute").start();
//!     42
//! });
//! assert_eq!(answer, 42);
//! assert_eq!(spans.len(), 1);
//! assert_eq!(spans[0].name, "compute");
//! assert_eq!(spans[0].parent_id, None);
//! ```

use std::future::Future;
use std::sync::Mutex;

use crate::export::raw::RawSpan;
use crate::future::FutureExt;
use crate::identity::{SpanContext, SpanId, TraceId};
use crate::observe::{self, Observer};
use crate::record::SpanRecord;
use crate::scope::Context;
use crate::tracer::{Tracer, is_installed};

/// Runs `f` under a fresh sampled trace; returns what `f` returned and the
/// spans of that trace that finished before `f` returned, in the order they
/// finished. Spans started directly under the capture are roots
/// (`parent_id == None`).
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<SpanRecord>) {
    let capture = Registration::open();
    let out = capture.context().run(f);
    (out, capture.close())
}

/// Like [`capture`], for a future: every poll runs under the fresh trace.
///
/// A traced `async fn` starts its span when it is *called*, so call it inside
/// the captured future — `capture_async(async { fetch().await })` — not
/// before (`capture_async(fetch())` starts the span outside the capture).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let ((), spans) = tracekit_runtime::testing::capture_async(async {
///     let _span = tracekit_runtime::global().span("fetch").start();
///     tokio::task::yield_now().await;
/// })
/// .await;
/// assert_eq!(spans[0].name, "fetch");
/// # }
/// ```
pub async fn capture_async<F: Future>(fut: F) -> (F::Output, Vec<SpanRecord>) {
    let capture = Registration::open();
    let out = fut.with_context(capture.context()).await;
    (out, capture.close())
}

struct Open {
    trace_id: TraceId,
    root: SpanId,
    spans: Vec<SpanRecord>,
}

static CAPTURES: Mutex<Vec<Open>> = Mutex::new(Vec::new());

fn captures() -> std::sync::MutexGuard<'static, Vec<Open>> {
    CAPTURES.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether `trace_id` is the trace of an open capture, which records its
/// spans whatever the sampler says: a capture promises a sampled trace.
fn is_captured(trace_id: TraceId) -> bool {
    captures().iter().any(|open| open.trace_id == trace_id)
}

/// Gives a finished span to the capture of its trace, if one is open.
fn offer_to_open(span: &RawSpan) {
    if let Some(open) = captures().iter_mut().find(|o| o.trace_id == span.trace_id) {
        let mut record = span.to_record();
        if record.parent_id == Some(open.root) {
            record.parent_id = None;
        }
        open.spans.push(record);
    }
}

/// One open capture; closes (unregisters) when dropped, even on panic.
struct Registration {
    root: SpanContext,
}

impl Registration {
    fn open() -> Registration {
        if !is_installed() {
            // Losing this race to another test's install is fine: any
            // installed tracer records.
            Tracer::builder()
                .without_default_exporter()
                .install_provisional();
        }
        let root = SpanContext::new(
            crate::local::new_trace_id(),
            crate::local::new_span_id(),
            true,
        )
        .with_random_trace_id(true);
        // Captures watch as an observer of the engine, which shows them
        // what finishes without depending on this module.
        observe::register(|| Observer {
            finished: offer_to_open,
            forces_sampling: is_captured,
        });
        captures().push(Open {
            trace_id: root.trace_id(),
            root: root.span_id(),
            spans: Vec::new(),
        });
        observe::start_watching();
        Registration { root }
    }

    fn context(&self) -> Context {
        Context::from_span_context(self.root.clone())
    }

    fn close(self) -> Vec<SpanRecord> {
        let mut captures = captures();
        captures
            .iter()
            .position(|o| o.trace_id == self.root.trace_id())
            .map(|i| std::mem::take(&mut captures[i].spans))
            .unwrap_or_default()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut captures = captures();
        if let Some(i) = captures
            .iter()
            .position(|o| o.trace_id == self.root.trace_id())
        {
            captures.swap_remove(i);
            observe::stop_watching();
        }
    }
}
