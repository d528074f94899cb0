//! The viewer's one HTTP port: OTLP/HTTP in (`POST /v1/traces`), the page
//! and its API out.

use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::analysis;
use crate::model::Span;
use crate::otlp::{self, Refused};
use crate::store::{Batch, Search, Store, Stored};

/// What the handlers share.
#[derive(Clone)]
pub(crate) struct Shared {
    pub store: Arc<Mutex<Store>>,
    pub max_body: usize,
}

pub(crate) fn router(shared: Shared) -> Router {
    let max_body = shared.max_body;
    Router::new()
        .route("/v1/traces", post(receive))
        .route("/api/traces", get(list))
        .route("/api/traces/{trace_id}", get(trace))
        .route("/api/compare", get(compare))
        .route("/api/stats", get(stats))
        .route(
            "/",
            get(|| async { page("text/html; charset=utf-8", include_str!("ui/index.html")) }),
        )
        .route(
            "/app.js",
            get(|| async { page("text/javascript; charset=utf-8", include_str!("ui/app.js")) }),
        )
        .route(
            "/app.css",
            get(|| async { page("text/css; charset=utf-8", include_str!("ui/app.css")) }),
        )
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(shared)
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // What the page may load: itself, nothing else.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; style-src 'self'; script-src 'self'",
            ),
        ],
        body,
    )
        .into_response()
}

/// A request refused: its status and why, as plain text.
pub(crate) struct Refusal {
    status: StatusCode,
    why: String,
}

fn refused(status: StatusCode, why: impl Into<String>) -> Refusal {
    Refusal {
        status,
        why: why.into(),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.why,
        )
            .into_response()
    }
}

/// Runs `work` on the store, off the async threads.
async fn with_store<T: Send + 'static>(
    shared: &Shared,
    work: impl FnOnce(&mut Store) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, Refusal> {
    let store = shared.store.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = store.lock().unwrap_or_else(PoisonError::into_inner);
        work(&mut store)
    })
    .await
    .map_err(|error| refused(StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))?
    .map_err(|error| {
        refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the store: {error}"),
        )
    })
}

/// `POST /v1/traces`: an OTLP/HTTP export, protobuf or JSON, gzip or not.
async fn receive(
    State(shared): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let json = match content_type.as_str() {
        "application/x-protobuf" | "application/protobuf" => false,
        "application/json" => true,
        other => {
            return Err(refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "OTLP/HTTP takes application/x-protobuf or application/json, not {other:?}"
                ),
            ));
        }
    };
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    let body = match encoding.as_str() {
        "identity" | "" => body.to_vec(),
        "gzip" => gunzip(&body, shared.max_body)?,
        other => {
            return Err(refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("unknown Content-Encoding {other:?} (gzip or none)"),
            ));
        }
    };
    let decoded = if json {
        otlp::decode_json(&body)
    } else {
        otlp::decode_protobuf(&body)
    };
    let spans: Vec<Span> = decoded.map_err(|Refused(why)| refused(StatusCode::BAD_REQUEST, why))?;
    // Written as the store keeps it here, while other requests do the
    // same: the store takes one writer at a time.
    let batch = Batch::new(&spans);
    drop(spans);
    with_store(&shared, move |store| store.insert_batch(&batch)).await?;
    // An empty ExportTraceServiceResponse: all taken.
    Ok(if json {
        ([(header::CONTENT_TYPE, "application/json")], "{}").into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            Vec::new(),
        )
            .into_response()
    })
}

/// `body` unpacked, refused past `limit` bytes (a small body may unpack
/// to gigabytes).
fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::new();
    let read = flate2::read::GzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out);
    match read {
        Err(error) => Err(refused(
            StatusCode::BAD_REQUEST,
            format!("not gzip: {error}"),
        )),
        Ok(_) if out.len() > limit => Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body unpacks past the limit of {limit} bytes"),
        )),
        Ok(_) => Ok(out),
    }
}

