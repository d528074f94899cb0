//! What the viewer's tests share: the repository's root and the test
//! command's Python virtualenv (Playwright, OpenTelemetry's SDK).

use std::path::{Path, PathBuf};

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
