//! The real servers the tests start: PostgreSQL and MariaDB, each on a
//! loopback port and in a directory of its own.

// Each test binary starts the servers it needs, not all of them.
#![allow(dead_code)]

// The facade's tests' tracer, exporting to memory: what is made with no
// capture (no parent) is found there.
#[path = "../../../../tests/support/exported.rs"]
pub mod exported;
pub mod mariadb;
pub mod postgres;
mod process;

use tracekit::{SpanRecord, TagValue};

/// A string tag's value, as `span.tag` gives it.
pub fn text(value: &str) -> Option<TagValue> {
    Some(TagValue::from(value.to_owned()))
}

/// The value of `span`'s tag `key`.
pub fn tag(span: &SpanRecord, key: &str) -> Option<TagValue> {
    span.tag(key).cloned()
}
