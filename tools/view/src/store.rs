//! The store: spans in one SQLite file, kept across restarts, bounded by a
//! size the user sets. Past it, whole traces go, the oldest first, and
//! what went is counted (in the file too).
//!
//! A request's spans of one trace and one process are written as one row,
//! a chunk (their ids, names and JSON text together), not a row each:
//! ingest is bound by the one writer, and a row's cost (its B-tree cells,
//! its index entry, its statement) was most of it. A trace's summary row
//! is kept from what each request adds, without reading its spans back.
//! A span sent again (an exporter's retry) is counted once, and the copy
//! received last is the one shown.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::model::{Span, push_json_string};

/// What a chunk costs the store beyond its text: its row, its index entry.
const CHUNK_OVERHEAD: u64 = 64;

/// The file's format (`PRAGMA user_version`): spans in chunks, a row per
/// trace, process and request.
const FORMAT: i64 = 3;

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = NORMAL;
    -- Checkpoints (each copies the log into the file and syncs it) every
    -- 64 MB of log, not every 4 MB: a quarter of ingest's time went there.
    PRAGMA wal_autocheckpoint = 16384;
    PRAGMA cache_size = -16384;
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS traces (
        trace_id BLOB PRIMARY KEY,
        seq INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        root_name TEXT NOT NULL,
        root_service TEXT NOT NULL,
        -- The root's start, and whether it has a parent (not received).
        root_start INTEGER NOT NULL,
        root_parented INTEGER NOT NULL,
        span_count INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS traces_seq ON traces (seq);
    CREATE INDEX IF NOT EXISTS traces_start ON traces (start);
    CREATE TABLE IF NOT EXISTS resources (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
    -- Spans of one trace and one process, received in one request:
    -- `ids` their span ids (8 bytes each, in order), `names` their
    -- distinct names (a JSON array), `spans` a JSON array of objects
    -- (`span_id`, `parent_id`, `name`, `kind`, `start`, `end`, `error`,
    -- `detail`).
    CREATE TABLE IF NOT EXISTS chunks (
        id INTEGER PRIMARY KEY,
        trace_id BLOB NOT NULL,
        service TEXT NOT NULL,
        resource_id INTEGER NOT NULL,
        ids BLOB NOT NULL,
        names TEXT NOT NULL,
        spans TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS chunks_trace ON chunks (trace_id);
";

/// The store's counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Traces kept.
    pub traces: u64,
    /// Spans kept.
    pub spans: u64,
    /// What the kept spans take, as the store counts them.
    pub bytes: u64,
    /// The bound.
    pub max_bytes: u64,
    /// Traces evicted to stay within `max_bytes`, since the file was made.
    pub evicted_traces: u64,
    /// Their spans.
    pub evicted_spans: u64,
}

/// A trace in the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// 32 hex digits.
    pub trace_id: String,
    /// The root span's name: the first to start of those without a parent;
    /// while none has arrived (a trace whose root is elsewhere or late), the
    /// first to start.
    pub root_name: String,
    /// The root span's service.
    pub root_service: String,
    /// Every service with a span in it, sorted.
    pub services: Vec<String>,
    /// When its first span started, in nanoseconds since the Unix epoch.
    pub start: i64,
    /// From its first start to its last end, in nanoseconds.
    pub duration: i64,
    /// How many spans it has.
    pub span_count: u64,
    /// How many of them failed.
    pub errors: u64,
}

/// What the list is filtered by; every field is optional.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// A service any span of the trace belongs to.
    pub service: Option<String>,
    /// Part of the name of any span of the trace.
    pub name: Option<String>,
    /// A tag of any span: its key, and its value as text (any value when
    /// `None`).
    pub tag: Option<(String, Option<String>)>,
    /// Only traces with a failed span.
    pub error: bool,
    /// The trace's duration, in nanoseconds.
    pub min_duration: Option<i64>,
    /// The longest duration, in nanoseconds.
    pub max_duration: Option<i64>,
    /// Only traces whose root has this exact name (what comparisons pick
    /// from).
    pub root_name: Option<String>,
    /// How many traces at most (1 to 1,000).
    pub limit: usize,
}

