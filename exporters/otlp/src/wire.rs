//! The protobuf bytes of a request, written straight from the span records:
//! the same message [`encode::request`](crate::encode::request) builds,
//! without building it (no allocation per span, string or id), in one pass.
//!
//! A nested message is prefixed with its length, which is known only once
//! the message is written. Each one is written after a gap sized for the
//! length it usually has (one byte for an attribute, two for a span); the
//! length is then put in the gap, and in the rare case where it needs
//! another size the body is moved once. The bytes are canonical, the same
//! as prost writes for the message.
//!
//! Field numbers are those of the vendored `.proto` files; the tests check
//! that these bytes are exactly those of the message `encode::request`
//! builds.

use tracekit_runtime::{Field, LogRecord, Resource, SpanContext, SpanRecord, TagValue, unix_nanos};

use crate::encode::{event_name, kind_number, link_flags, span_flags, status_of};

/// Appends the protobuf encoding of the request that exports `batch`
/// under `resource` to `buf`.
///
/// ```
/// use prost::Message;
/// use tracekit_otlp::{encode, wire};
/// use tracekit_runtime::{Resource, testing};
///
/// let ((), spans) = testing::capture(|| {
///     tracekit_runtime::global().span("checkout").tag("items", 3).start().finish();
/// });
/// let resource = Resource::new("shop");
/// let mut bytes = Vec::new();
/// wire::write_request(&resource, &spans, &mut bytes);
/// assert_eq!(bytes, encode::request(&resource, &spans).encode_to_vec());
/// ```
pub fn write_request(resource: &Resource, batch: &[SpanRecord], buf: &mut Vec<u8>) {
    // A guess at the size, so that the buffer rarely grows while written.
    buf.reserve(256 + batch.len() * 256);
    let out = &mut Out(buf);
    // ExportTraceServiceRequest.resource_spans (1), one.
    out.nested(1, Gap::LARGE, |out| {
        // ResourceSpans.resource (1): Resource.attributes (1).
        out.nested(1, Gap::SPAN, |out| {
            attributes(out, 1, resource.attributes())
        });
        // ResourceSpans.scope_spans (2), one.
        out.nested(2, Gap::LARGE, |out| {
            out.nested(1, Gap::SMALL, scope);
            for record in batch {
                out.nested(2, Gap::SPAN, |out| span(out, record));
            }
        });
    });
}

/// How many bytes are left for a nested message's length: the length it
/// usually has (a varint takes 1 byte below 128, 2 below 16 KiB, 3 below
/// 2 MiB).
#[derive(Clone, Copy)]
struct Gap(usize);

impl Gap {
    /// An attribute, a value, an event, a link, a status, the scope.
    const SMALL: Gap = Gap(1);
    /// A span, the resource.
    const SPAN: Gap = Gap(2);
    /// The messages that hold a whole batch.
    const LARGE: Gap = Gap(3);
}

/// Wire types.
const VARINT: u32 = 0;
const FIXED64: u32 = 1;
const LENGTH_DELIMITED: u32 = 2;
const FIXED32: u32 = 5;

/// The buffer a request is written to.
struct Out<'a>(&'a mut Vec<u8>);

impl Out<'_> {
    #[inline(always)]
    fn bytes(&mut self, data: &[u8]) {
        self.0.extend_from_slice(data);
    }

    #[inline(always)]
    fn varint(&mut self, value: u64) {
        // Most varints here (keys, lengths) take one byte.
        if value < 0x80 {
            self.0.push(value as u8);
        } else {
            let mut bytes = [0; 10];
            let len = varint_into(value, &mut bytes);
            self.0.extend_from_slice(&bytes[..len]);
        }
    }

    #[inline(always)]
    fn key(&mut self, tag: u32, wire_type: u32) {
        self.varint(u64::from(tag << 3 | wire_type));
    }

    /// Writes the message `body` writes as the field `tag`, prefixed with
    /// its length.
    #[inline(always)]
    fn nested(&mut self, tag: u32, gap: Gap, body: impl FnOnce(&mut Self)) {
        self.key(tag, LENGTH_DELIMITED);
        let at = self.0.len();
        self.0.extend_from_slice(&[0; 3][..gap.0]);
        body(self);
        let len = self.0.len() - at - gap.0;
        if gap.0 == 1 && len < 0x80 {
            self.0[at] = len as u8;
        } else if gap.0 == 2 && (0x80..0x4000).contains(&len) {
            self.0[at] = (len as u8) | 0x80;
            self.0[at + 1] = (len >> 7) as u8;
        } else {
            self.put_length(at, gap, len);
        }
    }

    /// Puts `len` in the gap at `at`, moving the body if the gap is not the
    /// length's size.
    #[inline(never)]
    fn put_length(&mut self, at: usize, gap: Gap, len: usize) {
        let mut bytes = [0; 10];
        let size = varint_into(len as u64, &mut bytes);
        let body = at + gap.0;
        if size != gap.0 {
            let end = self.0.len();
            if size > gap.0 {
                self.0.resize(end + size - gap.0, 0);
            }
            self.0.copy_within(body..end, at + size);
            self.0.truncate(at + size + len);
        }
        self.0[at..at + size].copy_from_slice(&bytes[..size]);
    }

    /// A length-delimited field (a string or bytes), left out when empty as
    /// proto3 does.
    #[inline(always)]
    fn bytes_field(&mut self, tag: u32, data: &[u8]) {
        if !data.is_empty() {
            self.string_member(tag, data);
        }
    }

    /// A length-delimited field, written even when empty (a oneof member).
    #[inline(always)]
    fn string_member(&mut self, tag: u32, data: &[u8]) {
        self.key(tag, LENGTH_DELIMITED);
        self.varint(data.len() as u64);
        self.bytes(data);
    }

    /// An id (16 or 8 bytes): its size known here, the copy is inline rather
    /// than a call to `memcpy`.
    #[inline(always)]
    fn id_field<const N: usize>(&mut self, tag: u32, id: [u8; N]) {
        self.key(tag, LENGTH_DELIMITED);
        self.varint(N as u64);
        self.bytes(&id);
    }

    #[inline(always)]
    fn varint_field(&mut self, tag: u32, value: u64) {
        if value != 0 {
            self.key(tag, VARINT);
            self.varint(value);
        }
    }

    #[inline(always)]
    fn fixed64_field(&mut self, tag: u32, value: u64) {
        if value != 0 {
            self.key(tag, FIXED64);
            self.bytes(&value.to_le_bytes());
        }
    }

    #[inline(always)]
    fn fixed32_field(&mut self, tag: u32, value: u32) {
        if value != 0 {
            self.key(tag, FIXED32);
            self.bytes(&value.to_le_bytes());
        }
    }
}

