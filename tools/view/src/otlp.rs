//! OTLP/HTTP trace requests, protobuf or JSON, as the viewer's spans. A
//! request that is not one is refused whole, with the reason.

use std::sync::Arc;

use prost::Message;
use serde_json::{Map, Value};
use tracekit_otlp::proto::collector::ExportTraceServiceRequest;
use tracekit_otlp::proto::common::{AnyValue, KeyValue, any_value};
use tracekit_otlp::proto::trace::{Span as OtlpSpan, span::SpanKind, status::StatusCode};

use crate::model::{Detail, Span, hex, is_id, push_json_string};

/// Why a request was refused.
#[derive(Debug, PartialEq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The spans of a protobuf `ExportTraceServiceRequest`.
pub fn decode_protobuf(body: &[u8]) -> Result<Vec<Span>, Refused> {
    let request = ExportTraceServiceRequest::decode(body)
        .map_err(|error| Refused(format!("not an OTLP ExportTraceServiceRequest: {error}")))?;
    let mut spans = Vec::new();
    for resource_spans in request.resource_spans {
        let attributes = resource_spans
            .resource
            .map(|resource| resource.attributes)
            .unwrap_or_default();
        let service = attributes
            .iter()
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(name) => Some(name.clone()),
                _ => None,
            })
            .unwrap_or_else(|| UNKNOWN_SERVICE.to_owned());
        let mut resource = String::new();
        write_attributes(&mut resource, &attributes);
        let resource: Arc<str> = Arc::from(resource);
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                spans.push(from_protobuf(span, &service, &resource)?);
            }
        }
    }
    Ok(spans)
}

/// The service of a process that named none, as OpenTelemetry says.
pub(crate) const UNKNOWN_SERVICE: &str = "unknown_service";

fn service_of(resource: &Map<String, Value>) -> String {
    resource
        .get("service.name")
        .and_then(Value::as_str)
        .unwrap_or(UNKNOWN_SERVICE)
        .to_owned()
}

fn id(bytes: &[u8], len: usize, what: &str) -> Result<String, Refused> {
    let text = hex(bytes);
    if is_id(&text, len * 2) {
        Ok(text)
    } else {
        Err(Refused(format!(
            "a span's {what} is not {len} bytes, not all zero"
        )))
    }
}

fn from_protobuf(span: OtlpSpan, service: &str, resource: &Arc<str>) -> Result<Span, Refused> {
    let status = span.status.unwrap_or_default();
    let error = status.code == StatusCode::Error as i32;
    let mut detail = Detail::default();
    write_attributes(detail.member("tags"), &span.attributes);
    let logs = detail.member("logs");
    logs.push('[');
    for (n, event) in span.events.iter().enumerate() {
        if n > 0 {
            logs.push(',');
        }
        logs.push_str(&format!(
            "{{\"time\":\"{}\",\"name\":",
            event.time_unix_nano
        ));
        push_json_string(logs, &event.name);
        logs.push_str(",\"fields\":");
        write_attributes(logs, &event.attributes);
        logs.push('}');
    }
    logs.push(']');
    let links = detail.member("links");
    links.push('[');
    for (n, link) in span.links.iter().enumerate() {
        if n > 0 {
            links.push(',');
        }
        links.push_str(&format!(
            "{{\"trace_id\":\"{}\",\"span_id\":\"{}\",\"attributes\":",
            hex(&link.trace_id),
            hex(&link.span_id)
        ));
        write_attributes(links, &link.attributes);
        links.push('}');
    }
    links.push(']');
    detail.member("baggage").push_str("{}");
    let message = detail.member("status_message");
    if error && !status.message.is_empty() {
        push_json_string(message, &status.message);
    } else {
        message.push_str("null");
    }
    Ok(Span {
        trace_id: id(&span.trace_id, 16, "trace id")?,
        span_id: id(&span.span_id, 8, "span id")?,
        parent_id: if span.parent_span_id.is_empty() {
            None
        } else {
            Some(id(&span.parent_span_id, 8, "parent span id")?)
        },
        name: span.name,
        service: service.to_owned(),
        kind: kind_name(span.kind).to_owned(),
        start: nanos(span.start_time_unix_nano),
        end: nanos(span.end_time_unix_nano.max(span.start_time_unix_nano)),
        error,
        detail: detail.finish(),
        resource: resource.clone(),
    })
}

