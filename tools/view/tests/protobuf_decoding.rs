//! The viewer reads OTLP's protobuf in place. These tests hold it to
//! prost: any request prost encodes from OTLP's generated messages gives
//! the spans a prost-based reading of the same bytes gives (a reference
//! kept here, the viewer's decoder before it read in place); and bytes
//! cut or changed at random are refused with a reason or read as prost
//! reads them, never a panic.

use std::sync::Arc;

use proptest::prelude::*;
use prost::Message;
use tracekit_otlp::proto::collector::ExportTraceServiceRequest;
use tracekit_otlp::proto::common::{AnyValue, ArrayValue, KeyValue, KeyValueList, any_value};
use tracekit_otlp::proto::resource::Resource;
use tracekit_otlp::proto::trace::span::{Event, Link};
use tracekit_otlp::proto::trace::{ResourceSpans, ScopeSpans, Span as OtlpSpan, Status};
use tracekit_view::model::{Detail, Span, hex, push_json_string};
use tracekit_view::otlp::{Refused, decode_protobuf};

/// The reference: prost decodes the request into owned messages, which
/// become spans.
fn reference(body: &[u8]) -> Result<Vec<Span>, Refused> {
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
            .unwrap_or_else(|| "unknown_service".to_owned());
        let mut resource = String::new();
        write_attributes(&mut resource, &attributes);
        let resource: Arc<str> = Arc::from(resource);
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                spans.push(from_prost(span, &service, &resource)?);
            }
        }
    }
    Ok(spans)
}

fn id(bytes: &[u8], len: usize, what: &str) -> Result<String, Refused> {
    if bytes.len() == len && bytes.iter().any(|b| *b != 0) {
        Ok(hex(bytes))
    } else {
        Err(Refused(format!(
            "a span's {what} is not {len} bytes, not all zero"
        )))
    }
}

fn from_prost(span: OtlpSpan, service: &str, resource: &Arc<str>) -> Result<Span, Refused> {
    let status = span.status.unwrap_or_default();
    let error = status.code == 2;
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
    let kind = match span.kind {
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        _ => "internal",
    };
    let nanos = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
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
        kind: kind.to_owned(),
        start: nanos(span.start_time_unix_nano),
        end: nanos(span.end_time_unix_nano.max(span.start_time_unix_nano)),
        error,
        detail: detail.finish(),
        resource: resource.clone(),
    })
}

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
        _ => out.push_str("null"),
    }
}

fn any_value() -> impl Strategy<Value = Option<AnyValue>> {
    let leaf = prop_oneof![
        any::<String>().prop_map(any_value::Value::StringValue),
        "[\"\\\\\n\t\u{0}-\u{1f}a-z]{0,8}".prop_map(any_value::Value::StringValue),
        any::<bool>().prop_map(any_value::Value::BoolValue),
        any::<i64>().prop_map(any_value::Value::IntValue),
        any::<f64>().prop_map(any_value::Value::DoubleValue),
        prop::collection::vec(any::<u8>(), 0..6).prop_map(any_value::Value::BytesValue),
        any::<i32>().prop_map(any_value::Value::StringValueStrindex),
    ];
    let value = leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|values| {
                any_value::Value::ArrayValue(ArrayValue {
                    values: values
                        .into_iter()
                        .map(|value| AnyValue { value: Some(value) })
                        .collect(),
                })
            }),
            prop::collection::vec(("[a-z.]{0,6}", inner), 0..4).prop_map(|members| {
                any_value::Value::KvlistValue(KeyValueList {
                    values: members
                        .into_iter()
                        .map(|(key, value)| KeyValue {
                            key,
                            value: Some(AnyValue { value: Some(value) }),
                            ..Default::default()
                        })
                        .collect(),
                })
            }),
        ]
    });
    prop::option::weighted(0.9, value.prop_map(|value| AnyValue { value: Some(value) }))
}

fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
    prop::collection::vec(
        (
            prop_oneof!["service.name".prop_map(String::from), any::<String>()],
            any_value(),
        ),
        0..4,
    )
    .prop_map(|members| {
        members
            .into_iter()
            .map(|(key, value)| KeyValue {
                key,
                value,
                ..Default::default()
            })
            .collect()
    })
}

/// An id of `len` bytes; now and then of another length or all zero,
/// which a span may not have.
fn id_bytes(len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        20 => prop::collection::vec(any::<u8>(), len),
        1 => prop::collection::vec(any::<u8>(), 0..len + 2),
        1 => Just(vec![0; len]),
    ]
}

fn span() -> impl Strategy<Value = OtlpSpan> {
    (
        (
            id_bytes(16),
            id_bytes(8),
            prop_oneof![Just(Vec::new()), id_bytes(8)],
        ),
        (any::<String>(), -1i32..7, any::<u64>(), any::<u64>()),
        attributes(),
        prop::collection::vec((any::<u64>(), any::<String>(), attributes()), 0..3),
        prop::collection::vec(
            (
                prop::collection::vec(any::<u8>(), 0..17),
                any::<[u8; 8]>(),
                attributes(),
            ),
            0..2,
        ),
        prop::option::of((0i32..4, any::<String>())),
    )
        .prop_map(
            |(
                (trace_id, span_id, parent_span_id),
                (name, kind, start, end),
                tags,
                events,
                links,
                status,
            )| {
                OtlpSpan {
                    trace_id,
                    span_id,
                    parent_span_id,
                    trace_state: "vendor=1".into(),
                    flags: 0x301,
                    name,
                    kind,
                    start_time_unix_nano: start,
                    end_time_unix_nano: end,
                    attributes: tags,
                    dropped_attributes_count: 2,
                    events: events
                        .into_iter()
                        .map(|(time, name, attributes)| Event {
                            time_unix_nano: time,
                            name,
                            attributes,
                            dropped_attributes_count: 0,
                        })
                        .collect(),
                    links: links
                        .into_iter()
                        .map(|(trace_id, span_id, attributes)| Link {
                            trace_id,
                            span_id: span_id.to_vec(),
                            trace_state: String::new(),
                            attributes,
                            dropped_attributes_count: 0,
                            flags: 1,
                        })
                        .collect(),
                    status: status.map(|(code, message)| Status { message, code }),
                    ..Default::default()
                }
            },
        )
}

