//! A protobuf `ExportTraceServiceRequest` as the viewer's spans, read in
//! place (see [`wire`](super::wire)): each span's detail is written as
//! JSON text straight from the body's bytes.
//!
//! Fields the viewer does not show (trace state, scopes, schema URLs,
//! dropped counts, flags) are stepped over unread. Of a field sent more
//! than once, the last counts; a message field sent more than once adds
//! its fields to the first's, as protobuf merges them.

use std::fmt::Write;
use std::sync::Arc;

use super::wire::{Fields, MAX_DEPTH, Value, malformed};
use super::{Refused, UNKNOWN_SERVICE, id, kind_name, nanos};
use crate::model::{Detail, Span, hex, push_json_string};

/// OTLP's `STATUS_CODE_ERROR`.
const STATUS_CODE_ERROR: u64 = 2;

/// The spans of a protobuf `ExportTraceServiceRequest`.
pub fn decode_protobuf(body: &[u8]) -> Result<Vec<Span>, Refused> {
    let mut spans = Vec::new();
    let mut scratch = Scratch::default();
    let mut request = Fields::new(body);
    while let Some((number, value)) = request.next_field()? {
        if number == 1 {
            resource_spans(value.bytes("resource_spans")?, &mut spans, &mut scratch)?;
        }
    }
    Ok(spans)
}

/// Text buffers kept from span to span, so a span allocates its detail
/// alone.
#[derive(Default)]
struct Scratch {
    tags: String,
    logs: String,
    links: String,
    /// An event's or a link's attributes.
    inner: String,
}

/// The spans of one process: its resource first, wherever it lies in the
/// message, since every span names it.
fn resource_spans(
    bytes: &[u8],
    spans: &mut Vec<Span>,
    scratch: &mut Scratch,
) -> Result<(), Refused> {
    let mut resource = String::new();
    let mut service = None;
    let mut fields = Fields::new(bytes);
    while let Some((number, value)) = fields.next_field()? {
        if number != 1 {
            continue;
        }
        let mut attributes = Fields::new(value.bytes("a resource")?);
        while let Some((number, value)) = attributes.next_field()? {
            if number == 1 {
                let (key, value) = push_attribute(&mut resource, value.bytes("an attribute")?, 3)?;
                // The first `service.name`, if it is a string.
                if service.is_none() && key == "service.name" {
                    service = Some(string_value(value)?);
                }
            }
        }
    }
    let service = service.flatten().unwrap_or(UNKNOWN_SERVICE);
    let mut object = String::new();
    push_closed(&mut object, '{', &resource, '}');
    let resource: Arc<str> = Arc::from(object);
    let mut fields = Fields::new(bytes);
    while let Some((number, value)) = fields.next_field()? {
        if number != 2 {
            continue;
        }
        let mut scope = Fields::new(value.bytes("scope_spans")?);
        while let Some((number, value)) = scope.next_field()? {
            if number == 2 {
                spans.push(span(value.bytes("a span")?, service, &resource, scratch)?);
            }
        }
    }
    Ok(())
}

/// Writes `items` (comma-separated JSON, perhaps empty) between `open`
/// and `close`.
fn push_closed(out: &mut String, open: char, items: &str, close: char) {
    out.reserve(items.len() + 2);
    out.push(open);
    out.push_str(items);
    out.push(close);
}