/// A stored span: its columns and its detail (tags, logs, links, ...).
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    /// 16 hex digits.
    pub span_id: String,
    /// The parent's span id; `None` for a root.
    pub parent_id: Option<String>,
    /// The operation's name.
    pub name: String,
    /// The `service.name` of the process that made it.
    pub service: String,
    /// `internal`, `server`, `client`, `producer`, `consumer`.
    pub kind: String,
    /// Nanoseconds since the Unix epoch.
    pub start: i64,
    /// Nanoseconds since the Unix epoch.
    pub end: i64,
    /// Whether it failed.
    pub error: bool,
    /// Tags, logs, links, baggage, the status message and the resource.
    pub detail: Value,
}

/// The store, one SQLite file.
pub struct Store {
    db: Connection,
    max_bytes: u64,
}

/// Spans made ready to store: grouped into chunks (a trace's spans of one
/// process) and written as JSON text. Made before the store is locked, so
/// requests do this work side by side and the one writer only writes.
///
/// ```
/// use tracekit_view::{otlp, store::{Batch, Store}};
///
/// let body = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{
///     "traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",
///     "name":"GET /","startTimeUnixNano":"1000","endTimeUnixNano":"2000"}]}]}]}"#;
/// let batch = Batch::new(&otlp::decode_json(body).expect("OTLP"));
/// let path = std::env::temp_dir().join(format!("tracekit-view-doc-{}.db", std::process::id()));
/// let mut store = Store::open(&path, 1 << 20)?;
/// store.insert_batch(&batch)?;
/// assert_eq!(store.trace("4bf92f3577b34da6a3ce929d0e0e4736")?[0].name, "GET /");
/// # drop(store);
/// # for suffix in ["", "-wal", "-shm"] { let _ = std::fs::remove_file(format!("{}{suffix}", path.display())); }
/// # Ok::<(), rusqlite::Error>(())
/// ```
pub struct Batch {
    chunks: Vec<Chunk>,
}

/// One chunk of a [`Batch`].
struct Chunk {
    trace_id: [u8; 16],
    service: String,
    resource: std::sync::Arc<str>,
    /// Span ids, 8 bytes each, big-endian, in the order of `spans`.
    ids: Vec<u8>,
    /// Which of them failed.
    failed: Vec<bool>,
    names: Vec<String>,
    /// A JSON array's text.
    spans: String,
    start: i64,
    end: i64,
    /// The span that would be the trace's root, of those in the chunk.
    root: Root,
}

/// A candidate for a trace's root: a span without a parent beats one
/// with a parent (its parent not received), then the first to start.
#[derive(Clone, Debug, PartialEq)]
struct Root {
    parented: bool,
    start: i64,
    name: String,
    service: String,
}

impl Root {
    fn beats(&self, other: &Root) -> bool {
        (self.parented, self.start) < (other.parented, other.start)
    }
}

impl Batch {
    /// Groups `spans` into chunks and writes their text.
    pub fn new(spans: &[Span]) -> Batch {
        let mut chunks: Vec<Chunk> = Vec::new();
        // A chunk by trace, process and service. Spans of one chunk mostly
        // come together: the last one is tried first.
        let mut index: HashMap<([u8; 16], &str, &str), usize> = HashMap::new();
        let mut last = usize::MAX;
        for span in spans {
            let trace_id = id_bytes::<16>(&span.trace_id);
            let fits = |chunk: &Chunk| {
                chunk.trace_id == trace_id
                    && chunk.resource == span.resource
                    && chunk.service == span.service
            };
            if last >= chunks.len() || !fits(&chunks[last]) {
                last = *index
                    .entry((trace_id, &*span.resource, &*span.service))
                    .or_insert_with(|| {
                        chunks.push(Chunk::new(trace_id, span));
                        chunks.len() - 1
                    });
            }
            chunks[last].push(span);
        }
        for chunk in &mut chunks {
            chunk.spans.push(']');
        }
        Batch { chunks }
    }