/// `GET /api/traces`: the list, filtered.
async fn list(
    State(shared): State<Shared>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, Refusal> {
    let text = |key: &str| {
        query
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let millis = |key: &str| -> Result<Option<i64>, Refusal> {
        match text(key) {
            None => Ok(None),
            Some(value) => value
                .parse::<f64>()
                .ok()
                .filter(|ms| ms.is_finite() && *ms >= 0.0)
                .map(|ms| Some((ms * 1e6) as i64))
                .ok_or_else(|| {
                    refused(
                        StatusCode::BAD_REQUEST,
                        format!("`{key}` is not a number of milliseconds"),
                    )
                }),
        }
    };
    let search = Search {
        service: text("service"),
        name: text("name"),
        tag: text("tag").map(|tag| match tag.split_once('=') {
            Some((key, value)) => (key.trim().to_owned(), Some(value.trim().to_owned())),
            None => (tag, None),
        }),
        error: matches!(text("error").as_deref(), Some("1" | "true" | "on")),
        min_duration: millis("min_ms")?,
        max_duration: millis("max_ms")?,
        root_name: text("root"),
        limit: text("limit")
            .and_then(|limit| limit.parse().ok())
            .unwrap_or(100),
    };
    let (traces, stats) = with_store(&shared, move |store| {
        Ok((store.search(&search)?, store.stats()?))
    })
    .await?;
    Ok(axum::Json(json!({
        "traces": traces.iter().map(|t| json!({
            "trace_id": t.trace_id,
            "root_name": t.root_name,
            "root_service": t.root_service,
            "services": t.services,
            "start": t.start.to_string(),
            "duration": t.duration,
            "span_count": t.span_count,
            "errors": t.errors,
        })).collect::<Vec<_>>(),
        "stats": stats_json(&stats),
    }))
    .into_response())
}

fn stats_json(stats: &crate::store::Stats) -> Value {
    json!({
        "traces": stats.traces,
        "spans": stats.spans,
        "bytes": stats.bytes,
        "max_bytes": stats.max_bytes,
        "evicted_traces": stats.evicted_traces,
        "evicted_spans": stats.evicted_spans,
    })
}

fn spans_json(spans: &[Stored]) -> Value {
    let critical = analysis::critical_path(spans);
    Value::Array(
        spans
            .iter()
            .map(|span| {
                json!({
                    "span_id": span.span_id,
                    "parent_id": span.parent_id,
                    "name": span.name,
                    "service": span.service,
                    "kind": span.kind,
                    "start": span.start.to_string(),
                    "end": span.end.to_string(),
                    "error": span.error,
                    "critical": critical.contains(&span.span_id),
                    "detail": span.detail,
                })
            })
            .collect(),
    )
}

/// `GET /api/traces/{trace_id}`: one trace's spans, the critical path
/// marked.
async fn trace(
    State(shared): State<Shared>,
    Path(trace_id): Path<String>,
) -> Result<Response, Refusal> {
    let trace_id = trace_id.to_ascii_lowercase();
    let id = trace_id.clone();
    let spans = with_store(&shared, move |store| store.trace(&id)).await?;
    if spans.is_empty() {
        return Err(refused(
            StatusCode::NOT_FOUND,
            format!("no trace {trace_id} (evicted, or never sent)"),
        ));
    }
    Ok(axum::Json(json!({"trace_id": trace_id, "spans": spans_json(&spans)})).into_response())
}

/// `GET /api/compare?a=..&b=..`: two traces, span by span.
async fn compare(
    State(shared): State<Shared>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, Refusal> {
    let (Some(a), Some(b)) = (query.get("a").cloned(), query.get("b").cloned()) else {
        return Err(refused(
            StatusCode::BAD_REQUEST,
            "compare takes two traces: ?a=..&b=..",
        ));
    };
    let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
    let ids = (a.clone(), b.clone());
    let (first, second) = with_store(&shared, move |store| {
        Ok((store.trace(&ids.0)?, store.trace(&ids.1)?))
    })
    .await?;
    for (id, spans) in [(&a, &first), (&b, &second)] {
        if spans.is_empty() {
            return Err(refused(StatusCode::NOT_FOUND, format!("no trace {id}")));
        }
    }
    let rows: Vec<Value> = analysis::compare(&first, &second)
        .iter()
        .map(|row| {
            json!({
                "path": row.path,
                "name": row.name,
                "service": row.service,
                "depth": row.depth,
                "a": row.a,
                "b": row.b,
            })
        })
        .collect();
    Ok(axum::Json(json!({"a": a, "b": b, "rows": rows})).into_response())
}

async fn stats(State(shared): State<Shared>) -> Result<Response, Refusal> {
    let stats = with_store(&shared, |store| store.stats()).await?;
    Ok(axum::Json(stats_json(&stats)).into_response())
}
