//! OTLP's JSON mapping of a request (`http/json`): the protobuf JSON
//! mapping with OTLP's exceptions — trace and span ids as hex, enums as
//! integers — and its usual forms: lowerCamelCase names, 64-bit integers
//! as strings, default values left out.

use serde_json::{Map, Value, json};

use crate::proto::collector::ExportTraceServiceRequest;
use crate::proto::common::{AnyValue, KeyValue, any_value};
use crate::proto::trace::{Span, span};

/// The JSON of `request`.
///
/// ```
/// use tracekit_otlp::{encode, json};
/// use tracekit_runtime::Resource;
///
/// let body = json::to_json(&encode::request(&Resource::new("shop"), &[]));
/// let attribute = &body["resourceSpans"][0]["resource"]["attributes"][0];
/// assert_eq!(attribute["key"], "service.name");
/// assert_eq!(attribute["value"]["stringValue"], "shop");
/// ```
pub fn to_json(request: &ExportTraceServiceRequest) -> Value {
    let resource_spans: Vec<Value> = request
        .resource_spans
        .iter()
        .map(|resource_spans| {
            let scope_spans: Vec<Value> = resource_spans
                .scope_spans
                .iter()
                .map(|scope_spans| {
                    let scope = scope_spans
                        .scope
                        .as_ref()
                        .map(|scope| json!({ "name": scope.name, "version": scope.version }));
                    let spans: Vec<Value> = scope_spans.spans.iter().map(span_json).collect();
                    object([("scope", scope), ("spans", Some(Value::from(spans)))])
                })
                .collect();
            let resource = resource_spans
                .resource
                .as_ref()
                .map(|resource| json!({ "attributes": attributes(&resource.attributes) }));
            object([
                ("resource", resource),
                ("scopeSpans", Some(Value::from(scope_spans))),
            ])
        })
        .collect();
    json!({ "resourceSpans": resource_spans })
}

fn span_json(span: &Span) -> Value {
    let events: Vec<Value> = span
        .events
        .iter()
        .map(|event| {
            json!({
                "timeUnixNano": event.time_unix_nano.to_string(),
                "name": event.name,
                "attributes": attributes(&event.attributes),
            })
        })
        .collect();
    let links: Vec<Value> = span.links.iter().map(link_json).collect();
    let status = span.status.as_ref().map(|status| {
        object([
            (
                "message",
                (!status.message.is_empty()).then(|| Value::from(status.message.clone())),
            ),
            ("code", (status.code != 0).then(|| Value::from(status.code))),
        ])
    });
    object([
        ("traceId", Some(Value::from(hex(&span.trace_id)))),
        ("spanId", Some(Value::from(hex(&span.span_id)))),
        (
            "traceState",
            (!span.trace_state.is_empty()).then(|| Value::from(span.trace_state.clone())),
        ),
        (
            "parentSpanId",
            (!span.parent_span_id.is_empty()).then(|| Value::from(hex(&span.parent_span_id))),
        ),
        ("flags", Some(Value::from(span.flags))),
        ("name", Some(Value::from(span.name.clone()))),
        ("kind", Some(Value::from(span.kind))),
        (
            "startTimeUnixNano",
            Some(Value::from(span.start_time_unix_nano.to_string())),
        ),
        (
            "endTimeUnixNano",
            Some(Value::from(span.end_time_unix_nano.to_string())),
        ),
        ("attributes", Some(attributes(&span.attributes))),
        ("events", (!events.is_empty()).then(|| Value::from(events))),
        ("links", (!links.is_empty()).then(|| Value::from(links))),
        ("status", status),
    ])
}

fn link_json(link: &span::Link) -> Value {
    object([
        ("traceId", Some(Value::from(hex(&link.trace_id)))),
        ("spanId", Some(Value::from(hex(&link.span_id)))),
        (
            "traceState",
            (!link.trace_state.is_empty()).then(|| Value::from(link.trace_state.clone())),
        ),
        ("flags", Some(Value::from(link.flags))),
    ])
}

fn attributes(key_values: &[KeyValue]) -> Value {
    key_values
        .iter()
        .map(|kv| {
            let value = kv.value.as_ref().map_or(Value::Null, any_value_json);
            json!({ "key": kv.key, "value": value })
        })
        .collect()
}

fn any_value_json(value: &AnyValue) -> Value {
    match &value.value {
        Some(any_value::Value::StringValue(v)) => json!({ "stringValue": v }),
        Some(any_value::Value::BoolValue(v)) => json!({ "boolValue": v }),
        // 64-bit integers are strings in protobuf's JSON.
        Some(any_value::Value::IntValue(v)) => json!({ "intValue": v.to_string() }),
        Some(any_value::Value::DoubleValue(v)) => json!({ "doubleValue": v }),
        // tracekit writes only the four above.
        _ => json!({}),
    }
}

/// An object of the fields that are set.
fn object<const N: usize>(fields: [(&str, Option<Value>); N]) -> Value {
    let map: Map<String, Value> = fields
        .into_iter()
        .filter_map(|(key, value)| Some((key.to_owned(), value?)))
        .collect();
    Value::Object(map)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