    /// How many spans it holds.
    pub fn len(&self) -> usize {
        self.chunks.iter().map(|chunk| chunk.failed.len()).sum()
    }

    /// Whether it holds no span.
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }
}

impl Chunk {
    fn new(trace_id: [u8; 16], first: &Span) -> Chunk {
        Chunk {
            trace_id,
            service: first.service.clone(),
            resource: first.resource.clone(),
            ids: Vec::new(),
            failed: Vec::new(),
            names: Vec::new(),
            spans: String::with_capacity(64 << 10),
            start: i64::MAX,
            end: i64::MIN,
            root: Root {
                parented: true,
                start: i64::MAX,
                name: String::new(),
                service: String::new(),
            },
        }
    }

    fn push(&mut self, span: &Span) {
        self.ids.extend_from_slice(&id_bytes::<8>(&span.span_id));
        self.failed.push(span.error);
        if !self.names.contains(&span.name) {
            self.names.push(span.name.clone());
        }
        self.start = self.start.min(span.start);
        self.end = self.end.max(span.end);
        let root = Root {
            parented: span.parent_id.is_some(),
            start: span.start,
            name: String::new(),
            service: String::new(),
        };
        if root.beats(&self.root) {
            self.root = Root {
                name: span.name.clone(),
                service: span.service.clone(),
                ..root
            };
        }
        let out = &mut self.spans;
        out.push(if out.is_empty() { '[' } else { ',' });
        out.push_str("{\"span_id\":\"");
        out.push_str(&span.span_id);
        out.push_str("\",\"parent_id\":");
        match &span.parent_id {
            Some(parent) => {
                out.push('"');
                out.push_str(parent);
                out.push('"');
            }
            None => out.push_str("null"),
        }
        out.push_str(",\"name\":");
        push_json_string(out, &span.name);
        out.push_str(",\"kind\":");
        push_json_string(out, &span.kind);
        out.push_str(&format!(
            ",\"start\":{},\"end\":{},\"error\":{},\"detail\":",
            span.start, span.end, span.error
        ));
        out.push_str(&span.detail);
        out.push('}');
    }

    /// What the chunk costs the store.
    fn bytes(&self) -> i64 {
        (CHUNK_OVERHEAD
            + (self.spans.len() + self.ids.len() + self.service.len()) as u64
            + self
                .names
                .iter()
                .map(|name| name.len() as u64 + 3)
                .sum::<u64>()) as i64
    }

    fn names_json(&self) -> String {
        let mut out = String::from("[");
        for (at, name) in self.names.iter().enumerate() {
            if at > 0 {
                out.push(',');
            }
            push_json_string(&mut out, name);
        }
        out.push(']');
        out
    }
}

/// A hex id (checked when it was received) as bytes.
fn id_bytes<const N: usize>(hex: &str) -> [u8; N] {
    let mut bytes = [0u8; N];
    for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let digit = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
        *byte = digit(pair[0]) << 4 | pair.get(1).map_or(0, |&d| digit(d));
    }
    bytes
}

/// A trace the store holds: its summary row and its spans' ids.
type Known = (TraceRow, HashSet<[u8; 8]>);

/// A trace's summary row as it stands.
struct TraceRow {
    start: i64,
    end: i64,
    span_count: i64,
    errors: i64,
    bytes: i64,
    root: Root,
}

