//! What the viewer's tests share: the repository's root, the test
//! command's Python virtualenv (Playwright, OpenTelemetry's SDK), a viewer
//! on a store of its own, and the checkout trace they send.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use tracekit::{SpanKind, Tracer};
use tracekit_view::{Config, Viewer};

pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The virtualenv's Python; the test fails, never skips, without it.
pub fn python() -> PathBuf {
    let path = std::env::var_os("TRACEKIT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repository().join("target/interop-venv/bin/python"));
    assert!(
        path.exists(),
        "the Python peers are not set up ({}): run scripts/test-all.sh, which makes them",
        path.display()
    );
    path
}

/// A store file of this test's own, named after `test`.
pub fn store_path(test: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "tracekit-view-{test}-{}-{}.db",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    remove_store(&path);
    path
}

/// The store file and SQLite's files beside it.
pub fn remove_store(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A viewer on a free loopback port, keeping at most `max_bytes` in
/// `store`, taking bodies of at most 1 MB.
pub fn viewer(store: &Path, max_bytes: u64) -> Viewer {
    tracekit_view::start(Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        store: store.to_owned(),
        max_bytes,
        max_body: 1 << 20,
        import: Vec::new(),
    })
    .expect("the viewer starts")
}

/// A checkout trace sent through `tracer`: a server root (`http.route`),
/// a client child that failed, and a grandchild with the tag `note`; its
/// trace id, once delivered.
pub fn checkout(tracer: &Tracer, note: (&'static str, &str)) -> String {
    let root = tracer
        .span("GET /checkout")
        .kind(SpanKind::Server)
        .tag("http.route", "/checkout")
        .start();
    let trace_id = root.trace_id().to_string();
    {
        let pay = tracer
            .span("pay")
            .child_of(&root)
            .kind(SpanKind::Client)
            .start();
        pay.record_error("CardDeclined", "card declined");
        let _check = tracer
            .span("check card")
            .child_of(&pay)
            .tag(note.0, note.1.to_owned())
            .start();
    }
    drop(root);
    tracer.flush().expect("delivered");
    trace_id
}
