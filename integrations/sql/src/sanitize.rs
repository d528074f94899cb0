//! Query text without its values: every literal (strings in every quoting
//! and escape style of the dialect, dollar-quoted strings, numbers, hex
//! and bit literals, blobs, booleans) becomes `?`, comments are dropped,
//! `IN (..)` lists of values or placeholders become `IN (?)`; names,
//! keywords, operators and placeholders (`$1`, `?`, `:name`) stay as
//! written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::lexer::{Dialect, Kind, Token, tokens};
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
    let tokens = tokens(sql, dialect);
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        match token.kind {
            Kind::Literal => out.push('?'),
            // A comment between two tokens still separates them, by one
            // space.
            Kind::Comment => {
                let after_space =
                    out.is_empty() || out.ends_with(|c: char| c.is_ascii_whitespace());
                let before_space = tokens
                    .get(i + 1)
                    .is_none_or(|next| next.kind == Kind::Space);
                if after_space && before_space {
                    i += 1;
                } else if !after_space && !before_space {
                    out.push(' ');
                }
            }
            Kind::Punct if &sql[token.start..token.end] == "(" && follows_in(sql, &tokens[..i]) => {
                if let Some(close) = value_list_end(sql, &tokens, i) {
                    out.push_str("(?)");
                    i = close + 1;
                    continue;
                }
                out.push('(');
            }
            _ => out.push_str(&sql[token.start..token.end]),
        }
        i += 1;
    }
    // Dropped comments may leave the text with a space at an end.
    let trimmed = out
        .trim_end_matches(|c: char| c.is_ascii_whitespace())
        .len();
    out.truncate(trimmed);
    out
}

/// Whether the last word before this point (spaces and comments aside) is
/// `IN`.
fn follows_in(sql: &str, before: &[Token]) -> bool {
    before
        .iter()
        .rev()
        .find(|t| !matches!(t.kind, Kind::Space | Kind::Comment))
        .is_some_and(|t| t.kind == Kind::Word && sql[t.start..t.end].eq_ignore_ascii_case("in"))
}

/// The index of the `)` closing the list opened at `open`, if the list
/// holds only values and placeholders (separated by commas).
fn value_list_end(sql: &str, tokens: &[Token], open: usize) -> Option<usize> {
    let mut items = 0;
    let mut expect_item = true;
    for (i, token) in tokens.iter().enumerate().skip(open + 1) {
        let text = &sql[token.start..token.end];
        match token.kind {
            Kind::Space | Kind::Comment => {}
            Kind::Literal | Kind::Placeholder if expect_item => {
                items += 1;
                expect_item = false;
            }
            // A sign before a number.
            Kind::Punct if expect_item && (text == "-" || text == "+") => {}
            Kind::Punct if !expect_item && text == "," => expect_item = true,
            Kind::Punct if !expect_item && text == ")" && items > 0 => return Some(i),
            _ => return None,
        }
    }
    None
}

/// Statements seen before, read once: most services send the same few
/// hundred statements, often the same `&'static str`. Keyed by the text's
/// address and length, confirmed by its bytes; bounded (emptied when
/// full).
pub(crate) struct Cache {
    entries: Mutex<HashMap<Key, Entry>>,
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
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// What `sql` says, from the cache when it was seen before.
    pub(crate) fn analysis(&self, sql: &str, dialect: Dialect) -> Arc<Analysis> {
        let key = (sql.as_ptr() as usize, sql.len(), dialect);
        {
            let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((text, analysis)) = entries.get(&key)
                && **text == *sql
            {
                return analysis.clone();
            }
        }
        let analysis = Arc::new(Analysis::of(sql, dialect));
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CACHED {
            entries.clear();
        }
        entries.insert(key, (Box::from(sql), analysis.clone()));
        analysis
    }
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