impl Store {
    /// Opens (or makes) the store at `path`, bounded by `max_bytes`.
    pub fn open(path: &Path, max_bytes: u64) -> rusqlite::Result<Store> {
        let db = Connection::open(path)?;
        let format: i64 = db.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let tables: i64 = db.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |row| row.get(0),
        )?;
        if tables > 0 && format != FORMAT {
            return Err(rusqlite::Error::InvalidParameterName(format!(
                "{} was written by another version of tracekit-view (format {format}, not {FORMAT}): remove it or give another --store",
                path.display()
            )));
        }
        db.execute_batch(SCHEMA)?;
        db.pragma_update(None, "user_version", FORMAT)?;
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('bytes', 0)",
            [],
        )?;
        let mut store = Store { db, max_bytes };
        // A smaller bound than the file was kept with applies at once.
        store.evict()?;
        Ok(store)
    }

    fn meta(&self, key: &str) -> rusqlite::Result<u64> {
        let value: Option<i64> = self
            .db
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?;
        Ok(value.unwrap_or(0).max(0) as u64)
    }

    /// Adds `spans` (see [`insert_batch`](Self::insert_batch)).
    pub fn insert(&mut self, spans: &[Span]) -> rusqlite::Result<()> {
        self.insert_batch(&Batch::new(spans))
    }

    /// Adds `batch` in one transaction, then evicts what the bound
    /// requires in another. A span the trace already holds is not counted
    /// again, and its new copy is the one shown.
    pub fn insert_batch(&mut self, batch: &Batch) -> rusqlite::Result<()> {
        let tx = self.db.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO chunks (trace_id, service, resource_id, ids, names, spans)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            // A process's resource, kept once: looked up once a batch.
            let mut resources: HashMap<&str, i64> = HashMap::new();
            let mut traces: HashMap<[u8; 16], Option<Known>> = HashMap::new();
            let mut added = 0i64;
            for chunk in &batch.chunks {
                let resource_id = match resources.get(&*chunk.resource) {
                    Some(id) => *id,
                    None => {
                        let id = resource_id(&tx, &chunk.resource)?;
                        resources.insert(&chunk.resource, id);
                        id
                    }
                };
                let trace = match traces.entry(chunk.trace_id) {
                    std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                    std::collections::hash_map::Entry::Vacant(new) => {
                        new.insert(stored_trace(&tx, &chunk.trace_id)?)
                    }
                };
                let (row, seen) = trace.get_or_insert_with(|| {
                    (
                        TraceRow {
                            start: i64::MAX,
                            end: i64::MIN,
                            span_count: 0,
                            errors: 0,
                            bytes: 0,
                            root: chunk.root.clone(),
                        },
                        HashSet::new(),
                    )
                });
                for (id, failed) in chunk.ids.chunks_exact(8).zip(&chunk.failed) {
                    if seen.insert(id.try_into().unwrap_or_default()) {
                        row.span_count += 1;
                        row.errors += i64::from(*failed);
                    }
                }
                row.start = row.start.min(chunk.start);
                row.end = row.end.max(chunk.end);
                let bytes = chunk.bytes();
                row.bytes += bytes;
                added += bytes;
                if chunk.root.beats(&row.root) {
                    row.root = chunk.root.clone();
                }
                insert.execute(params![
                    &chunk.trace_id[..],
                    chunk.service,
                    resource_id,
                    chunk.ids,
                    chunk.names_json(),
                    chunk.spans,
                ])?;
            }
            for (trace_id, trace) in &traces {
                if let Some((row, _)) = trace {
                    write_trace(&tx, trace_id, row)?;
                }
            }
            add_to_meta(&tx, "bytes", added)?;
        }
        tx.commit()?;
        self.evict()
    }

    /// Drops the oldest traces (first seen first) until the rest fit.
    fn evict(&mut self) -> rusqlite::Result<()> {
        let mut total = self.meta("bytes")?;
        if total <= self.max_bytes {
            return Ok(());
        }
        let tx = self.db.transaction()?;
        let (mut traces, mut spans) = (0i64, 0i64);
        {
            let mut oldest =
                tx.prepare("SELECT trace_id, span_count, bytes FROM traces ORDER BY seq")?;
            let mut rows = oldest.query([])?;
            let mut gone = Vec::new();
            while total > self.max_bytes {
                let Some(row) = rows.next()? else { break };
                let (trace_id, count, bytes): (Vec<u8>, i64, i64) =
                    (row.get(0)?, row.get(1)?, row.get(2)?);
                total = total.saturating_sub(bytes.max(0) as u64);
                traces += 1;
                spans += count;
                gone.push(trace_id);
            }
            drop(rows);
            for trace_id in gone {
                tx.execute("DELETE FROM chunks WHERE trace_id = ?1", [&trace_id])?;
                tx.execute("DELETE FROM traces WHERE trace_id = ?1", [&trace_id])?;
            }
            // The resources no chunk names any more, once there are more
            // than a few processes' worth.
            let resources: i64 =
                tx.query_row("SELECT count(*) FROM resources", [], |row| row.get(0))?;
            if resources > 256 {
                tx.execute(
                    "DELETE FROM resources WHERE id NOT IN (SELECT DISTINCT resource_id FROM chunks)",
                    [],
                )?;
            }
        }
        add_to_meta(&tx, "evicted_traces", traces)?;
        add_to_meta(&tx, "evicted_spans", spans)?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'bytes'",
            [total as i64],
        )?;
        tx.commit()
    }

    /// The store's counts.
    pub fn stats(&self) -> rusqlite::Result<Stats> {
        let (traces, spans): (i64, i64) = self.db.query_row(
            "SELECT count(*), coalesce(sum(span_count), 0) FROM traces",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        Ok(Stats {
            traces: traces as u64,
            spans: spans as u64,
            bytes: self.meta("bytes")?,
            max_bytes: self.max_bytes,
            evicted_traces: self.meta("evicted_traces")?,
            evicted_spans: self.meta("evicted_spans")?,
        })
    }

    /// The traces that match `search`, the most recent first.
    pub fn search(&self, search: &Search) -> rusqlite::Result<Vec<Summary>> {
        let mut sql = String::from(
            "SELECT lower(hex(trace_id)), root_name, root_service, start, end - start, span_count, errors
             FROM traces t WHERE 1",
        );
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut bind = |sql: &mut String, clause: &str, value: rusqlite::types::Value| {
            values.push(value);
            sql.push_str(&clause.replace('?', &format!("?{}", values.len())));
        };
        if let Some(service) = &search.service {
            bind(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM chunks c WHERE c.trace_id = t.trace_id AND c.service = ?)",
                service.clone().into(),
            );
        }
        if let Some(name) = &search.name {
            bind(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM chunks c, json_each(c.names) n
                   WHERE c.trace_id = t.trace_id AND instr(n.value, ?) > 0)",
                name.clone().into(),
            );
        }
        if let Some(root) = &search.root_name {
            bind(&mut sql, " AND t.root_name = ?", root.clone().into());
        }
        if let Some((key, value)) = &search.tag {
            let path = format!(
                "$.detail.tags.\"{}\"",
                key.replace('\\', "\\\\").replace('"', "\\\"")
            );
            let spans = " AND EXISTS (SELECT 1 FROM chunks c, json_each(c.spans) s
                 WHERE c.trace_id = t.trace_id AND ";
            match value {
                Some(value) => {
                    bind(
                        &mut sql,
                        &format!("{spans}CAST(json_extract(s.value, ?"),
                        path.into(),
                    );
                    bind(&mut sql, ") AS TEXT) = ?)", value.clone().into());
                }
                None => bind(
                    &mut sql,
                    &format!("{spans}json_type(s.value, ?) IS NOT NULL)"),
                    path.into(),
                ),
            }
        }
        if search.error {
            sql.push_str(" AND t.errors > 0");
        }
        if let Some(min) = search.min_duration {
            bind(&mut sql, " AND t.end - t.start >= ?", min.into());
        }
        if let Some(max) = search.max_duration {
            bind(&mut sql, " AND t.end - t.start <= ?", max.into());
        }
        sql.push_str(" ORDER BY t.start DESC LIMIT ");
        sql.push_str(&search.limit.clamp(1, 1000).to_string());
        let mut statement = self.db.prepare(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(values), |row| {
            Ok(Summary {
                trace_id: row.get(0)?,
                root_name: row.get(1)?,
                root_service: row.get(2)?,
                services: Vec::new(),
                start: row.get(3)?,
                duration: row.get(4)?,
                span_count: row.get::<_, i64>(5)? as u64,
                errors: row.get::<_, i64>(6)? as u64,
            })
        })?;
        let mut found = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut services = self.db.prepare_cached(
            "SELECT DISTINCT service FROM chunks WHERE trace_id = unhex(?1) ORDER BY service",
        )?;
        for summary in &mut found {
            summary.services = services
                .query_map([&summary.trace_id], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(found)
    }

    /// The spans of a trace, in the order they started; of a span
    /// received twice, the copy received last.
    pub fn trace(&self, trace_id: &str) -> rusqlite::Result<Vec<Stored>> {
        let mut statement = self.db.prepare_cached(
            "SELECT c.service, r.json, c.spans
             FROM chunks c JOIN resources r ON r.id = c.resource_id
             WHERE c.trace_id = unhex(?1) ORDER BY c.id",
        )?;
        let mut rows = statement.query([trace_id])?;
        let mut spans: Vec<Stored> = Vec::new();
        let mut found: HashMap<String, usize> = HashMap::new();
        while let Some(row) = rows.next()? {
            let service: String = row.get(0)?;
            let resource: Value =
                serde_json::from_str(row.get_ref(1)?.as_str()?).unwrap_or(Value::Null);
            let chunk: Value =
                serde_json::from_str(row.get_ref(2)?.as_str()?).unwrap_or(Value::Null);
            let Value::Array(chunk) = chunk else { continue };
            for span in chunk {
                let Some(stored) = stored(span, &service, &resource) else {
                    continue;
                };
                match found.get(&stored.span_id) {
                    Some(&at) => spans[at] = stored,
                    None => {
                        found.insert(stored.span_id.clone(), spans.len());
                        spans.push(stored);
                    }
                }
            }
        }
        spans.sort_by(|a, b| (a.start, &a.span_id).cmp(&(b.start, &b.span_id)));
        Ok(spans)
    }
}

