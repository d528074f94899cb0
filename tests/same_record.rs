//! One call, many paths: whether a traced call is sync or async, hooked or
//! not, its async span lent to each poll or pushed on the stack, finished
//! at once or parked between polls, the record it leaves is the same
//! (names, ids and times aside).

#[path = "support/poll.rs"]
mod poll;

use poll::{YieldOnce, poll_to_end};
use tracekit::{Hooks, SpanRecord, TagValue, testing, traced};

struct Quiet;
impl Hooks for Quiet {}

#[traced(tags(region = "eu"))]
fn sync_call(user: u64, name: &str) -> Result<u32, String> {
    Err(format!("{name} {user}"))
}

#[traced(tags(region = "eu"), hooks = Quiet)]
fn hooked_call(user: u64, name: &str) -> Result<u32, String> {
    Err(format!("{name} {user}"))
}

#[traced(tags(region = "eu"))]
async fn lent_call(user: u64, name: &str) -> Result<u32, String> {
    Err(format!("{name} {user}"))
}

#[traced]
fn inner() {}

#[traced(tags(region = "eu"))]
async fn pushed_call(user: u64, name: &str) -> Result<u32, String> {
    inner(); // a child: the poll pushes the lent span to be its parent
    Err(format!("{name} {user}"))
}

#[traced(tags(region = "eu"))]
async fn parked_call(user: u64, name: &str) -> Result<u32, String> {
    YieldOnce::default().await;
    Err(format!("{name} {user}"))
}

#[traced(tags(region = "eu"), hooks = Quiet)]
async fn hooked_async_call(user: u64, name: &str) -> Result<u32, String> {
    YieldOnce::default().await;
    Err(format!("{name} {user}"))
}

/// Keys and values, in order.
type Fields = Vec<(String, TagValue)>;

/// What a record says, apart from its name, ids and times: its tags, its
/// logs' fields, and whether it failed.
fn content(span: &SpanRecord) -> (Fields, Vec<Fields>, bool) {
    let tags = span
        .tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let logs = span
        .logs
        .iter()
        .map(|log| {
            log.fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        })
        .collect();
    (tags, logs, span.is_error())
}

#[test]
fn every_path_leaves_the_same_record_for_the_same_call() {
    let (_, spans) = testing::capture(|| {
        let _ = sync_call(7, "ada");
        let _ = hooked_call(7, "ada");
        let _ = poll::poll_once(lent_call(7, "ada"));
        let _ = poll::poll_once(pushed_call(7, "ada"));
        let _ = poll_to_end(parked_call(7, "ada"));
        let _ = poll_to_end(hooked_async_call(7, "ada"));
    });
    let calls: Vec<&SpanRecord> = spans.iter().filter(|s| s.name != "inner").collect();
    let names: Vec<&str> = calls.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "sync_call",
            "hooked_call",
            "lent_call",
            "pushed_call",
            "parked_call",
            "hooked_async_call"
        ]
    );
    let expected = content(calls[0]);
    assert_eq!(
        expected.0.len(),
        5,
        "region, user, name, error, error.type: {:?}",
        expected.0
    );
    assert!(expected.2);
    for call in &calls[1..] {
        assert_eq!(content(call), expected, "{}", call.name);
        assert_eq!(call.parent_id, calls[0].parent_id, "{}", call.name);
    }
    let inner = spans.iter().find(|s| s.name == "inner").expect("the child");
    let pushed = calls[3];
    assert_eq!(inner.parent_id, Some(pushed.span_id));
}
