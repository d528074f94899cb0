//! The protobuf bytes of a request, written straight from the span records
//! with prost's wire-format functions: the same message
//! [`encode::request`](crate::encode::request) builds, without building it
//! (no allocation per span, string or id). Each message is written by one
//! function, generic over where it goes: a byte count first, to learn the
//! length a nested message is prefixed with, then the buffer.
//!
//! Field numbers are those of the vendored `.proto` files; the tests check
//! that these bytes decode to exactly the message `encode::request` builds.

use std::time::{SystemTime, UNIX_EPOCH};

use prost::encoding::{WireType, encoded_len_varint, key_len};
use tracekit_runtime::{Field, LogRecord, Resource, SpanContext, SpanRecord, TagValue};

use crate::encode::{event_name, kind_number, link_flags, span_flags, status_of, unix_nanos};

/// Appends the protobuf encoding of the request that exports `batch`
/// under `resource` to `buf`.
///
/// ```
/// use prost::Message;
/// use tracekit_otlp::{encode, wire};
/// use tracekit_otlp::proto::collector::ExportTraceServiceRequest;
/// use tracekit_runtime::{Resource, testing};
///
/// let ((), spans) = testing::capture(|| {
///     tracekit_runtime::global().span("checkout").tag("items", 3).start().finish();
/// });
/// let resource = Resource::new("shop");
/// let mut bytes = Vec::new();
/// wire::write_request(&resource, &spans, &mut bytes);
/// let decoded = ExportTraceServiceRequest::decode(bytes.as_slice()).unwrap();
/// assert_eq!(decoded, encode::request(&resource, &spans));
/// ```
pub fn write_request(resource: &Resource, batch: &[SpanRecord], buf: &mut Vec<u8>) {
    // Each span's length, counted once: the lengths of the messages that
    // hold the spans are then sums, not counts over every span again.
    let spans: Vec<Span> = batch.iter().map(Span::new).collect();
    let span_lens: Vec<usize> = spans.iter().map(length).collect();
    let request = ResourceSpans {
        resource,
        spans: &spans,
        span_lens: &span_lens,
    };
    buf.reserve(length(&request));
    request.write(buf);
}

/// Where a message is written: bytes, or their count.
trait Out {
    fn bytes(&mut self, data: &[u8]);
    fn varint(&mut self, value: u64);
    fn fixed64(&mut self, value: u64);
    fn fixed32(&mut self, value: u32);
    fn key(&mut self, tag: u32, wire_type: WireType);
    /// The body of a nested message whose length, `len`, is known.
    fn body(&mut self, message: &impl Message, len: usize);
    /// A time as fixed64 nanoseconds since the Unix epoch, left out when
    /// it is not after the epoch (a count needs no conversion for that).
    fn time_field(&mut self, tag: u32, time: SystemTime);
}

impl Out for Vec<u8> {
    #[inline(always)]
    fn bytes(&mut self, data: &[u8]) {
        self.extend_from_slice(data);
    }
    #[inline(always)]
    fn varint(&mut self, value: u64) {
        // Most varints here (keys, lengths) take one byte; prost's
        // `encode_varint` pushes byte by byte through `BufMut`, which showed
        // as a quarter of the encoding's time.
        if value < 0x80 {
            self.push(value as u8);
        } else {
            let mut bytes = [0; 10];
            let mut len = 0;
            let mut rest = value;
            while rest >= 0x80 {
                bytes[len] = (rest as u8) | 0x80;
                rest >>= 7;
                len += 1;
            }
            bytes[len] = rest as u8;
            self.extend_from_slice(&bytes[..=len]);
        }
    }
    #[inline]
    fn fixed64(&mut self, value: u64) {
        self.extend_from_slice(&value.to_le_bytes());
    }
    #[inline]
    fn fixed32(&mut self, value: u32) {
        self.extend_from_slice(&value.to_le_bytes());
    }
    #[inline(always)]
    fn key(&mut self, tag: u32, wire_type: WireType) {
        self.varint(u64::from(tag << 3 | wire_type as u32));
    }
    #[inline]
    fn body(&mut self, message: &impl Message, _: usize) {
        message.write(self);
    }
    #[inline]
    fn time_field(&mut self, tag: u32, time: SystemTime) {
        fixed64_field(self, tag, unix_nanos(time));
    }
}

/// Counts the bytes a message takes.
struct Count(usize);