/// A span of a chunk's JSON as the page gets it, with its process's
/// service and resource.
fn stored(span: Value, service: &str, resource: &Value) -> Option<Stored> {
    let Value::Object(mut span) = span else {
        return None;
    };
    let mut text = |key: &str| match span.remove(key) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    };
    let (span_id, parent_id, name, kind) = (
        text("span_id")?,
        text("parent_id"),
        text("name")?,
        text("kind")?,
    );
    let number = |key: &str| span.get(key).and_then(Value::as_i64);
    let (start, end) = (number("start")?, number("end")?);
    let error = span.get("error").and_then(Value::as_bool).unwrap_or(false);
    let mut detail = span.remove("detail").unwrap_or(Value::Null);
    if let Value::Object(members) = &mut detail {
        members.insert("resource".to_owned(), resource.clone());
    }
    Some(Stored {
        span_id,
        parent_id,
        name,
        service: service.to_owned(),
        kind,
        start,
        end,
        error,
        detail,
    })
}

/// Adds `by` to the count `key` (made at 0 the first time).
fn add_to_meta(tx: &rusqlite::Transaction<'_>, key: &str, by: i64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = value + ?2",
    )?
    .execute(params![key, by])?;
    Ok(())
}

/// The id of `resource` (a JSON object's text) in the store, kept once.
fn resource_id(tx: &rusqlite::Transaction<'_>, resource: &str) -> rusqlite::Result<i64> {
    let known = tx
        .prepare_cached("SELECT id FROM resources WHERE json = ?1")?
        .query_row([resource], |row| row.get(0))
        .optional()?;
    match known {
        Some(id) => Ok(id),
        None => {
            tx.prepare_cached("INSERT INTO resources (json) VALUES (?1)")?
                .execute([resource])?;
            Ok(tx.last_insert_rowid())
        }
    }
}

