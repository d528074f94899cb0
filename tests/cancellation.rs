//! A traced future dropped before it completes finishes its span as cancelled.

use std::time::Duration;

use tracekit::{FutureExt, TagValue, testing, traced};

#[traced]
async fn slow() -> u32 {
    tokio::time::sleep(Duration::from_secs(60)).await;
    1
}

#[traced]
async fn quick() -> u32 {
    2
}

#[tokio::test]
async fn a_future_dropped_by_a_timeout_is_tagged_cancelled() {
    let (timed_out, spans) = testing::capture_async(async {
        tokio::time::timeout(Duration::from_millis(10), slow())
            .await
            .is_err()
    })
    .await;
    assert!(timed_out);
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].tag("cancelled"), Some(&TagValue::Bool(true)));
    assert!(!spans[0].is_error(), "cancellation is not an error");
}

#[tokio::test]
async fn a_completed_future_is_not_cancelled() {
    let (_, spans) = testing::capture_async(async { quick().await }).await;
    assert_eq!(spans[0].tag("cancelled"), None);
}

#[tokio::test]
async fn the_losing_branch_of_select_is_cancelled() {
    let (winner, spans) = testing::capture_async(async {
        tokio::select! {
            v = slow() => v,
            v = quick() => v,
        }
    })
    .await;
    assert_eq!(winner, 2);
    let slow = spans.iter().find(|s| s.name == "slow").unwrap();
    let quick = spans.iter().find(|s| s.name == "quick").unwrap();
    assert_eq!(slow.tag("cancelled"), Some(&TagValue::Bool(true)));
    assert_eq!(quick.tag("cancelled"), None);
}

#[test]
fn a_traced_future_never_polled_is_cancelled_when_dropped() {
    let ((), spans) = testing::capture(|| drop(slow()));
    assert_eq!(spans[0].tag("cancelled"), Some(&TagValue::Bool(true)));
}

#[tokio::test]
async fn in_span_tags_its_span_cancelled_when_dropped_early() {
    let ((), spans) = testing::capture_async(async {
        let span = tracekit::global().span("manual").start();
        let _ = tokio::time::timeout(
            Duration::from_millis(5),
            tokio::time::sleep(Duration::from_secs(60)).in_span(span),
        )
        .await;
    })
    .await;
    assert_eq!(spans[0].tag("cancelled"), Some(&TagValue::Bool(true)));
}