impl Out for Count {
    #[inline]
    fn bytes(&mut self, data: &[u8]) {
        self.0 += data.len();
    }
    #[inline]
    fn varint(&mut self, value: u64) {
        self.0 += encoded_len_varint(value);
    }
    #[inline]
    fn fixed64(&mut self, _: u64) {
        self.0 += 8;
    }
    #[inline]
    fn fixed32(&mut self, _: u32) {
        self.0 += 4;
    }
    #[inline]
    fn key(&mut self, tag: u32, _: WireType) {
        self.0 += key_len(tag);
    }
    #[inline]
    fn body(&mut self, _: &impl Message, len: usize) {
        // Counted already: counting again would double the work at every
        // level of nesting.
        self.0 += len;
    }
    #[inline]
    fn time_field(&mut self, tag: u32, time: SystemTime) {
        if time > UNIX_EPOCH {
            self.0 += key_len(tag) + 8;
        }
    }
}

/// A message, written field by field.
trait Message {
    fn write<O: Out>(&self, out: &mut O);
}

/// The bytes `message` takes.
fn length(message: &impl Message) -> usize {
    let mut count = Count(0);
    message.write(&mut count);
    count.0
}

/// Writes `message` as the field `tag`, prefixed with its length.
fn nested<O: Out>(out: &mut O, tag: u32, message: &impl Message) {
    nested_known(out, tag, message, length(message));
}

/// [`nested`], for a message whose length `len` is known.
fn nested_known<O: Out>(out: &mut O, tag: u32, message: &impl Message, len: usize) {
    out.key(tag, WireType::LengthDelimited);
    out.varint(len as u64);
    out.body(message, len);
}

/// A length-delimited field (a string or bytes), left out when empty as
/// proto3 does.
fn bytes_field<O: Out>(out: &mut O, tag: u32, data: &[u8]) {
    if !data.is_empty() {
        out.key(tag, WireType::LengthDelimited);
        out.varint(data.len() as u64);
        out.bytes(data);
    }
}

/// An id (16 or 8 bytes): its size known here, the copy is inline rather
/// than a call to `memcpy`.
#[inline(always)]
fn id_field<O: Out, const N: usize>(out: &mut O, tag: u32, id: [u8; N]) {
    out.key(tag, WireType::LengthDelimited);
    out.varint(N as u64);
    out.bytes(&id);
}

fn varint_field<O: Out>(out: &mut O, tag: u32, value: u64) {
    if value != 0 {
        out.key(tag, WireType::Varint);
        out.varint(value);
    }
}

fn fixed64_field<O: Out>(out: &mut O, tag: u32, value: u64) {
    if value != 0 {
        out.key(tag, WireType::SixtyFourBit);
        out.fixed64(value);
    }
}

fn fixed32_field<O: Out>(out: &mut O, tag: u32, value: u32) {
    if value != 0 {
        out.key(tag, WireType::ThirtyTwoBit);
        out.fixed32(value);
    }
}

/// `ExportTraceServiceRequest.resource_spans` (1), one: the request is
/// this field alone.
struct ResourceSpans<'a> {
    resource: &'a Resource,
    spans: &'a [Span<'a>],
    /// Each span's length.
    span_lens: &'a [usize],
}

impl Message for ResourceSpans<'_> {
    fn write<O: Out>(&self, out: &mut O) {
        nested(out, 1, &Inner(self));
    }
}

/// The `ResourceSpans` message: resource (1), scope_spans (2).
struct Inner<'a, 'b>(&'b ResourceSpans<'a>);

impl Message for Inner<'_, '_> {
    fn write<O: Out>(&self, out: &mut O) {
        nested(out, 1, &Attributes(self.0.resource.attributes(), 1));
        nested(out, 2, &ScopeSpans(self.0.spans, self.0.span_lens));
    }
}

/// A message made of its attributes alone, under the field `tag`
/// (`Resource.attributes` is 1).
struct Attributes<'a>(&'a [Field], u32);

impl Message for Attributes<'_> {
    fn write<O: Out>(&self, out: &mut O) {
        for (key, value) in self.0 {
            nested(out, self.1, &KeyValue(key, value));
        }
    }
}

/// `ScopeSpans`: scope (1), spans (2), with each span's length.
struct ScopeSpans<'a>(&'a [Span<'a>], &'a [usize]);

impl Message for ScopeSpans<'_> {
    fn write<O: Out>(&self, out: &mut O) {
        nested(out, 1, &Scope);
        for (span, len) in self.0.iter().zip(self.1) {
            nested_known(out, 2, span, *len);
        }
    }
}

