//! One context for `tracing` and tracekit: each nests in the other, sync
//! and async, across tasks and threads; explicit parents, roots,
//! follows-from, and a span filtered out.

use std::sync::OnceLock;

use tracekit::{FutureExt as _, SpanRecord, testing, traced};
use tracing::Instrument;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt;

/// The tests' subscriber, for every thread: the bridge, with a per-layer
/// filter that leaves out the spans named `filtered`, beside a fmt layer
/// that takes everything (to nowhere).
fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let filter =
            tracing_subscriber::filter::filter_fn(|metadata| metadata.name() != "filtered");
        let subscriber = tracing_subscriber::registry()
            .with(tracekit_tracing::layer().with_filter(filter))
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
}

fn named<'a>(spans: &'a [SpanRecord], name: &str) -> &'a SpanRecord {
    spans
        .iter()
        .find(|span| span.name == name)
        .unwrap_or_else(|| panic!("no span {name} in {spans:?}"))
}

#[traced]
fn traced_work() {
    let inner = tracing::info_span!("tracing inside traced");
    let _entered = inner.enter();
}

#[test]
fn each_nests_in_the_other() {
    install();
    let (current, spans) = testing::capture(|| {
        let outer = tracing::info_span!("tracing outer");
        let _entered = outer.enter();
        traced_work();
        tracekit::context::span_id()
    });
    let outer = named(&spans, "tracing outer");
    assert_eq!(
        current,
        Some(outer.span_id),
        "tracekit's current names the entered tracing span"
    );
    let traced = named(&spans, "traced_work");
    let inner = named(&spans, "tracing inside traced");
    assert_eq!(traced.parent_id, Some(outer.span_id));
    assert_eq!(inner.parent_id, Some(traced.span_id));
    assert!(spans.iter().all(|span| span.trace_id == outer.trace_id));
}

#[traced]
fn traced_under(label: &'static str) {
    let _ = label;
}

#[test]
fn spans_entered_in_any_order_or_on_another_thread_are_each_the_active_one() {
    install();
    let (_, spans) = testing::capture(|| {
        let never_entered = tracing::info_span!("never entered");
        drop(never_entered);
        let first = tracing::info_span!("first");
        let second = tracing::info_span!("second");
        {
            // Made before the last span made on this thread (`second`).
            let _in_first = first.enter();
            traced_under("under first");
            // Made before too, entered inside the first, and again.
            let _in_second = second.enter();
            let _again = second.enter();
            traced_under("under second");
        }
        // Made here, entered first on another thread.
        let moved = tracing::info_span!("moved");
        std::thread::scope(|threads| {
            threads.spawn(|| {
                let _in_moved = moved.enter();
                traced_under("under moved");
            });
        });
        let _in_moved_here = moved.enter();
        traced_under("under moved, here");
    });
    let parent_of = |label: &str| {
        spans
            .iter()
            .find(|span| span.tag("label").and_then(|value| value.as_str()) == Some(label))
            .unwrap_or_else(|| panic!("no call {label} in {spans:?}"))
            .parent_id
    };
    let id_of = |name: &str| Some(named(&spans, name).span_id);
    assert_eq!(parent_of("under first"), id_of("first"));
    assert_eq!(parent_of("under second"), id_of("second"));
    assert_eq!(parent_of("under moved"), id_of("moved"));
    assert_eq!(parent_of("under moved, here"), id_of("moved"));
    // Kept for an enter that never came, it still finished at its close.
    named(&spans, "never entered");
}

#[test]
fn explicit_parents_roots_and_follows_from() {
    install();
    let (_, spans) = testing::capture(|| {
        let a = tracing::info_span!("a");
        let b = tracing::info_span!("b");
        let _in_b = b.enter();
        // Made inside b, but its parent is a.
        let child = tracing::info_span!(parent: &a, "child of a");
        let cause = tracing::info_span!("cause");
        child.follows_from(&cause);
        let closed = tracing::info_span!("closed");
        let closed_id = closed.id();
        drop(closed);
        // A closed cause adds nothing and fails nothing.
        child.follows_from(closed_id);
        drop(child);
        let root = tracing::info_span!(parent: None, "root");
        drop(root);
    });
    let a = named(&spans, "a");
    let b = named(&spans, "b");
    let child = named(&spans, "child of a");
    let cause = named(&spans, "cause");
    assert_eq!(child.parent_id, Some(a.span_id));
    assert_eq!(b.parent_id, None, "b is the capture's root");
    assert_eq!(child.follows_from.len(), 1);
    assert_eq!(child.follows_from[0].span_id(), cause.span_id);
    // A root starts a trace of its own: not among the capture's spans.
    assert!(spans.iter().all(|span| span.name != "root"));
}