/// Writes `value` as a varint into `bytes`; returns how many it took.
#[inline(always)]
fn varint_into(value: u64, bytes: &mut [u8; 10]) -> usize {
    let mut len = 0;
    let mut rest = value;
    while rest >= 0x80 {
        bytes[len] = (rest as u8) | 0x80;
        rest >>= 7;
        len += 1;
    }
    bytes[len] = rest as u8;
    len + 1
}

/// Each of `fields` as a `KeyValue` in the field `tag`.
#[inline(always)]
fn attributes<'a>(out: &mut Out, tag: u32, fields: impl IntoIterator<Item = &'a Field>) {
    for (key, value) in fields {
        out.nested(tag, Gap::SMALL, |out| key_value(out, key, value));
    }
}

/// `InstrumentationScope`: name (1), version (2).
fn scope(out: &mut Out) {
    out.bytes_field(1, b"tracekit");
    out.bytes_field(2, env!("CARGO_PKG_VERSION").as_bytes());
}

/// `Span`.
fn span(out: &mut Out, record: &SpanRecord) {
    out.id_field(1, record.trace_id.to_bytes());
    out.id_field(2, record.span_id.to_bytes());
    out.bytes_field(3, record.trace_state.as_str().as_bytes());
    if let Some(parent) = record.parent_id {
        out.id_field(4, parent.to_bytes());
    }
    out.bytes_field(5, record.name.as_bytes());
    out.varint_field(6, kind_number(record.kind) as u64);
    out.fixed64_field(7, unix_nanos(record.start));
    out.fixed64_field(8, unix_nanos(record.end));
    attributes(out, 9, &record.tags);
    for log in &record.logs {
        out.nested(11, Gap::SMALL, |out| event(out, log));
    }
    for cause in &record.follows_from {
        out.nested(13, Gap::SMALL, |out| link(out, cause));
    }
    // Status: message (2), code (3).
    out.nested(15, Gap::SMALL, |out| {
        let status = status_of(record);
        out.bytes_field(2, status.message.as_bytes());
        out.varint_field(3, status.code as u64);
    });
    out.fixed32_field(16, span_flags(record));
}

/// `Span.Event`: time_unix_nano (1), name (2), attributes (3); the
/// `event` field is the name.
fn event(out: &mut Out, log: &LogRecord) {
    out.fixed64_field(1, unix_nanos(log.timestamp));
    out.bytes_field(2, event_name(log).as_bytes());
    attributes(out, 3, log.fields.iter().filter(|(key, _)| key != "event"));
}

/// `Span.Link`: trace_id (1), span_id (2), trace_state (3), flags (6).
fn link(out: &mut Out, context: &SpanContext) {
    out.id_field(1, context.trace_id().to_bytes());
    out.id_field(2, context.span_id().to_bytes());
    out.bytes_field(3, context.trace_state().as_str().as_bytes());
    out.fixed32_field(6, link_flags(context));
}

/// `KeyValue`: key (1), value (2, an `AnyValue`).
#[inline(always)]
fn key_value(out: &mut Out, key: &str, value: &TagValue) {
    out.bytes_field(1, key.as_bytes());
    out.nested(2, Gap::SMALL, |out| any_value(out, value));
}

/// `AnyValue`: string (1), bool (2), int (3), double (4); one, always
/// written (a oneof member is written even when it holds its default).
#[inline(always)]
fn any_value(out: &mut Out, value: &TagValue) {
    match value {
        TagValue::Str(text) => out.string_member(1, text.as_bytes()),
        TagValue::Bool(value) => {
            out.key(2, VARINT);
            out.varint(u64::from(*value));
        }
        TagValue::I64(value) => {
            out.key(3, VARINT);
            out.varint(*value as u64);
        }
        TagValue::F64(value) => {
            out.key(4, FIXED64);
            out.bytes(&value.to_bits().to_le_bytes());
        }
        // OTLP has no unsigned 64-bit integers: the text keeps the value.
        TagValue::U64(value) => out.string_member(1, value.to_string().as_bytes()),
    }
}