/// The summary row of `trace_id` and the span ids it holds, if the store
/// has the trace.
fn stored_trace(
    tx: &rusqlite::Transaction<'_>,
    trace_id: &[u8; 16],
) -> rusqlite::Result<Option<Known>> {
    let row = tx
        .prepare_cached(
            "SELECT start, end, span_count, errors, bytes, root_name, root_service, root_start, root_parented
             FROM traces WHERE trace_id = ?1",
        )?
        .query_row([&trace_id[..]], |row| {
            Ok(TraceRow {
                start: row.get(0)?,
                end: row.get(1)?,
                span_count: row.get(2)?,
                errors: row.get(3)?,
                bytes: row.get(4)?,
                root: Root {
                    name: row.get(5)?,
                    service: row.get(6)?,
                    start: row.get(7)?,
                    parented: row.get(8)?,
                },
            })
        })
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let mut seen = HashSet::new();
    let mut ids = tx.prepare_cached("SELECT ids FROM chunks WHERE trace_id = ?1")?;
    let mut chunks = ids.query([&trace_id[..]])?;
    while let Some(chunk) = chunks.next()? {
        for id in chunk.get_ref(0)?.as_blob()?.chunks_exact(8) {
            seen.insert(id.try_into().unwrap_or_default());
        }
    }
    Ok(Some((row, seen)))
}

