//! Query text without its values: every literal (strings in every quoting
//! and escape style of the dialect, dollar-quoted strings, numbers, hex
//! and bit literals, blobs, booleans) becomes `?`, comments are dropped,
//! `IN (..)` lists of values or placeholders become `IN (?)`; names,
//! keywords, operators and placeholders (`$1`, `?`, `:name`) stay as
//! written.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use crate::lexer::{Dialect, Kind, tokens};
use crate::span::Analysis;

/// `sql` without its values (see the module docs).
///
/// ```
/// use tracekit_sql::{Dialect, sanitize};
///
/// assert_eq!(
///     sanitize("SELECT * FROM users WHERE id IN (1, 2, 3) AND name = 'ada' -- who", Dialect::Postgres),
///     "SELECT * FROM users WHERE id IN (?) AND name = ?"
/// );
/// assert_eq!(sanitize("UPDATE t SET a = $1 WHERE b = $$x$$", Dialect::Postgres), "UPDATE t SET a = $1 WHERE b = ?");
/// assert_eq!(sanitize(r#"SELECT "x\"y", 0x1F FROM t"#, Dialect::MySql), "SELECT ?, ? FROM t");
/// ```
pub fn sanitize(sql: &str, dialect: Dialect) -> String {
    let mut out = Out {
        sql,
        text: String::with_capacity(sql.len()),
        copied: 0,
    };
    // Whether the last token (spaces and comments aside) was the word `IN`.
    let mut after_in = false;
    // An `IN (` list being read: where its `(` was written, how many
    // values it has so far, and whether a value is expected next.
    let mut list: Option<(usize, usize, bool)> = None;
    let mut tokens = tokens(sql, dialect).peekable();
    while let Some(token) = tokens.next() {
        match token.kind {
            Kind::Space => continue,
            // A comment between two tokens still separates them, by one
            // space.
            Kind::Comment => {
                out.skip(token.start, token.end);
                let after_space =
                    out.text.is_empty() || out.text.ends_with(|c: char| c.is_ascii_whitespace());
                match tokens.peek() {
                    Some(space) if space.kind == Kind::Space && after_space => {
                        out.skip(space.start, space.end);
                        tokens.next();
                    }
                    Some(next) if next.kind != Kind::Space && !after_space => out.text.push(' '),
                    _ => {}
                }
                continue;
            }
            _ => {}
        }
        let text = &sql[token.start..token.end];
        list = match (list, token.kind, text) {
            (Some((open, items, true)), Kind::Literal | Kind::Placeholder, _) => {
                Some((open, items + 1, false))
            }
            // A sign before a number.
            (Some((open, items, true)), Kind::Punct, "-" | "+") => Some((open, items, true)),
            (Some((open, items, false)), Kind::Punct, ",") => Some((open, items, true)),
            (Some((open, items, false)), Kind::Punct, ")") if items > 0 => {
                out.flush(token.start);
                out.text.truncate(open);
                out.text.push_str("(?)");
                out.copied = token.end;
                after_in = false;
                continue;
            }
            (None, Kind::Punct, "(") if after_in => {
                out.flush(token.start);
                Some((out.text.len(), 0, true))
            }
            _ => None,
        };
        after_in = token.kind == Kind::Word && text.eq_ignore_ascii_case("in");
        if token.kind == Kind::Literal {
            out.skip(token.start, token.end);
            out.text.push('?');
        }
    }
    out.flush(sql.len());
    // Dropped comments may leave the text with a space at an end.
    let mut text = out.text;
    let trimmed = text
        .trim_end_matches(|c: char| c.is_ascii_whitespace())
        .len();
    text.truncate(trimmed);
    text
}

/// The sanitized text being written: what is kept of the input is copied
/// in runs, when something else must be written.
struct Out<'a> {
    sql: &'a str,
    text: String,
    /// The input up to here is in `text` (or left out).
    copied: usize,
}

impl Out<'_> {
    /// Copies the input up to `to`.
    #[inline]
    fn flush(&mut self, to: usize) {
        if to > self.copied {
            self.text.push_str(&self.sql[self.copied..to]);
            self.copied = to;
        }
    }

    /// Copies the input up to `start` and leaves out what is up to `end`.
    #[inline]
    fn skip(&mut self, start: usize, end: usize) {
        self.flush(start);
        self.copied = end;
    }
}

/// Statements seen before, read once: most services send the same few
/// hundred statements, often the same `&'static str`. Keyed by the text's
/// address and length, confirmed by its bytes; bounded (emptied when
/// full).
pub(crate) struct Cache {
    entries: RwLock<HashMap<Key, Entry, BuildAddressHasher>>,
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

/// A statement's text, and what was read from it.
type Entry = (Box<str>, Arc<Analysis>);

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
            if let Some((text, analysis)) = entries.get(&key)
                && **text == *sql
            {
                return analysis.clone();
            }
        }
        let analysis = Arc::new(Analysis::of(sql, dialect));
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CACHED {
            entries.clear();
        }
        entries.insert(key, (Box::from(sql), analysis.clone()));
        analysis
    }
}

/// [`sanitize`], from the process's cache of the statements seen before
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
}
