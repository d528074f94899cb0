//! Many traced tasks interleaved on few workers: every span keeps its own
//! parent, however the executor moves and interleaves the tasks.

use std::collections::HashMap;

use tracekit::{FutureExt, SpanRecord, TagValue, testing, traced};

#[traced]
async fn leaf(task: u64, step: u64) -> u64 {
    for _ in 0..(step % 3) {
        tokio::task::yield_now().await;
    }
    task * 100 + step
}

#[traced]
async fn task_root(task: u64) -> u64 {
    let mut sum = 0;
    for step in 0..5 {
        sum += leaf(task, step).await;
        tokio::task::yield_now().await;
    }
    sum
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_interleaved_tasks_on_two_workers_never_get_a_wrong_parent() {
    const TASKS: u64 = 200;
    let ((), spans) = testing::capture_async(async {
        let handles: Vec<_> = (0..TASKS)
            .map(|task| tokio::spawn(task_root(task)))
            .collect();
        for (task, handle) in handles.into_iter().enumerate() {
            let task = task as u64;
            assert_eq!(
                handle.await.unwrap(),
                (0..5).map(|s| task * 100 + s).sum::<u64>()
            );
        }
    })
    .await;

    let roots: HashMap<i64, &SpanRecord> = spans
        .iter()
        .filter(|s| s.name == "task_root")
        .map(|s| (s.tag("task").and_then(TagValue::as_i64).unwrap(), s))
        .collect();
    assert_eq!(roots.len(), TASKS as usize);
    let leaves: Vec<&SpanRecord> = spans.iter().filter(|s| s.name == "leaf").collect();
    assert_eq!(leaves.len(), (TASKS * 5) as usize);
    for leaf in leaves {
        let task = leaf.tag("task").and_then(TagValue::as_i64).unwrap();
        assert_eq!(
            leaf.parent_id,
            Some(roots[&task].span_id),
            "leaf of task {task} has a wrong parent"
        );
    }
    assert!(roots.values().all(|root| root.parent_id.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_current_context_carries_the_parent_into_a_plain_spawned_future() {
    let ((), spans) = testing::capture_async(async {
        let parent = tracekit::global().span("parent").start();
        let scope = parent.activate();
        let handle = tokio::spawn(async { leaf(1, 1).await }.with_current_context());
        drop(scope);
        handle.await.unwrap();
    })
    .await;
    let parent = spans.iter().find(|s| s.name == "parent").unwrap();
    let leaf = spans.iter().find(|s| s.name == "leaf").unwrap();
    assert_eq!(leaf.parent_id, Some(parent.span_id));
}

#[tokio::test(flavor = "current_thread")]
async fn interleaved_tasks_on_one_thread_do_not_see_each_others_spans() {
    let ((), spans) = testing::capture_async(async {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let a = tokio::task::spawn_local(task_root(1).with_current_context());
                let b = tokio::task::spawn_local(task_root(2).with_current_context());
                a.await.unwrap();
                b.await.unwrap();
            })
            .await;
    })
    .await;
    let roots: Vec<&SpanRecord> = spans.iter().filter(|s| s.name == "task_root").collect();
    for leaf in spans.iter().filter(|s| s.name == "leaf") {
        let task = leaf.tag("task").unwrap();
        let root = roots.iter().find(|r| r.tag("task") == Some(task)).unwrap();
        assert_eq!(leaf.parent_id, Some(root.span_id));
    }
}