/// Attributes as a JSON object, written in place.
fn write_attributes(out: &mut String, list: &[KeyValue]) {
    out.push('{');
    for (n, kv) in list.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        push_json_string(out, &kv.key);
        out.push(':');
        write_any(out, kv.value.as_ref());
    }
    out.push('}');
}

fn write_any(out: &mut String, value: Option<&AnyValue>) {
    match value.and_then(|value| value.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => push_json_string(out, text),
        Some(any_value::Value::BoolValue(flag)) => {
            out.push_str(if *flag { "true" } else { "false" })
        }
        Some(any_value::Value::IntValue(number)) => out.push_str(&number.to_string()),
        Some(any_value::Value::DoubleValue(number)) if number.is_finite() => out.push_str(
            &serde_json::Number::from_f64(*number).map_or("null".to_owned(), |n| n.to_string()),
        ),
        Some(any_value::Value::ArrayValue(array)) => {
            out.push('[');
            for (n, item) in array.values.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                write_any(out, Some(item));
            }
            out.push(']');
        }
        Some(any_value::Value::KvlistValue(list)) => write_attributes(out, &list.values),
        Some(any_value::Value::BytesValue(bytes)) => push_json_string(out, &hex(bytes)),
        // Not finite, an index into a profile's string table, or nothing.
        _ => out.push_str("null"),
    }
}

fn nanos(unix_nanos: u64) -> i64 {
    i64::try_from(unix_nanos).unwrap_or(i64::MAX)
}

fn kind_name(kind: i32) -> &'static str {
    match SpanKind::try_from(kind) {
        Ok(SpanKind::Server) => "server",
        Ok(SpanKind::Client) => "client",
        Ok(SpanKind::Producer) => "producer",
        Ok(SpanKind::Consumer) => "consumer",
        _ => "internal",
    }
}

/// The spans of an `ExportTraceServiceRequest` in OTLP's JSON mapping
/// (ids as hex, 64-bit integers as numbers or strings, enums as numbers).
pub fn decode_json(body: &[u8]) -> Result<Vec<Span>, Refused> {
    let request: Value =
        serde_json::from_slice(body).map_err(|error| Refused(format!("not JSON: {error}")))?;
    let shape = |what: &str| Refused(format!("not an OTLP JSON trace request: {what}"));
    let object = request.as_object().ok_or_else(|| shape("not an object"))?;
    let mut spans = Vec::new();
    for resource_spans in array(object.get("resourceSpans"), "resourceSpans")? {
        let attributes = json_attributes(
            resource_spans
                .get("resource")
                .and_then(|resource| resource.get("attributes")),
        )?;
        let service = service_of(&attributes);
        let resource: Arc<str> = Arc::from(Value::Object(attributes).to_string());
        for scope_spans in array(resource_spans.get("scopeSpans"), "scopeSpans")? {
            for span in array(scope_spans.get("spans"), "spans")? {
                spans.push(from_json(span, &service, &resource)?);
            }
        }
    }
    Ok(spans)
}

fn array<'a>(value: Option<&'a Value>, what: &str) -> Result<&'a [Value], Refused> {
    match value {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(Refused(format!("`{what}` is not an array"))),
    }
}

fn json_id(span: &Value, key: &str, len: usize) -> Result<Option<String>, Refused> {
    match span.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) if text.is_empty() => Ok(None),
        Some(Value::String(text)) if is_id(&text.to_ascii_lowercase(), len) => {
            Ok(Some(text.to_ascii_lowercase()))
        }
        Some(_) => Err(Refused(format!(
            "a span's `{key}` is not {len} hex digits, not all zero"
        ))),
    }
}

fn json_u64(span: &Value, key: &str) -> Result<u64, Refused> {
    match span.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(number)) => number
            .as_u64()
            .ok_or_else(|| Refused(format!("a span's `{key}` is not an unsigned integer"))),
        Some(Value::String(text)) => text
            .parse()
            .map_err(|_| Refused(format!("a span's `{key}` is not an unsigned integer"))),
        Some(_) => Err(Refused(format!(
            "a span's `{key}` is not an unsigned integer"
        ))),
    }
}

