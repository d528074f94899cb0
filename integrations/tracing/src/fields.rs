//! A `tracing` span's or event's fields as tracekit reads them: typed tags
//! (integers, floats, booleans, strings; `?` and `%` values as their
//! text), and the fields tracing-opentelemetry's users write to name a
//! span (`otel.name`), give its kind (`otel.kind`) or fail it
//! (`otel.status_code = "ERROR"`, an `error` field).

use std::borrow::Cow;
use std::fmt;

use tracekit_runtime::{SpanBuilder, SpanKind, SpanRef, TagValue, Text};
use tracing_core::field::{Field, Visit};

/// What the fields say besides their tags.
#[derive(Default)]
pub(crate) struct Special {
    /// `otel.name`: the span's name.
    pub name: Option<String>,
    /// `otel.kind`.
    pub kind: Option<SpanKind>,
    /// Why the span failed: an `error` field's text, or
    /// `otel.status_code = "ERROR"` (with `otel.status_description`).
    pub error: Option<String>,
    status_error: bool,
    status_message: Option<String>,
}

impl Special {
    /// The failure the fields describe, if any.
    pub fn failure(&mut self) -> Option<String> {
        self.error.take().or_else(|| {
            self.status_error
                .then(|| self.status_message.take().unwrap_or_default())
        })
    }
}

/// Where tags go: a builder before the start, a span after.
pub(crate) trait Sink {
    fn tag(&mut self, key: &'static str, value: TagValue);
}

impl Sink for SpanBuilder<'_> {
    fn tag(&mut self, key: &'static str, value: TagValue) {
        self.set_tag(key, value);
    }
}

impl Sink for &SpanRef {
    fn tag(&mut self, key: &'static str, value: TagValue) {
        self.set_tag(key, value);
    }
}

/// Log fields, in order.
impl Sink for Vec<(Cow<'static, str>, TagValue)> {
    fn tag(&mut self, key: &'static str, value: TagValue) {
        self.push((Cow::Borrowed(key), value));
    }
}

/// Reads fields into `sink`, the special ones into `special`.
pub(crate) struct Fields<'a, S> {
    pub sink: &'a mut S,
    pub special: Special,
}

impl<'a, S: Sink> Fields<'a, S> {
    pub fn new(sink: &'a mut S) -> Self {
        Fields {
            sink,
            special: Special::default(),
        }
    }

    /// A field of text: special by its name, else a tag.
    fn text(&mut self, field: &Field, text: Cow<'_, str>) {
        let name = field.name();
        // Most fields are plain tags: one comparison tells them apart.
        if !name.starts_with("otel.") && name != "error" {
            self.sink.tag(name, TagValue::Str(Text::new(&text)));
            return;
        }
        match name {
            "otel.name" => self.special.name = Some(text.into_owned()),
            "otel.kind" => self.special.kind = kind(&text),
            "otel.status_code" => self.special.status_error = text.eq_ignore_ascii_case("error"),
            "otel.status_description" | "otel.status_message" => {
                self.special.status_message = Some(text.into_owned())
            }
            name => {
                if name == "error" {
                    self.special.error = Some(text.to_string());
                }
                self.sink.tag(name, TagValue::Str(Text::new(&text)));
            }
        }
    }
}

/// `otel.kind`'s values, in any case.
fn kind(text: &str) -> Option<SpanKind> {
    let kinds = [
        ("server", SpanKind::Server),
        ("client", SpanKind::Client),
        ("producer", SpanKind::Producer),
        ("consumer", SpanKind::Consumer),
        ("internal", SpanKind::Internal),
    ];
    kinds
        .into_iter()
        .find(|(name, _)| text.eq_ignore_ascii_case(name))
        .map(|(_, kind)| kind)
}

impl<S: Sink> Visit for Fields<'_, S> {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.sink.tag(field.name(), TagValue::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.sink.tag(field.name(), TagValue::from(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        match i64::try_from(value) {
            Ok(value) => self.record_i64(field, value),
            Err(_) => self.text(field, Cow::Owned(value.to_string())),
        }
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        match u64::try_from(value) {
            Ok(value) => self.record_u64(field, value),
            Err(_) => self.text(field, Cow::Owned(value.to_string())),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.sink.tag(field.name(), TagValue::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.sink.tag(field.name(), TagValue::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.text(field, Cow::Borrowed(value));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let text = value.to_string();
        if field.name() != "error" {
            // An error under any name fails the span.
            self.special.error = Some(text.clone());
        }
        self.text(field, Cow::Owned(text));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%value` arrives here too, its Debug being its Display.
        self.text(field, Cow::Owned(format!("{value:?}")));
    }
}
