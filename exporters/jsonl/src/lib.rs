//! A JSON-lines exporter for tracekit: each finished span is one line of a
//! file, in a stable schema that tools, CI artifacts and tests can read.
//! Several processes may append to one file: each batch goes to the file
//! in one append, so lines never interleave.
//!
//! ```
//! use tracekit_jsonl::JsonLines;
//!
//! let path = std::env::temp_dir().join(format!("tracekit-doc-{}.jsonl", std::process::id()));
//! let tracer = tracekit_runtime::Tracer::builder()
//!     .service_name("shop")
//!     .exporter(JsonLines::append(&path).unwrap())
//!     .build();
//! tracer.span("checkout").tag("items", 3).start().finish();
//! tracer.flush().unwrap();
//! let text = std::fs::read_to_string(&path).unwrap();
//! let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
//! assert_eq!(line["schema"], "tracekit.span/1");
//! assert_eq!(line["name"], "checkout");
//! assert_eq!(line["tags"]["items"], 3);
//! assert_eq!(line["resource"]["service.name"], "shop");
//! # std::fs::remove_file(&path).unwrap();
//! ```
//!
//! # The schema, `tracekit.span/1`
//!
//! One JSON object per line, with these fields (a later version may add
//! fields, never change or remove one; a change would be `/2`):
//!
//! | field | type | what |
//! | --- | --- | --- |
//! | `schema` | string | `"tracekit.span/1"` |
//! | `trace_id` | string | 32 lower-case hex digits |
//! | `span_id` | string | 16 lower-case hex digits |
//! | `parent_id` | string or null | 16 hex digits; null for a root |
//! | `parent_is_remote` | bool | the parent came from another process |
//! | `name` | string | the operation name |
//! | `kind` | string | `internal`, `server`, `client`, `producer`, `consumer` |
//! | `start_unix_nano`, `end_unix_nano` | string | nanoseconds since the Unix epoch, as decimal text (exact past 2^53) |
//! | `trace_state` | string | the W3C `tracestate`, empty when none |
//! | `random_trace_id` | bool | W3C's random flag |
//! | `error` | bool | the span failed (the `error` tag) |
//! | `tags` | object | each tag: a JSON string, number or bool |
//! | `logs` | array | `{"time_unix_nano": string, "fields": object}` each |
//! | `follows_from` | array | `{"trace_id": string, "span_id": string}` each |
//! | `baggage` | object | the baggage the span carried, strings |
//! | `resource` | object | the tracer's resource (`service.name`, ...) |

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{Map, Value, json};
use tracekit_runtime::export::{ExportError, Exporter};
use tracekit_runtime::{Field, Resource, SpanRecord, TagValue};

/// The schema name every line carries.
pub const SCHEMA: &str = "tracekit.span/1";

/// The variable `OTEL_TRACES_EXPORTER=jsonl` reads the file's path from.
pub const PATH_VARIABLE: &str = "TRACEKIT_JSONL_PATH";

/// The file written when [`PATH_VARIABLE`] is not set.
pub const DEFAULT_PATH: &str = "traces.jsonl";

/// Appends each finished span to a file as one line of JSON.
pub struct JsonLines {
    file: File,
    path: PathBuf,
    resource: Value,
    batch: Vec<u8>,
}

impl JsonLines {
    /// Appends to the file at `path`, creating it if needed.
    pub fn append(path: impl AsRef<Path>) -> io::Result<JsonLines> {
        let path = path.as_ref().to_owned();
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(JsonLines {
            file,
            path,
            resource: resource_json(&Resource::new("unknown_service")),
            batch: Vec::new(),
        })
    }

    /// Appends to the file [`PATH_VARIABLE`] names (default
    /// [`DEFAULT_PATH`]).
    pub fn from_env() -> io::Result<JsonLines> {
        let path = std::env::var(PATH_VARIABLE)
            .ok()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_PATH.to_owned());
        JsonLines::append(path)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Exporter for JsonLines {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        self.batch.clear();
        for record in batch {
            serde_json::to_writer(&mut self.batch, &line(record, &self.resource))
                .map_err(io::Error::from)?;
            self.batch.push(b'\n');
        }
        // One append for the whole batch: lines of other processes
        // appending to the same file land before or after it, not inside.
        self.file.write_all(&self.batch)?;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        self.file.flush()?;
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = resource_json(resource);
    }
}

/// One span's line.
pub fn line(record: &SpanRecord, resource: &Value) -> Value {
    json!({
        "schema": SCHEMA,
        "trace_id": record.trace_id.to_string(),
        "span_id": record.span_id.to_string(),
        "parent_id": record.parent_id.map(|id| id.to_string()),
        "parent_is_remote": record.parent_is_remote,
        "name": record.name,
        "kind": record.kind.as_str(),
        "start_unix_nano": unix_nanos_text(record.start),
        "end_unix_nano": unix_nanos_text(record.end),
        "trace_state": record.trace_state.as_str(),
        "random_trace_id": record.random_trace_id,
        "error": record.is_error(),
        "tags": fields(&record.tags),
        "logs": record.logs.iter().map(|log| json!({
            "time_unix_nano": unix_nanos_text(log.timestamp),
            "fields": fields(&log.fields),
        })).collect::<Vec<_>>(),
        "follows_from": record.follows_from.iter().map(|cause| json!({
            "trace_id": cause.trace_id().to_string(),
            "span_id": cause.span_id().to_string(),
        })).collect::<Vec<_>>(),
        "baggage": record.baggage.iter().map(|(k, v)| (k.to_owned(), Value::from(v))).collect::<Map<_, _>>(),
        "resource": resource,
    })
}

fn resource_json(resource: &Resource) -> Value {
    fields(resource.attributes())
}

fn fields(fields: &[Field]) -> Value {
    let map: Map<String, Value> = fields
        .iter()
        .map(|(key, value)| (key.to_string(), tag_json(value)))
        .collect();
    Value::Object(map)
}

fn tag_json(value: &TagValue) -> Value {
    match value {
        TagValue::Bool(v) => Value::from(*v),
        TagValue::I64(v) => Value::from(*v),
        TagValue::U64(v) => Value::from(*v),
        // JSON has no NaN or infinity: those become null.
        TagValue::F64(v) => Value::from(*v),
        TagValue::Str(v) => Value::from(v.as_str()),
    }
}

fn unix_nanos_text(time: SystemTime) -> String {
    tracekit_runtime::unix_nanos(time).to_string()
}