fn from_json(span: &Value, service: &str, resource: &Arc<str>) -> Result<Span, Refused> {
    let trace_id = json_id(span, "traceId", 32)?
        .ok_or_else(|| Refused("a span has no `traceId`".to_owned()))?;
    let span_id =
        json_id(span, "spanId", 16)?.ok_or_else(|| Refused("a span has no `spanId`".to_owned()))?;
    let status = span.get("status");
    let code = status.and_then(|status| status.get("code"));
    let error = code.and_then(Value::as_i64) == Some(StatusCode::Error as i64)
        || code.and_then(Value::as_str) == Some("STATUS_CODE_ERROR");
    let start = json_u64(span, "startTimeUnixNano")?;
    let end = json_u64(span, "endTimeUnixNano")?.max(start);
    let mut logs = Vec::new();
    for event in array(span.get("events"), "events")? {
        logs.push(serde_json::json!({
            "time": json_u64(event, "timeUnixNano")?.to_string(),
            "name": event.get("name").and_then(Value::as_str).unwrap_or_default(),
            "fields": json_attributes(event.get("attributes"))?,
        }));
    }
    let mut links = Vec::new();
    for link in array(span.get("links"), "links")? {
        links.push(serde_json::json!({
            "trace_id": json_id(link, "traceId", 32)?,
            "span_id": json_id(link, "spanId", 16)?,
            "attributes": json_attributes(link.get("attributes"))?,
        }));
    }
    let kind = match span.get("kind") {
        Some(Value::Number(number)) => kind_name(number.as_i64().unwrap_or(0) as i32),
        Some(Value::String(text)) => match text.as_str() {
            "SPAN_KIND_SERVER" => "server",
            "SPAN_KIND_CLIENT" => "client",
            "SPAN_KIND_PRODUCER" => "producer",
            "SPAN_KIND_CONSUMER" => "consumer",
            _ => "internal",
        },
        _ => "internal",
    };
    let message = status
        .and_then(|status| status.get("message"))
        .and_then(Value::as_str)
        .filter(|message| !message.is_empty());
    Ok(Span {
        trace_id,
        span_id,
        parent_id: json_id(span, "parentSpanId", 16)?,
        name: span
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        service: service.to_owned(),
        kind: kind.to_owned(),
        start: nanos(start),
        end: nanos(end),
        error,
        detail: {
            let mut detail = Detail::default();
            detail.value("tags", &json_attributes(span.get("attributes"))?);
            detail.value("logs", &logs);
            detail.value("links", &links);
            detail.value("baggage", &Map::new());
            detail.value("status_message", &message.filter(|_| error));
            detail.finish()
        },
        resource: resource.clone(),
    })
}

fn json_attributes(list: Option<&Value>) -> Result<Map<String, Value>, Refused> {
    let mut map = Map::new();
    for kv in array(list, "attributes")? {
        let key = kv
            .get("key")
            .and_then(Value::as_str)
            .ok_or_else(|| Refused("an attribute has no `key`".to_owned()))?;
        map.insert(key.to_owned(), json_any(kv.get("value")));
    }
    Ok(map)
}

fn json_any(value: Option<&Value>) -> Value {
    let Some(Value::Object(value)) = value else {
        return Value::Null;
    };
    if let Some(text) = value.get("stringValue") {
        return text.clone();
    }
    if let Some(flag) = value.get("boolValue") {
        return flag.clone();
    }
    if let Some(number) = value.get("intValue") {
        return match number {
            Value::String(text) => text.parse::<i64>().map_or(number.clone(), Value::from),
            other => other.clone(),
        };
    }
    if let Some(number) = value.get("doubleValue") {
        return number.clone();
    }
    if let Some(array) = value.get("arrayValue") {
        let values = array.get("values").and_then(Value::as_array);
        return Value::Array(
            values
                .map(|values| values.iter().map(|v| json_any(Some(v))).collect())
                .unwrap_or_default(),
        );
    }
    if let Some(list) = value.get("kvlistValue") {
        return json_attributes(list.get("values")).map_or(Value::Null, Value::Object);
    }
    if let Some(bytes) = value.get("bytesValue") {
        return bytes.clone();
    }
    Value::Null
}
