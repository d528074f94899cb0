//! Query text without its values: every literal (strings in every quoting
//! and escape style of the dialect, dollar-quoted strings, numbers, hex
//! and bit literals, blobs, booleans) becomes `?`, comments are dropped,
//! `IN (..)` lists of values or placeholders become `IN (?)`; names,
//! keywords, operators and placeholders (`$1`, `?`, `:name`) stay as
//! written.

use crate::lexer::{Dialect, Kind, token_at};

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
    // Tokens are read in place, one after another; a comment looks at the
    // one after it.
    let mut at = 0;
    while at < sql.len() {
        let token = token_at(sql, at, dialect);
        at = token.end;
        match token.kind {
            Kind::Space => continue,
            // A comment between two tokens still separates them, by one
            // space.
            Kind::Comment => {
                out.skip(token.start, token.end);
                let after_space =
                    out.text.is_empty() || out.text.ends_with(|c: char| c.is_ascii_whitespace());
                if at < sql.len() {
                    let next = token_at(sql, at, dialect);
                    if next.kind == Kind::Space && after_space {
                        out.skip(next.start, next.end);
                        at = next.end;
                    } else if next.kind != Kind::Space && !after_space {
                        out.text.push(' ');
                    }
                }
                continue;
            }
            _ => {}
        }
        let text = &sql.as_bytes()[token.start..token.end];
        // The list state moves only inside an `IN (..)` list, or at its `(`.
        if list.is_some() || (after_in && text == b"(") {
            list = match (list, token.kind, text) {
                (Some((open, items, true)), Kind::Literal | Kind::Placeholder, _) => {
                    Some((open, items + 1, false))
                }
                // A sign before a number.
                (Some((open, items, true)), Kind::Punct, b"-" | b"+") => Some((open, items, true)),
                (Some((open, items, false)), Kind::Punct, b",") => Some((open, items, true)),
                (Some((open, items, false)), Kind::Punct, b")") if items > 0 => {
                    out.flush(token.start);
                    out.text.truncate(open);
                    out.text.push_str("(?)");
                    out.copied = token.end;
                    after_in = false;
                    continue;
                }
                (None, Kind::Punct, b"(") => {
                    out.flush(token.start);
                    Some((out.text.len(), 0, true))
                }
                _ => None,
            };
        }
        after_in = token.kind == Kind::Word && text.len() == 2 && text.eq_ignore_ascii_case(b"in");
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