/// `InstrumentationScope`: name (1), version (2).
struct Scope;

impl Message for Scope {
    fn write<O: Out>(&self, out: &mut O) {
        bytes_field(out, 1, b"tracekit");
        bytes_field(out, 2, env!("CARGO_PKG_VERSION").as_bytes());
    }
}

/// `Span`, with its times converted once.
struct Span<'a> {
    record: &'a SpanRecord,
    start: u64,
    end: u64,
}

impl<'a> Span<'a> {
    fn new(record: &'a SpanRecord) -> Span<'a> {
        Span {
            record,
            start: unix_nanos(record.start),
            end: unix_nanos(record.end),
        }
    }
}

impl Message for Span<'_> {
    fn write<O: Out>(&self, out: &mut O) {
        let record = self.record;
        id_field(out, 1, record.trace_id.to_bytes());
        id_field(out, 2, record.span_id.to_bytes());
        bytes_field(out, 3, record.trace_state.as_str().as_bytes());
        if let Some(parent) = record.parent_id {
            id_field(out, 4, parent.to_bytes());
        }
        bytes_field(out, 5, record.name.as_bytes());
        varint_field(out, 6, kind_number(record.kind) as u64);
        fixed64_field(out, 7, self.start);
        fixed64_field(out, 8, self.end);
        for (key, value) in &record.tags {
            nested(out, 9, &KeyValue(key, value));
        }
        for log in &record.logs {
            nested(out, 11, &Event(log));
        }
        for cause in &record.follows_from {
            nested(out, 13, &Link(cause));
        }
        nested(out, 15, &Status(record));
        fixed32_field(out, 16, span_flags(record));
    }
}

/// `Span.Event`: time_unix_nano (1), name (2), attributes (3); the
/// `event` field is the name.
struct Event<'a>(&'a LogRecord);

impl Message for Event<'_> {
    fn write<O: Out>(&self, out: &mut O) {
        let log = self.0;
        out.time_field(1, log.timestamp);
        bytes_field(out, 2, event_name(log).as_bytes());
        for (key, value) in log.fields.iter().filter(|(key, _)| key != "event") {
            nested(out, 3, &KeyValue(key, value));
        }
    }
}

/// `Span.Link`: trace_id (1), span_id (2), trace_state (3), flags (6).
struct Link<'a>(&'a SpanContext);

impl Message for Link<'_> {
    fn write<O: Out>(&self, out: &mut O) {
        let context = self.0;
        id_field(out, 1, context.trace_id().to_bytes());
        id_field(out, 2, context.span_id().to_bytes());
        bytes_field(out, 3, context.trace_state().as_str().as_bytes());
        fixed32_field(out, 6, link_flags(context));
    }
}

/// `Status`: message (2), code (3).
struct Status<'a>(&'a SpanRecord);

impl Message for Status<'_> {
    fn write<O: Out>(&self, out: &mut O) {
        let status = status_of(self.0);
        bytes_field(out, 2, status.message.as_bytes());
        varint_field(out, 3, status.code as u64);
    }
}

/// `KeyValue`: key (1), value (2, an `AnyValue`).
struct KeyValue<'a>(&'a str, &'a TagValue);

impl Message for KeyValue<'_> {
    fn write<O: Out>(&self, out: &mut O) {
        bytes_field(out, 1, self.0.as_bytes());
        nested(out, 2, &AnyValue(self.1));
    }
}

/// `AnyValue`: string (1), bool (2), int (3), double (4); one, always
/// written (a oneof member is written even when it holds its default).
struct AnyValue<'a>(&'a TagValue);

impl Message for AnyValue<'_> {
    fn write<O: Out>(&self, out: &mut O) {
        match self.0 {
            TagValue::Str(text) => string_member(out, 1, text.as_bytes()),
            TagValue::Bool(value) => {
                out.key(2, WireType::Varint);
                out.varint(u64::from(*value));
            }
            TagValue::I64(value) => {
                out.key(3, WireType::Varint);
                out.varint(*value as u64);
            }
            TagValue::F64(value) => {
                out.key(4, WireType::SixtyFourBit);
                out.fixed64(value.to_bits());
            }
            // OTLP has no unsigned 64-bit integers: the text keeps the value.
            TagValue::U64(value) => string_member(out, 1, value.to_string().as_bytes()),
        }
    }
}

fn string_member<O: Out>(out: &mut O, tag: u32, data: &[u8]) {
    out.key(tag, WireType::LengthDelimited);
    out.varint(data.len() as u64);
    out.bytes(data);
}