#[test]
fn a_span_filtered_out_leaves_its_children_to_its_traced_ancestor() {
    install();
    let (_, spans) = testing::capture(|| {
        let outer = tracing::info_span!("outer");
        let _outer = outer.enter();
        let filtered = tracing::info_span!("filtered");
        let _filtered = filtered.enter();
        let contextual = tracing::info_span!("contextual");
        drop(contextual);
        let explicit = tracing::info_span!(parent: &filtered, "explicit");
        drop(explicit);
        tracing::info!("an event in the filtered span");
    });
    let outer = named(&spans, "outer");
    assert!(spans.iter().all(|span| span.name != "filtered"));
    assert_eq!(named(&spans, "contextual").parent_id, Some(outer.span_id));
    assert_eq!(named(&spans, "explicit").parent_id, Some(outer.span_id));
    assert!(
        outer.log_event("an event in the filtered span").is_some(),
        "{outer:?}"
    );
}

#[test]
fn under_a_global_filter_a_contextual_child_goes_to_the_nearest_traced_span() {
    // A filter for the whole subscriber: the span filtered out does not
    // exist at all (an explicit child of it is a root, as `tracing` makes
    // it).
    let filter = tracing_subscriber::filter::filter_fn(|metadata| metadata.name() != "filtered");
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(tracekit_tracing::layer());
    let (_, spans) = testing::capture(|| {
        tracing::subscriber::with_default(subscriber, || {
            let outer = tracing::info_span!("outer");
            let _outer = outer.enter();
            let filtered = tracing::info_span!("filtered");
            let _filtered = filtered.enter();
            drop(tracing::info_span!("contextual"));
        })
    });
    let outer = named(&spans, "outer");
    assert_eq!(named(&spans, "contextual").parent_id, Some(outer.span_id));
    assert_eq!(spans.len(), 2);
}

#[test]
fn under_an_env_filter_spans_below_its_level_leave_their_children_to_the_nearest() {
    let filter = tracing_subscriber::EnvFilter::new("info,noisy=off");
    let subscriber = tracing_subscriber::registry()
        .with(tracekit_tracing::layer().with_filter(filter))
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::sink));
    let (_, spans) = testing::capture(|| {
        tracing::subscriber::with_default(subscriber, || {
            let outer = tracing::info_span!("outer");
            let _outer = outer.enter();
            // Below the filter's level, and a span the filter names off.
            let detail = tracing::debug_span!("detail");
            let _detail = detail.enter();
            let noisy = tracing::info_span!(target: "noisy", "noisy");
            let _noisy = noisy.enter();
            drop(tracing::info_span!("kept"));
            tracing::debug!("a debug event, filtered");
        })
    });
    let names: Vec<&str> = spans.iter().map(|span| span.name.as_ref()).collect();
    assert_eq!(names, ["kept", "outer"]);
    assert_eq!(spans[0].parent_id, Some(spans[1].span_id));
    assert!(spans[1].logs.is_empty());
}

#[traced]
async fn traced_async() {
    tokio::task::yield_now().await;
    async {
        tokio::task::yield_now().await;
    }
    .instrument(tracing::info_span!("tracing inside traced async"))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn across_await_spawn_and_threads() {
    install();
    let (_, spans) = testing::capture_async(async {
        let request = tracing::info_span!("request");
        async {
            tokio::task::yield_now().await;
            traced_async().await;
            // A task of its own, instrumented with a child span.
            let task = tokio::spawn(
                async {
                    tokio::task::yield_now().await;
                    tracing::info!("in the task");
                }
                .instrument(tracing::info_span!("spawned")),
            );
            task.await.unwrap();
            // A task that carries tracekit's current context: the entered
            // `tracing` span.
            let carried = tokio::spawn(
                async {
                    tokio::task::yield_now().await;
                    drop(tracing::info_span!("in a carried task"));
                }
                .with_current_context(),
            );
            carried.await.unwrap();
            // A thread, entering a span made here.
            let on_thread = tracing::info_span!("on thread");
            std::thread::spawn(move || {
                let _entered = on_thread.enter();
                let _child = tracing::info_span!("child on thread").entered();
            })
            .join()
            .unwrap();
        }
        .instrument(request)
        .await;
    })
    .await;
    let request = named(&spans, "request");
    let traced = named(&spans, "traced_async");
    let inner = named(&spans, "tracing inside traced async");
    let spawned = named(&spans, "spawned");
    let on_thread = named(&spans, "on thread");
    let child = named(&spans, "child on thread");
    assert_eq!(traced.parent_id, Some(request.span_id));
    assert_eq!(inner.parent_id, Some(traced.span_id));
    assert_eq!(spawned.parent_id, Some(request.span_id));
    assert!(spawned.log_event("in the task").is_some());
    assert_eq!(on_thread.parent_id, Some(request.span_id));
    assert_eq!(
        named(&spans, "in a carried task").parent_id,
        Some(request.span_id)
    );
    assert_eq!(child.parent_id, Some(on_thread.span_id));
}
