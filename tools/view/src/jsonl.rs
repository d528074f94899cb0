//! tracekit's JSON-lines files (schema `tracekit.span/1`) as the viewer's
//! spans: a line that is not one is skipped and counted.

use serde_json::{Map, Value};

use crate::model::{Detail, Span, is_id};

/// The spans of the lines of `text`, and how many lines were skipped.
pub fn read(text: &str) -> (Vec<Span>, usize) {
    let mut spans = Vec::new();
    let mut skipped = 0;
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        match serde_json::from_str::<Value>(line)
            .ok()
            .and_then(|line| span(&line))
        {
            Some(span) => spans.push(span),
            None => skipped += 1,
        }
    }
    (spans, skipped)
}

fn span(line: &Value) -> Option<Span> {
    if line.get("schema")?.as_str()? != "tracekit.span/1" {
        return None;
    }
    let text = |key: &str| line.get(key).and_then(Value::as_str);
    let nanos = |key: &str| text(key)?.parse::<i64>().ok();
    let object = |key: &str| {
        line.get(key)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let trace_id = text("trace_id").filter(|id| is_id(id, 32))?.to_owned();
    let span_id = text("span_id").filter(|id| is_id(id, 16))?.to_owned();
    let resource = object("resource");
    let logs: Vec<Value> = line
        .get("logs")
        .and_then(Value::as_array)
        .map(|logs| {
            logs.iter()
                .map(|log| {
                    let fields = log
                        .get("fields")
                        .cloned()
                        .unwrap_or(Value::Object(Map::new()));
                    let name = fields
                        .get("event")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    serde_json::json!({
                        "time": log.get("time_unix_nano").cloned().unwrap_or(Value::Null),
                        "name": name,
                        "fields": fields,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let links: Vec<Value> = line
        .get("follows_from")
        .and_then(Value::as_array)
        .map(|links| {
            links
                .iter()
                .map(|link| {
                    serde_json::json!({
                        "trace_id": link.get("trace_id"),
                        "span_id": link.get("span_id"),
                        "attributes": {"reference": "follows_from"},
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let start = nanos("start_unix_nano")?;
    Some(Span {
        trace_id,
        span_id,
        parent_id: text("parent_id")
            .filter(|id| is_id(id, 16))
            .map(str::to_owned),
        name: text("name")?.to_owned(),
        service: resource
            .get("service.name")
            .and_then(Value::as_str)
            .unwrap_or(crate::otlp::UNKNOWN_SERVICE)
            .to_owned(),
        kind: text("kind").unwrap_or("internal").to_owned(),
        start,
        end: nanos("end_unix_nano")?.max(start),
        error: line.get("error").and_then(Value::as_bool).unwrap_or(false),
        detail: {
            let mut detail = Detail::default();
            detail.value("tags", &object("tags"));
            detail.value("logs", &logs);
            detail.value("links", &links);
            detail.value("baggage", &object("baggage"));
            detail.value("status_message", &None::<String>);
            detail.finish()
        },
        resource: std::sync::Arc::from(Value::Object(resource).to_string()),
    })
}