/// Writes the summary row of `trace_id`: a new trace takes the next
/// sequence number (the eviction order).
fn write_trace(
    tx: &rusqlite::Transaction<'_>,
    trace_id: &[u8; 16],
    row: &TraceRow,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO traces (trace_id, seq, start, end, root_name, root_service, root_start,
             root_parented, span_count, errors, bytes)
         VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM traces), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (trace_id) DO UPDATE SET start = ?2, end = ?3, root_name = ?4,
             root_service = ?5, root_start = ?6, root_parented = ?7, span_count = ?8,
             errors = ?9, bytes = ?10",
    )?
    .execute(params![
        &trace_id[..],
        row.start,
        row.end,
        row.root.name,
        row.root.service,
        row.root.start,
        row.root.parented,
        row.span_count,
        row.errors,
        row.bytes,
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn span(trace: u8, id: u8, resource: &str) -> Span {
        Span {
            trace_id: format!("{trace:032x}"),
            span_id: format!("{id:016x}"),
            parent_id: None,
            name: format!("span {id}"),
            service: "shop".into(),
            kind: "internal".into(),
            start: i64::from(id),
            end: i64::from(id) + 1,
            error: false,
            detail: "{}".into(),
            resource: Arc::from(resource),
        }
    }

    /// JSON-lines files give each span a resource of its own: equal ones
    /// still share a chunk, interleaved traces find theirs.
    #[test]
    fn spans_group_by_trace_and_process_whatever_their_order() {
        let process = r#"{"service.name":"shop"}"#;
        let spans: Vec<Span> = (1..=6)
            .map(|id| span(1 + id % 2, id, process))
            .chain([span(1, 7, r#"{"service.name":"shop","host":"b"}"#)])
            .collect();
        let batch = Batch::new(&spans);
        assert_eq!(batch.len(), 7);
        let sizes: Vec<usize> = batch.chunks.iter().map(|c| c.failed.len()).collect();
        assert_eq!(sizes, [3, 3, 1]);
        assert!(batch.chunks[0].spans.starts_with('[') && batch.chunks[0].spans.ends_with(']'));
    }
}
