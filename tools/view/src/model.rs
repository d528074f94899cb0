//! A span as the viewer keeps it, whichever way it came (OTLP protobuf,
//! OTLP JSON, tracekit's JSON lines): the columns it is searched and drawn
//! by, and the rest as JSON for the page.

use serde_json::{Map, Value};

/// One span.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// 32 lower-case hex digits.
    pub trace_id: String,
    /// 16 lower-case hex digits.
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub service: String,
    /// `internal`, `server`, `client`, `producer`, `consumer`.
    pub kind: String,
    /// Nanoseconds since the Unix epoch.
    pub start: i64,
    pub end: i64,
    pub error: bool,
    /// Tags, as the page shows them: key and JSON value.
    pub tags: Map<String, Value>,
    /// Logs (events): `{"time": nanos, "name": .., "fields": {..}}`.
    pub logs: Vec<Value>,
    /// Links and follows-from references: `{"trace_id", "span_id", "attributes"}`.
    pub links: Vec<Value>,
    pub baggage: Map<String, Value>,
    /// The process's resource (`service.name`, ...).
    pub resource: Map<String, Value>,
    /// The status message of a failed span, when one was given.
    pub status_message: Option<String>,
}

impl Span {
    /// What the page reads beside the columns.
    pub fn detail(&self) -> Value {
        serde_json::json!({
            "tags": self.tags,
            "logs": self.logs,
            "links": self.links,
            "baggage": self.baggage,
            "resource": self.resource,
            "status_message": self.status_message,
        })
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    text
}

/// Whether `text` is `len` hex digits, not all zero (an id).
pub fn is_id(text: &str, len: usize) -> bool {
    text.len() == len
        && text.bytes().all(|b| b.is_ascii_hexdigit())
        && text.bytes().any(|b| b != b'0')
}
