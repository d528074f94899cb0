//! OTLP/HTTP's JSON mapping of a trace request, as the viewer's spans.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Refused, UNKNOWN_SERVICE, kind_name, nanos};
use crate::model::{Detail, Span, is_id};

const STATUS_CODE_ERROR: i64 = 2;

fn service_of(resource: &Map<String, Value>) -> String {
    resource
        .get("service.name")
        .and_then(Value::as_str)
        .unwrap_or(UNKNOWN_SERVICE)
        .to_owned()
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
    let error = code.and_then(Value::as_i64) == Some(STATUS_CODE_ERROR)
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
