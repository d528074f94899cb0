//! A span as the viewer keeps it, whichever way it came (OTLP protobuf,
//! OTLP JSON, tracekit's JSON lines): the columns it is searched and drawn
//! by, and the rest as JSON for the page.

use std::sync::Arc;

/// One span.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    /// 32 lower-case hex digits.
    pub trace_id: String,
    /// 16 lower-case hex digits.
    pub span_id: String,
    /// The parent's span id; `None` for a root.
    pub parent_id: Option<String>,
    /// The operation's name.
    pub name: String,
    /// The `service.name` of the process that made it.
    pub service: String,
    /// `internal`, `server`, `client`, `producer`, `consumer`.
    pub kind: String,
    /// Nanoseconds since the Unix epoch.
    pub start: i64,
    /// Nanoseconds since the Unix epoch (never before `start`).
    pub end: i64,
    /// Whether it failed.
    pub error: bool,
    /// What the page shows beside the columns, as JSON text: `tags`
    /// (key and value), `logs` (`{"time", "name", "fields"}`), `links`
    /// (`{"trace_id", "span_id", "attributes"}`), `baggage`,
    /// `status_message`. Written straight from what was received (see
    /// [`Detail`]), not built as values first: most of ingesting is this.
    pub detail: String,
    /// The process's resource (`service.name`, ...) as a JSON object's
    /// text, shared by the spans of one process (and kept once in the
    /// store).
    pub resource: Arc<str>,
}

/// A span's detail being written as JSON text, member by member.
pub struct Detail {
    text: String,
}

impl Default for Detail {
    fn default() -> Self {
        Detail {
            text: String::with_capacity(384),
        }
    }
}

impl Detail {
    /// Starts the member `name` (a plain ASCII key); its value is written
    /// to the returned text next.
    pub fn member(&mut self, name: &str) -> &mut String {
        self.text.push(if self.text.is_empty() { '{' } else { ',' });
        self.text.push('"');
        self.text.push_str(name);
        self.text.push_str("\":");
        &mut self.text
    }

    /// The member `name` as a JSON value.
    pub fn value(&mut self, name: &str, value: &impl serde::Serialize) {
        let text = serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned());
        self.member(name).push_str(&text);
    }

    /// The object.
    pub fn finish(mut self) -> String {
        if self.text.is_empty() {
            self.text.push('{');
        }
        self.text.push('}');
        self.text
    }
}

/// Writes `text` as a JSON string.
pub fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut plain = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&text[plain..at]);
        if escaped.is_empty() {
            out.push_str(&format!("\\u{byte:04x}"));
        } else {
            out.push_str(escaped);
        }
        plain = at + 1;
    }
    out.push_str(&text[plain..]);
    out.push('"');
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digits: Vec<u8> = bytes
        .iter()
        .flat_map(|byte| {
            [
                DIGITS[usize::from(byte >> 4)],
                DIGITS[usize::from(byte & 15)],
            ]
        })
        .collect();
    // Hex digits are ASCII: this never fails.
    String::from_utf8(digits).unwrap_or_default()
}

/// Whether `text` is `len` hex digits, not all zero (an id).
pub fn is_id(text: &str, len: usize) -> bool {
    text.len() == len
        && text.bytes().all(|b| b.is_ascii_hexdigit())
        && text.bytes().any(|b| b != b'0')
}