fn span(
    bytes: &[u8],
    service: &str,
    resource: &Arc<str>,
    scratch: &mut Scratch,
) -> Result<Span, Refused> {
    let Scratch {
        tags,
        logs,
        links,
        inner,
    } = scratch;
    tags.clear();
    logs.clear();
    links.clear();
    let (mut trace_id, mut span_id, mut parent_id): (&[u8], &[u8], &[u8]) = (&[], &[], &[]);
    let (mut name, mut kind, mut start, mut end) = ("", 0, 0, 0);
    let (mut code, mut message) = (0, "");
    let mut fields = Fields::new(bytes);
    while let Some((number, value)) = fields.next_field()? {
        match number {
            1 => trace_id = value.bytes("a span's trace id")?,
            2 => span_id = value.bytes("a span's span id")?,
            4 => parent_id = value.bytes("a span's parent span id")?,
            5 => name = value.text("a span's name")?,
            // An enum is an int32: a negative one is sent as 64 bits.
            6 => kind = value.varint("a span's kind")? as i32,
            7 => start = value.fixed64("a span's start")?,
            8 => end = value.fixed64("a span's end")?,
            9 => {
                push_attribute(tags, value.bytes("an attribute")?, 5)?;
            }
            11 => event(logs, inner, value.bytes("an event")?)?,
            13 => link(links, inner, value.bytes("a link")?)?,
            15 => {
                let mut status = Fields::new(value.bytes("a status")?);
                while let Some((number, value)) = status.next_field()? {
                    match number {
                        2 => message = value.text("a status message")?,
                        3 => code = value.varint("a status code")?,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    let error = code == STATUS_CODE_ERROR;
    let mut detail = Detail::default();
    push_closed(detail.member("tags"), '{', tags, '}');
    push_closed(detail.member("logs"), '[', logs, ']');
    push_closed(detail.member("links"), '[', links, ']');
    detail.member("baggage").push_str("{}");
    let out = detail.member("status_message");
    if error && !message.is_empty() {
        push_json_string(out, message);
    } else {
        out.push_str("null");
    }
    Ok(Span {
        trace_id: id(trace_id, 16, "trace id")?,
        span_id: id(span_id, 8, "span id")?,
        parent_id: if parent_id.is_empty() {
            None
        } else {
            Some(id(parent_id, 8, "parent span id")?)
        },
        name: name.to_owned(),
        service: service.to_owned(),
        kind: kind_name(kind).to_owned(),
        start: nanos(start),
        end: nanos(end.max(start)),
        error,
        detail: detail.finish(),
        resource: resource.clone(),
    })
}

/// An event as a log: `{"time", "name", "fields"}`, after a comma unless
/// it is the first.
fn event(logs: &mut String, fields_text: &mut String, bytes: &[u8]) -> Result<(), Refused> {
    fields_text.clear();
    let (mut time, mut name) = (0, "");
    let mut fields = Fields::new(bytes);
    while let Some((number, value)) = fields.next_field()? {
        match number {
            1 => time = value.fixed64("an event's time")?,
            2 => name = value.text("an event's name")?,
            3 => {
                push_attribute(fields_text, value.bytes("an attribute")?, 6)?;
            }
            _ => {}
        }
    }
    if !logs.is_empty() {
        logs.push(',');
    }
    let _ = write!(logs, "{{\"time\":\"{time}\",\"name\":");
    push_json_string(logs, name);
    logs.push_str(",\"fields\":{");
    logs.push_str(fields_text);
    logs.push_str("}}");
    Ok(())
}

/// A link: `{"trace_id", "span_id", "attributes"}`, after a comma unless
/// it is the first.
fn link(links: &mut String, attributes: &mut String, bytes: &[u8]) -> Result<(), Refused> {
    attributes.clear();
    let (mut trace_id, mut span_id): (&[u8], &[u8]) = (&[], &[]);
    let mut fields = Fields::new(bytes);
    while let Some((number, value)) = fields.next_field()? {
        match number {
            1 => trace_id = value.bytes("a link's trace id")?,
            2 => span_id = value.bytes("a link's span id")?,
            4 => {
                push_attribute(attributes, value.bytes("an attribute")?, 6)?;
            }
            _ => {}
        }
    }
    if !links.is_empty() {
        links.push(',');
    }
    let _ = write!(
        links,
        "{{\"trace_id\":\"{}\",\"span_id\":\"{}\",\"attributes\":{{",
        hex(trace_id),
        hex(span_id)
    );
    links.push_str(attributes);
    links.push_str("}}");
    Ok(())
}

/// Writes a `KeyValue` as a JSON member (`"key":value`), after a comma
/// unless it is the first; returns its key and its `AnyValue`'s bytes.
/// `depth`: how deep the `KeyValue` lies in the request.
fn push_attribute<'a>(
    out: &mut String,
    bytes: &'a [u8],
    depth: u32,
) -> Result<(&'a str, Option<&'a [u8]>), Refused> {
    let (mut key, mut value) = ("", None);
    let mut fields = Fields::new(bytes);
    while let Some((number, field)) = fields.next_field()? {
        match number {
            1 => key = field.text("an attribute's key")?,
            2 => value = Some(field.bytes("an attribute's value")?),
            _ => {}
        }
    }
    if !out.is_empty() {
        out.push(',');
    }
    push_json_string(out, key);
    out.push(':');
    push_any(out, value, depth + 1)?;
    Ok((key, value))
}

/// The text of an `AnyValue` that holds a string, else `None`.
fn string_value(value: Option<&[u8]>) -> Result<Option<&str>, Refused> {
    match last_variant(value)? {
        Some((1, value)) => Ok(Some(value.text("a string value")?)),
        _ => Ok(None),
    }
}

/// The variant an `AnyValue` holds (its last, as protobuf reads a oneof).
fn last_variant(value: Option<&[u8]>) -> Result<Option<(u32, Value<'_>)>, Refused> {
    let mut last = None;
    let mut fields = Fields::new(value.unwrap_or_default());
    while let Some((number, field)) = fields.next_field()? {
        if (1..=8).contains(&number) {
            last = Some((number, field));
        }
    }
    Ok(last)
}

/// Writes an `AnyValue` as JSON: a string, a boolean, a number (`null`
/// when not finite), an array, an object, bytes as hex; `null` for
/// nothing or a profile's string index.
fn push_any(out: &mut String, value: Option<&[u8]>, depth: u32) -> Result<(), Refused> {
    if depth > MAX_DEPTH {
        return Err(malformed("values nested too deep"));
    }
    match last_variant(value)? {
        Some((1, value)) => push_json_string(out, value.text("a string value")?),
        Some((2, value)) => out.push_str(if value.varint("a boolean")? != 0 {
            "true"
        } else {
            "false"
        }),
        Some((3, value)) => {
            let _ = write!(out, "{}", value.varint("an integer")? as i64);
        }
        Some((4, value)) => {
            let number = f64::from_bits(value.fixed64("a double")?);
            match serde_json::Number::from_f64(number) {
                Some(number) => {
                    let _ = write!(out, "{number}");
                }
                None => out.push_str("null"),
            }
        }
        Some((5, value)) => {
            out.push('[');
            let mut items = Fields::new(value.bytes("an array")?);
            let mut first = true;
            while let Some((number, item)) = items.next_field()? {
                if number == 1 {
                    if !first {
                        out.push(',');
                    }
                    first = false;
                    push_any(out, Some(item.bytes("an array's value")?), depth + 2)?;
                }
            }
            out.push(']');
        }
        Some((6, value)) => {
            let mut members = String::new();
            let mut list = Fields::new(value.bytes("a key-value list")?);
            while let Some((number, item)) = list.next_field()? {
                if number == 1 {
                    push_attribute(&mut members, item.bytes("an attribute")?, depth + 1)?;
                }
            }
            push_closed(out, '{', &members, '}');
        }
        Some((7, value)) => push_json_string(out, &hex(value.bytes("a bytes value")?)),
        Some((8, value)) => {
            value.varint("a string index")?;
            out.push_str("null");
        }
        _ => out.push_str("null"),
    }
    Ok(())
}