fn request() -> impl Strategy<Value = ExportTraceServiceRequest> {
    prop::collection::vec(
        (
            prop::option::of(attributes()),
            prop::collection::vec(prop::collection::vec(span(), 0..4), 0..3),
        ),
        0..3,
    )
    .prop_map(|processes| ExportTraceServiceRequest {
        resource_spans: processes
            .into_iter()
            .map(|(resource, scopes)| ResourceSpans {
                resource: resource.map(|attributes| Resource {
                    attributes,
                    ..Default::default()
                }),
                scope_spans: scopes
                    .into_iter()
                    .map(|spans| ScopeSpans {
                        spans,
                        schema_url: "https://opentelemetry.io/schemas/1.30.0".into(),
                        ..Default::default()
                    })
                    .collect(),
                schema_url: String::new(),
            })
            .collect(),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_request_reads_as_prost_reads_it(request in request()) {
        let body = request.encode_to_vec();
        let read = decode_protobuf(&body);
        prop_assert_eq!(&read, &reference(&body));
        // The store writes a request's details into one JSON text per
        // chunk: one that is not JSON would hide its neighbours.
        for span in read.iter().flatten() {
            prop_assert!(serde_json::from_str::<serde_json::Value>(&span.detail).is_ok(), "{}", span.detail);
            prop_assert!(serde_json::from_str::<serde_json::Value>(&span.resource).is_ok(), "{}", span.resource);
        }
    }

    #[test]
    fn bytes_changed_at_random_are_refused_or_read_never_a_panic(
        request in request(),
        changes in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..6),
    ) {
        let mut body = request.encode_to_vec();
        for (at, byte, how) in changes {
            if body.is_empty() {
                body.push(byte);
                continue;
            }
            let at = at.index(body.len());
            match how {
                0 => body[at] = byte,
                1 => body.insert(at, byte),
                _ => body.truncate(at),
            }
        }
        let read = decode_protobuf(&body);
        if let Err(Refused(why)) = &read {
            prop_assert!(!why.is_empty(), "a refusal says why");
        }
        // What prost reads is read, as the same spans. (Fields the viewer
        // does not read are not checked: prost refuses a schema URL that
        // is not UTF-8, the viewer steps over it. A detail may differ
        // where the changed bytes made a value's field appear twice,
        // which prost merges.)
        if let Ok(expected) = reference(&body) {
            let columns = |spans: &[Span]| -> Vec<_> {
                spans
                    .iter()
                    .map(|s| (s.trace_id.clone(), s.span_id.clone(), s.parent_id.clone(), s.name.clone(),
                        s.service.clone(), s.kind.clone(), s.start, s.end, s.error))
                    .collect()
            };
            let read = read.map_err(|Refused(why)| TestCaseError::fail(why))?;
            prop_assert_eq!(columns(&read), columns(&expected));
        }
    }
}

#[test]
fn a_request_of_otlps_own_shape_is_read_whole() {
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            // The resource after its spans: it is found all the same.
            scope_spans: vec![ScopeSpans {
                spans: vec![OtlpSpan {
                    trace_id: vec![0x4b; 16],
                    span_id: vec![0x01; 8],
                    name: "GET /checkout".into(),
                    kind: 2,
                    start_time_unix_nano: 1_000,
                    end_time_unix_nano: 3_000,
                    attributes: vec![KeyValue {
                        key: "http.route".into(),
                        value: Some(AnyValue {
                            value: Some(any_value::Value::StringValue("/checkout".into())),
                        }),
                        ..Default::default()
                    }],
                    status: Some(Status {
                        message: "card \"declined\"".into(),
                        code: 2,
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            resource: Some(Resource {
                attributes: vec![KeyValue {
                    key: "service.name".into(),
                    value: Some(AnyValue {
                        value: Some(any_value::Value::StringValue("shop".into())),
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            schema_url: String::new(),
        }],
    };
    let mut body = Vec::new();
    // The fields in reverse: scope_spans (2) before resource (1).
    let resource_spans = &request.resource_spans[0];
    let mut inner = Vec::new();
    for scope in &resource_spans.scope_spans {
        prost::encoding::message::encode(2, scope, &mut inner);
    }
    prost::encoding::message::encode(1, resource_spans.resource.as_ref().unwrap(), &mut inner);
    prost::encoding::encode_key(1, prost::encoding::WireType::LengthDelimited, &mut body);
    prost::encoding::encode_varint(inner.len() as u64, &mut body);
    body.extend_from_slice(&inner);
    let spans = decode_protobuf(&body).expect("read");
    assert_eq!(spans.len(), 1);
    let span = &spans[0];
    assert_eq!(span.service, "shop");
    assert_eq!(span.kind, "server");
    assert!(span.error);
    assert_eq!(span.trace_id, "4b".repeat(16));
    let detail: serde_json::Value = serde_json::from_str(&span.detail).unwrap();
    assert_eq!(detail["tags"]["http.route"], "/checkout");
    assert_eq!(detail["status_message"], "card \"declined\"");
    assert_eq!(&*span.resource, r#"{"service.name":"shop"}"#);
    assert_eq!(decode_protobuf(&body), reference(&body));
}
