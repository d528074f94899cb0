//! What is read once from a statement's text (its sanitized text and its
//! summary), and the cache of the statements seen before.

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use tracekit_runtime::TagSet;

use crate::intern::intern;
use crate::lexer::Dialect;
use crate::summary::{Summary, summarize};
use crate::template::Memo;

/// What is read once from a statement's text, kept for the process
/// (see `intern.rs`): recording it copies nothing.
// The summary and the tags are read by the clients' spans (none without
// a client's feature).
#[cfg_attr(
    not(any(feature = "rusqlite", feature = "tokio-postgres", feature = "sqlx")),
    allow(dead_code)
)]
pub(crate) struct Analysis {
    /// The statement it was read from, to confirm a cache's answer by.
    text: Box<str>,
    /// `db.query.text`.
    pub sanitized: Cow<'static, str>,
    /// `db.query.summary`, and the span's name (the system's name when
    /// there is none).
    pub summary: Option<Cow<'static, str>>,
    /// The span's tags of the statement (`db.operation.name`,
    /// `db.collection.name`, `db.query.summary`, `db.query.text`), made
    /// once, and the same without the text.
    pub tags: TagSet,
    pub tags_without_text: TagSet,
}

impl Analysis {
    pub(crate) fn of(sql: &str, dialect: Dialect) -> Analysis {
        let Summary {
            summary,
            operation,
            collection,
        } = summarize(sql, dialect);
        let sanitized = intern(&crate::sanitize::sanitize(sql, dialect));
        let summary = summary.as_deref().map(intern);
        let operation = operation.as_deref().map(intern);
        let collection = collection.as_deref().map(intern);
        let tags_without_text = TagSet::new(
            [
                ("db.operation.name", &operation),
                ("db.collection.name", &collection),
                ("db.query.summary", &summary),
            ]
            .into_iter()
            .filter_map(|(key, value)| Some((key, value.clone()?))),
        );
        let tags = TagSet::new(
            tags_without_text
                .tags()
                .iter()
                .cloned()
                .chain([("db.query.text".into(), sanitized.clone().into())]),
        );
        Analysis {
            text: Box::from(sql),
            sanitized,
            summary,
            tags,
            tags_without_text,
        }
    }

    /// The span's tags of the statement, with `db.query.text` or without.
    #[cfg_attr(
        not(any(feature = "rusqlite", feature = "tokio-postgres", feature = "sqlx")),
        allow(dead_code)
    )]
    pub(crate) fn tags(&self, query_text: bool) -> &TagSet {
        if query_text {
            &self.tags
        } else {
            &self.tags_without_text
        }
    }
}

/// Statements seen before, read once: most services send the same few
/// hundred statements, often the same `&'static str`. Keyed by the text's
/// address and length, confirmed by its bytes; bounded (emptied when
/// full).
pub(crate) struct Cache {
    entries: RwLock<HashMap<Key, Arc<Analysis>, BuildAddressHasher>>,
}

/// Hashes a key of a few words by multiplying and folding them: the
/// standard hasher, made to resist chosen keys, costs more than the rest
/// of a lookup, and these keys are addresses the program chose.
#[derive(Clone, Copy, Default)]
struct BuildAddressHasher;

impl std::hash::BuildHasher for BuildAddressHasher {
    type Hasher = AddressHasher;

    fn build_hasher(&self) -> AddressHasher {
        AddressHasher(0)
    }
}

struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, word: usize) {
        self.write_u64(word as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A statement's address and length, and its dialect.
type Key = (usize, usize, Dialect);

/// The statements the cache holds at most.
const CACHED: usize = 512;

impl Cache {
    pub(crate) fn new() -> Cache {
        Cache {
            entries: RwLock::new(HashMap::with_hasher(BuildAddressHasher)),
        }
    }

    /// What `sql` says, from the cache when it was seen before.
    pub(crate) fn analysis(&self, sql: &str, dialect: Dialect) -> Arc<Analysis> {
        let key = (sql.as_ptr() as usize, sql.len(), dialect);
        {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(analysis) = entries.get(&key)
                && *analysis.text == *sql
            {
                return analysis.clone();
            }
        }
        let analysis = Arc::new(Analysis::of(sql, dialect));
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CACHED {
            entries.clear();
        }
        entries.insert(key, analysis.clone());
        analysis
    }
}

/// [`sanitize`](crate::sanitize()), from the process's cache of the statements seen before
/// (the same text at the same address answers with a lookup; a few
/// hundred statements are kept): what each span records.
///
/// ```
/// use tracekit_sql::{Dialect, sanitized};
///
/// let sql = "SELECT * FROM t WHERE a = 'x'";
/// assert_eq!(&*sanitized(sql, Dialect::Sqlite), "SELECT * FROM t WHERE a = ?");
/// // Kept once: the second answer is the same text, not a copy.
/// assert!(std::ptr::eq(&*sanitized(sql, Dialect::Sqlite), &*sanitized(sql, Dialect::Sqlite)));
/// ```
pub fn sanitized(sql: &str, dialect: Dialect) -> Cow<'static, str> {
    analysis(sql, dialect).sanitized.clone()
}

/// The process's cache.
pub(crate) fn analysis(sql: &str, dialect: Dialect) -> Arc<Analysis> {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    CACHE.get_or_init(Cache::new).analysis(sql, dialect)
}

/// Lets `read` read what `sql` says, and this thread's memo of its span's
/// template (see `template.rs`): from the few statements this thread saw
/// last when it is one of them, else from the process's cache (and kept
/// among them, with an empty memo). A statement a thread repeats is then
/// found without the process cache's lock and without counting a
/// reference to it: both write a cache line every thread that runs
/// statements shares. Inline, with `read`, into the caller's frame.
#[cfg_attr(
    not(any(feature = "rusqlite", feature = "tokio-postgres", feature = "sqlx")),
    allow(dead_code)
)]
#[inline]
pub(crate) fn with_analysis<R>(
    sql: &str,
    dialect: Dialect,
    read: impl FnOnce(&Analysis, &Cell<Memo>) -> R,
) -> R {
    let mut read = Some(read);
    let recent = RECENT.try_with(|recent| {
        let mut recent = recent.try_borrow_mut().ok()?;
        let key = (sql.as_ptr() as usize, sql.len(), dialect);
        let slot = &mut recent[(key.0 >> 3 ^ key.1) % RECENT_STATEMENTS];
        if !slot
            .as_ref()
            .is_some_and(|(held, found, _)| *held == key && *found.text == *sql)
        {
            *slot = Some((key, analysis(sql, dialect), Cell::new(None)));
        }
        let (_, found, memo) = slot.as_ref()?;
        Some(read.take()?(found, memo))
    });
    match (recent, read) {
        (Ok(Some(out)), _) => out,
        // This thread's statements are being torn down, or in use.
        (_, Some(read)) => read(&analysis(sql, dialect), &Cell::new(None)),
        (_, None) => unreachable!("`read` ran and returned"),
    }
}

/// How many statements each thread keeps at hand (by address, one per
/// slot).
#[cfg_attr(
    not(any(feature = "rusqlite", feature = "tokio-postgres", feature = "sqlx")),
    allow(dead_code)
)]
const RECENT_STATEMENTS: usize = 8;

/// A statement a thread saw: its key, what it says, and the memo of its
/// span's template.
#[cfg_attr(
    not(any(feature = "rusqlite", feature = "tokio-postgres", feature = "sqlx")),
    allow(dead_code)
)]
type Recent = Option<(Key, Arc<Analysis>, Cell<Memo>)>;

thread_local! {
    /// The statements this thread saw last.
    static RECENT: std::cell::RefCell<[Recent; RECENT_STATEMENTS]> =
        const { std::cell::RefCell::new([const { None }; RECENT_STATEMENTS]) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_statement_is_confirmed_by_its_text() {
        let cache = Cache::new();
        let mut text = String::from("SELECT 1");
        assert_eq!(
            &*cache.analysis(&text, Dialect::Sqlite).sanitized,
            "SELECT ?"
        );
        // The same address, other text: not the cached answer.
        text.replace_range(7..8, "x");
        assert_eq!(
            &*cache.analysis(&text, Dialect::Sqlite).sanitized,
            "SELECT x"
        );
    }

    #[test]
    fn a_threads_recent_statement_is_confirmed_by_its_text() {
        let sanitized = |sql: &str| with_analysis(sql, Dialect::Sqlite, |a, _| a.sanitized.clone());
        let mut text = String::from("SELECT 2");
        assert_eq!(sanitized(&text), "SELECT ?");
        assert_eq!(sanitized(&text), "SELECT ?", "found again");
        text.replace_range(7..8, "y");
        assert_eq!(sanitized(&text), "SELECT y");
    }

    #[test]
    fn a_statement_read_while_another_is_read_is_found_too() {
        let inner = with_analysis("SELECT 'a'", Dialect::Sqlite, |_, _| {
            with_analysis("SELECT 'b' FROM t", Dialect::Sqlite, |a, _| {
                a.sanitized.clone()
            })
        });
        assert_eq!(inner, "SELECT ? FROM t");
    }
}
