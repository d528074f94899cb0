//! The store: spans in one SQLite file, kept across restarts, bounded by a
//! size the user sets. Past it, whole traces go, the oldest first, and
//! what went is counted (in the file too).

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use crate::model::Span;

/// What a span costs the store beyond its text: its row, its indexes.
const ROW_OVERHEAD: u64 = 96;

/// The file's format (`PRAGMA user_version`): ids as bytes, spans in a
/// rowid table (rows of a few hundred bytes append at its end; the ids'
/// index stays small).
const FORMAT: i64 = 2;

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
        span_count INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS traces_seq ON traces (seq);
    CREATE INDEX IF NOT EXISTS traces_start ON traces (start);
    CREATE TABLE IF NOT EXISTS resources (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
    CREATE TABLE IF NOT EXISTS spans (
        trace_id BLOB NOT NULL,
        span_id BLOB NOT NULL,
        parent_id BLOB,
        name TEXT NOT NULL,
        service TEXT NOT NULL,
        kind TEXT NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        error INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        resource_id INTEGER NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS spans_ids ON spans (trace_id, span_id);
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
    /// The root span's name (the first to start among those without a parent here).
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
        // The running total of a file written before it was kept.
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value)
             SELECT 'bytes', coalesce(sum(bytes), 0) FROM traces",
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

    /// Adds `spans` (a span sent again replaces the first), then evicts
    /// what the bound requires; all in one transaction.
    pub fn insert(&mut self, spans: &[Span]) -> rusqlite::Result<()> {
        let tx = self.db.transaction()?;
        let mut traces = BTreeSet::new();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO spans
                 (trace_id, span_id, parent_id, name, service, kind, start, end, error, bytes, resource_id, detail)
                 VALUES (unhex(?1), unhex(?2), unhex(?3), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            // A process's resource, kept once: looked up once a batch.
            let mut resources: Vec<(*const u8, i64)> = Vec::new();
            for span in spans {
                let key = span.resource.as_ptr();
                let resource_id = match resources.iter().find(|(known, _)| *known == key) {
                    Some((_, id)) => *id,
                    None => {
                        let id = resource_id(&tx, &span.resource)?;
                        resources.push((key, id));
                        id
                    }
                };
                let detail = &span.detail;
                let bytes = ROW_OVERHEAD
                    + (detail.len() + span.name.len() + span.service.len() + span.kind.len())
                        as u64;
                insert.execute(params![
                    span.trace_id,
                    span.span_id,
                    span.parent_id,
                    span.name,
                    span.service,
                    span.kind,
                    span.start,
                    span.end,
                    span.error,
                    bytes as i64,
                    resource_id,
                    detail,
                ])?;
                traces.insert(span.trace_id.as_str());
            }
        }
        for trace_id in traces {
            summarize(&tx, trace_id)?;
        }
        tx.commit()?;
        self.evict()
    }

    /// The traces' bytes, as their rows sum them.
    fn total_bytes(&self) -> rusqlite::Result<u64> {
        let bytes: i64 =
            self.db
                .query_row("SELECT coalesce(sum(bytes), 0) FROM traces", [], |row| {
                    row.get(0)
                })?;
        Ok(bytes.max(0) as u64)
    }

    /// Drops the oldest traces (first seen first) until the rest fit.
    fn evict(&mut self) -> rusqlite::Result<()> {
        let mut total = self.total_bytes()?;
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
                tx.execute("DELETE FROM spans WHERE trace_id = ?1", [&trace_id])?;
                tx.execute("DELETE FROM traces WHERE trace_id = ?1", [&trace_id])?;
            }
            // The resources no span names any more, once there are more
            // than a few processes' worth (the check reads every span).
            let resources: i64 =
                tx.query_row("SELECT count(*) FROM resources", [], |row| row.get(0))?;
            if resources > 256 {
                tx.execute(
                    "DELETE FROM resources WHERE id NOT IN (SELECT DISTINCT resource_id FROM spans)",
                    [],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('evicted_traces', ?1)
             ON CONFLICT (key) DO UPDATE SET value = value + ?1",
            [traces],
        )?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('bytes', ?1)
             ON CONFLICT (key) DO UPDATE SET value = ?1",
            [total as i64],
        )?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('evicted_spans', ?1)
             ON CONFLICT (key) DO UPDATE SET value = value + ?1",
            [spans],
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
            bytes: self.total_bytes()?,
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
                " AND EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id AND s.service = ?)",
                service.clone().into(),
            );
        }
        if let Some(name) = &search.name {
            bind(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id AND instr(s.name, ?) > 0)",
                name.clone().into(),
            );
        }
        if let Some(root) = &search.root_name {
            bind(&mut sql, " AND t.root_name = ?", root.clone().into());
        }
        if let Some((key, value)) = &search.tag {
            let path = format!(
                "$.tags.\"{}\"",
                key.replace('\\', "\\\\").replace('"', "\\\"")
            );
            match value {
                Some(value) => {
                    bind(
                        &mut sql,
                        " AND EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id AND CAST(json_extract(s.detail, ?",
                        path.into(),
                    );
                    bind(&mut sql, ") AS TEXT) = ?)", value.clone().into());
                }
                None => bind(
                    &mut sql,
                    " AND EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id AND json_type(s.detail, ?) IS NOT NULL)",
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
            "SELECT DISTINCT service FROM spans WHERE trace_id = unhex(?1) ORDER BY service",
        )?;
        for summary in &mut found {
            summary.services = services
                .query_map([&summary.trace_id], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(found)
    }

    /// The spans of a trace, in the order they started.
    pub fn trace(&self, trace_id: &str) -> rusqlite::Result<Vec<Stored>> {
        let mut statement = self.db.prepare_cached(
            "SELECT lower(hex(span_id)), lower(hex(parent_id)), name, service, kind, start, end, error, detail, r.json
             FROM spans JOIN resources r ON r.id = resource_id
             WHERE trace_id = unhex(?1) ORDER BY start, span_id",
        )?;
        let rows = statement.query_map([trace_id], |row| {
            let detail: String = row.get(8)?;
            let resource: String = row.get(9)?;
            let mut detail: Value = serde_json::from_str(&detail).unwrap_or(Value::Null);
            if let Value::Object(members) = &mut detail {
                members.insert(
                    "resource".to_owned(),
                    serde_json::from_str(&resource).unwrap_or(Value::Null),
                );
            }
            Ok(Stored {
                span_id: row.get(0)?,
                // `hex(NULL)` is the empty text.
                parent_id: Some(row.get::<_, String>(1)?).filter(|id| !id.is_empty()),
                name: row.get(2)?,
                service: row.get(3)?,
                kind: row.get(4)?,
                start: row.get(5)?,
                end: row.get(6)?,
                error: row.get(7)?,
                detail,
            })
        })?;
        rows.collect()
    }
}

/// The id of `resource` (a JSON object's text) in the store, kept once.
fn resource_id(tx: &rusqlite::Transaction<'_>, resource: &str) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT OR IGNORE INTO resources (json) VALUES (?1)",
        [resource],
    )?;
    tx.query_row(
        "SELECT id FROM resources WHERE json = ?1",
        [resource],
        |row| row.get(0),
    )
}

/// Recomputes the summary row of `trace_id` from its spans.
fn summarize(tx: &rusqlite::Transaction<'_>, trace_id: &str) -> rusqlite::Result<()> {
    let (start, end, count, errors, bytes): (i64, i64, i64, i64, i64) = tx.query_row(
        "SELECT min(start), max(end), count(*), sum(error), sum(bytes) FROM spans WHERE trace_id = unhex(?1)",
        [trace_id],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?)),
    )?;
    // The root: a span without a parent, the first to start; else (the
    // root not received yet) one whose parent is not in the trace.
    let names = |row: &rusqlite::Row<'_>| Ok((row.get(0)?, row.get(1)?));
    let root: Option<(String, String)> = tx
        .prepare_cached(
            "SELECT name, service FROM spans WHERE trace_id = unhex(?1) AND parent_id IS NULL
             ORDER BY start LIMIT 1",
        )?
        .query_row([trace_id], names)
        .optional()?;
    let (root_name, root_service) = match root {
        Some(root) => root,
        None => tx
            .prepare_cached(
                "SELECT name, service FROM spans s WHERE trace_id = unhex(?1)
                 AND NOT EXISTS (SELECT 1 FROM spans p WHERE p.trace_id = s.trace_id AND p.span_id = s.parent_id)
                 ORDER BY start LIMIT 1",
            )?
            .query_row([trace_id], names)
            .optional()?
            .unwrap_or_default(),
    };
    let before: i64 = tx
        .query_row(
            "SELECT bytes FROM traces WHERE trace_id = unhex(?1)",
            [trace_id],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0);
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('bytes', ?1)
         ON CONFLICT (key) DO UPDATE SET value = value + ?1",
        [bytes - before],
    )?;
    tx.execute(
        "INSERT INTO traces (trace_id, seq, start, end, root_name, root_service, span_count, errors, bytes)
         VALUES (unhex(?1), (SELECT coalesce(max(seq), 0) + 1 FROM traces), ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (trace_id) DO UPDATE SET start = ?2, end = ?3, root_name = ?4,
             root_service = ?5, span_count = ?6, errors = ?7, bytes = ?8",
        params![trace_id, start, end, root_name, root_service, count, errors, bytes],
    )?;
    Ok(())
}
