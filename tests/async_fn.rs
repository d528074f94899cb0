//! `#[traced]` on async functions and functions that return futures.

use std::future::Future;
use std::pin::Pin;

use tracekit::{FutureExt, SpanRecord, TagValue, testing, traced, with_active_span};

fn find<'a>(spans: &'a [SpanRecord], name: &str) -> &'a SpanRecord {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        panic!(
            "no span {name:?} in {:?}",
            spans.iter().map(|s| &s.name).collect::<Vec<_>>()
        )
    })
}

#[traced]
async fn fetch(id: u32) -> u32 {
    tokio::task::yield_now().await;
    id * 2
}

#[traced]
async fn fetch_both() -> u32 {
    fetch(1).await + fetch(2).await
}

#[tokio::test]
async fn an_async_fn_span_covers_its_awaits_and_children_find_it_as_parent() {
    let (out, spans) = testing::capture_async(async { fetch_both().await }).await;
    assert_eq!(out, 6);
    let parent = find(&spans, "fetch_both");
    let children: Vec<&SpanRecord> = spans.iter().filter(|s| s.name == "fetch").collect();
    assert_eq!(children.len(), 2);
    for child in children {
        assert_eq!(child.parent_id, Some(parent.span_id));
        assert!(child.start >= parent.start && child.end <= parent.end);
    }
}

#[traced]
async fn polled_three_times() -> usize {
    let mut seen = 0;
    for _ in 0..3 {
        // The span is active on every poll, including those after a yield.
        if with_active_span(|span| span.set_tag("polled", true)).is_some() {
            seen += 1;
        }
        tokio::task::yield_now().await;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_span_is_active_on_every_poll() {
    let (seen, spans) = testing::capture_async(async { polled_three_times().await }).await;
    assert_eq!(seen, 3);
    assert_eq!(spans[0].tag("polled"), Some(&TagValue::Bool(true)));
}

#[traced]
async fn spawned_child() -> &'static str {
    tokio::task::yield_now().await;
    "done"
}

#[traced]
async fn spawning_parent() -> &'static str {
    // The future is created here, so its span's parent is this span even
    // though another worker polls it.
    let handle = tokio::spawn(spawned_child());
    handle.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_traced_call_keeps_the_parent_it_was_called_under() {
    let (out, spans) = testing::capture_async(async { spawning_parent().await }).await;
    assert_eq!(out, "done");
    let parent = find(&spans, "spawning_parent");
    assert_eq!(
        find(&spans, "spawned_child").parent_id,
        Some(parent.span_id)
    );
}

struct Store {
    prefix: String,
}

impl Store {
    #[traced]
    async fn get(&self, key: &str) -> String {
        tokio::task::yield_now().await;
        format!("{}{key}", self.prefix)
    }

    #[traced]
    async fn rename(&mut self, prefix: String) -> &str {
        self.prefix = prefix;
        &self.prefix
    }
}

#[tokio::test]
async fn async_methods_borrowing_self_are_traced() {
    let (out, spans) = testing::capture_async(async {
        let mut store = Store {
            prefix: "a:".into(),
        };
        let first = store.get("k").await;
        let prefix = store.rename("b:".into()).await.to_owned();
        (first, prefix)
    })
    .await;
    assert_eq!(out, ("a:k".to_owned(), "b:".to_owned()));
    assert_eq!(
        find(&spans, "get").tag("key").and_then(TagValue::as_str),
        Some("k")
    );
    assert_eq!(
        find(&spans, "rename")
            .tag("prefix")
            .and_then(TagValue::as_str),
        Some("b:")
    );
}

trait Repository {
    async fn load(&self, id: u64) -> Option<String>;
}

struct Memory;

impl Repository for Memory {
    #[traced]
    async fn load(&self, id: u64) -> Option<String> {
        tokio::task::yield_now().await;
        (id == 1).then(|| "one".to_owned())
    }
}

#[tokio::test]
async fn async_fn_in_a_trait_impl_is_traced() {
    let (out, spans) = testing::capture_async(async { Memory.load(1).await }).await;
    assert_eq!(out.as_deref(), Some("one"));
    assert_eq!(spans[0].name, "load");
    assert_eq!(spans[0].tag("id"), Some(&TagValue::I64(1)));
}

#[traced]
fn returns_impl_future(base: u32) -> impl Future<Output = u32> + Send {
    // Built under the span; the span stays open until the future completes.
    let step = with_active_span(|_| 1).unwrap_or(0);
    async move {
        tokio::task::yield_now().await;
        base + step + fetch(0).await
    }
}

#[tokio::test]
async fn a_function_returning_impl_future_is_traced_until_the_future_completes() {
    let (out, spans) = testing::capture_async(async { returns_impl_future(10).await }).await;
    assert_eq!(out, 11, "the body ran with the span active");
    let outer = find(&spans, "returns_impl_future");
    assert_eq!(find(&spans, "fetch").parent_id, Some(outer.span_id));
}

#[async_trait::async_trait]
trait Greeter {
    async fn greet(&self, name: &str) -> String;
}

struct English;

#[async_trait::async_trait]
impl Greeter for English {
    #[traced]
    async fn greet(&self, name: &str) -> String {
        tokio::task::yield_now().await;
        let inner = fetch(1).await;
        format!("hello {name} {inner}")
    }
}

#[tokio::test]
async fn the_boxed_future_of_async_trait_is_traced_not_just_built() {
    let (out, spans) = testing::capture_async(async {
        let greeter: Box<dyn Greeter + Send + Sync> = Box::new(English);
        greeter.greet("ada").await
    })
    .await;
    assert_eq!(out, "hello ada 2");
    let greet = find(&spans, "greet");
    assert_eq!(greet.tag("name").and_then(TagValue::as_str), Some("ada"));
    // The child ran inside the boxed future, so the span was active there.
    assert_eq!(find(&spans, "fetch").parent_id, Some(greet.span_id));
    assert!(greet.end >= find(&spans, "fetch").end);
}

#[traced]
fn boxed(n: u64) -> Pin<Box<dyn Future<Output = u64> + Send>> {
    Box::pin(async move { n + 1 })
}

#[tokio::test]
async fn a_function_returning_a_pinned_box_future_is_traced() {
    let (out, spans) = testing::capture_async(async { boxed(1).await }).await;
    assert_eq!(out, 2);
    assert_eq!(spans[0].name, "boxed");
}

#[traced]
async fn fibonacci(n: u64) -> u64 {
    if n < 2 {
        n
    } else {
        Box::pin(fibonacci(n - 1)).await + Box::pin(fibonacci(n - 2)).await
    }
}

#[tokio::test]
async fn async_recursion_nests_spans() {
    let (out, spans) = testing::capture_async(async { fibonacci(4).await }).await;
    assert_eq!(out, 3);
    assert_eq!(spans.len(), 9, "fib(4) makes 9 calls");
    let roots: Vec<&SpanRecord> = spans.iter().filter(|s| s.parent_id.is_none()).collect();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].tag("n"), Some(&TagValue::I64(4)));
}

#[traced]
async fn keeps_wildcard_argument(_: DropFlag, value: u8) -> u8 {
    tokio::task::yield_now().await;
    value
}

struct DropFlag(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn like_an_async_fn_the_future_holds_every_argument_until_it_completes() {
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let future = keeps_wildcard_argument(DropFlag(dropped.clone()), 3);
    assert!(!dropped.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(future.await, 3);
    assert!(dropped.load(std::sync::atomic::Ordering::SeqCst));
}

#[tokio::test]
async fn in_span_runs_any_future_inside_a_span() {
    let ((), spans) = testing::capture_async(async {
        let span = tracekit::global().span("manual").start();
        async {
            fetch(5).await;
        }
        .in_span(span)
        .await;
    })
    .await;
    assert_eq!(
        find(&spans, "fetch").parent_id,
        Some(find(&spans, "manual").span_id)
    );
}

#[traced(child_of = parent)]
async fn fetch_under(parent: &tracekit::SpanContext) -> u32 {
    tokio::task::yield_now().await;
    // Still this call's span after the await: children find it.
    fetch(3).await
}

#[traced(follows_from = cause)]
async fn fetch_after(cause: Option<tracekit::SpanContext>) {
    tokio::task::yield_now().await;
}

#[tokio::test]
async fn an_async_fn_with_references_keeps_them_across_its_awaits() {
    let ((), spans) = testing::capture_async(async {
        let tracer = tracekit::global();
        let explicit = tracer.span("explicit").start();
        let active = tracer.span("active").start();
        let context = explicit.context();
        fetch_under(&context).in_span(active).await;
        fetch_after(Some(context)).await;
    })
    .await;
    let explicit = find(&spans, "explicit");
    let active = find(&spans, "active");
    let under = find(&spans, "fetch_under");
    assert_eq!(
        under.parent_id,
        Some(explicit.span_id),
        "child_of, not the active span"
    );
    assert_ne!(under.parent_id, Some(active.span_id));
    assert_eq!(find(&spans, "fetch").parent_id, Some(under.span_id));
    let after = find(&spans, "fetch_after");
    assert_eq!(after.follows_from[0].span_id(), explicit.span_id);
}

#[traced]
async fn context_after_a_yield() -> Option<tracekit::SpanContext> {
    tokio::task::yield_now().await;
    tracekit::context::current().span_context()
}

#[traced(skip(inner))]
async fn awaits_a_future_made_elsewhere(
    inner: impl Future<Output = Option<tracekit::SpanContext>>,
) -> [Option<tracekit::SpanContext>; 2] {
    let seen_by_inner = inner.await;
    [seen_by_inner, tracekit::context::current().span_context()]
}

#[tokio::test]
async fn a_traced_future_polled_inside_another_sees_itself_active_then_gives_way() {
    // The inner future's poll runs inside the outer's, before the outer
    // touched the stack: each is active during its own poll, and both leave.
    let (seen, spans) = testing::capture_async(async {
        let root = tracekit::global().span("root").start();
        let root_context = root.context();
        let (seen, after) = async {
            let made_elsewhere = context_after_a_yield();
            let seen = awaits_a_future_made_elsewhere(made_elsewhere).await;
            (seen, tracekit::context::current().span_context())
        }
        .in_span(root)
        .await;
        (seen, after, root_context)
    })
    .await;
    let ([by_inner, by_outer], after, root) = seen;
    let inner = find(&spans, "context_after_a_yield");
    let outer = find(&spans, "awaits_a_future_made_elsewhere");
    assert_eq!(by_inner.map(|c| c.span_id()), Some(inner.span_id));
    assert_eq!(by_outer.map(|c| c.span_id()), Some(outer.span_id));
    assert_eq!(after.map(|c| c.span_id()), Some(root.span_id()));
    // Each keeps the parent active where it was called.
    assert_eq!(inner.parent_id, Some(root.span_id()));
    assert_eq!(outer.parent_id, Some(root.span_id()));
}

/// Pending once, then ready, on any executor.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if std::mem::replace(&mut self.0, true) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }
}

#[traced]
async fn yields_once() {
    YieldOnce(false).await;
}

fn poll_once(future: Pin<&mut (impl Future + ?Sized)>) -> bool {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    future.poll(&mut cx).is_ready()
}

/// Runs what it holds when its thread's locals are destroyed.
struct AtThreadExit(Option<Box<dyn FnOnce()>>);

impl Drop for AtThreadExit {
    fn drop(&mut self) {
        if let Some(run) = self.0.take() {
            run();
        }
    }
}

thread_local! {
    static AT_THREAD_EXIT: std::cell::RefCell<AtThreadExit> =
        const { std::cell::RefCell::new(AtThreadExit(None)) };
}

#[test]
fn traced_futures_ending_after_their_threads_tracing_state_is_gone_are_still_recorded() {
    let ((), spans) = testing::capture(|| {
        let context = tracekit::context::current();
        std::thread::spawn(move || {
            // Registered before the thread's tracing state, so destroyed
            // after it: the futures below end with no scope stack left.
            AT_THREAD_EXIT.with(|_| ());
            let _scope = context.attach();
            let mut completed = Box::pin(yields_once());
            let mut dropped = Box::pin(yields_once());
            assert!(!poll_once(completed.as_mut()));
            assert!(!poll_once(dropped.as_mut()));
            AT_THREAD_EXIT.with(|at_exit| {
                at_exit.borrow_mut().0 = Some(Box::new(move || {
                    assert!(poll_once(completed.as_mut()));
                    drop(dropped);
                }));
            });
        })
        .join()
        .unwrap();
    });
    assert_eq!(spans.len(), 2, "{spans:?}");
    let cancelled = spans
        .iter()
        .filter(|s| s.tag("cancelled") == Some(&TagValue::Bool(true)))
        .count();
    assert_eq!(cancelled, 1, "the dropped one says so");
}
