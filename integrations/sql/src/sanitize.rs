//! Query text without its values: every literal (strings in every quoting
//! and escape style of the dialect, dollar-quoted strings, numbers, hex
//! and bit literals, blobs, booleans) becomes `?`, comments are dropped,
//! `IN (..)` lists of values or placeholders become `IN (?)`; names,
//! keywords, operators and placeholders (`$1`, `?`, `:name`) stay as
//! written.

use crate::lexer::{
    CLASS, DIGIT, DOLLAR, Dialect, Kind, NAME, PUNCT, SPACE, is_boolean, number, run_of,
    string_end, token_at,
};

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
    sanitize_with::<true>(sql, dialect)
}

/// The sanitizer; with `SHORTCUTS`, the tokens that change nothing (spaces,
/// plain words, punctuation outside `IN` lists: most of a statement) are
/// stepped over without being made tokens, and the common literals
/// replaced as they are found. Without, every token is read
/// as the lexer gives it: the tests check both give the same text.
fn sanitize_with<const SHORTCUTS: bool>(sql: &str, dialect: Dialect) -> String {
    let bytes = sql.as_bytes();
    let word_bytes = if dialect == Dialect::Sqlite {
        NAME
    } else {
        NAME | DOLLAR
    };
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
        if SHORTCUTS && list.is_none() {
            // Step over what needs no look (spaces, punctuation, names)
            // to the next byte that may start something else.
            let from = at;
            let mut p = at;
            loop {
                p = scan(bytes, p, |byte| STOPS[usize::from(byte)]);
                let Some(&byte) = bytes.get(p) else { break };
                // Inside a name, a digit, a `$` or a letter that may start
                // a boolean or `IN` is more of the name; a `(` opens a
                // list only right after `IN`.
                let more = if CLASS[usize::from(byte)] & word_bytes != 0 {
                    p > from && CLASS[usize::from(bytes[p - 1])] & word_bytes != 0
                } else {
                    byte == b'(' && !(after_in && run_of(bytes, from, SPACE) >= p)
                };
                if !more {
                    break;
                }
                p += 1;
            }
            // What was stepped over ends an `IN` unless it was spaces.
            if after_in && run_of(bytes, from, SPACE) < p {
                after_in = false;
            }
            at = p;
            let Some(&byte) = bytes.get(at) else { break };
            let class = CLASS[usize::from(byte)];
            // The common literals (a boolean, a string, a number) become
            // `?` here; `IN` is noted; anything else is read as a token.
            let literal_end = if class & (NAME | DIGIT) == NAME {
                // A word that starts with a letter of `IN`, `TRUE` or
                // `FALSE`, unless it prefixes a string (`E'..'`).
                let end = scan(bytes, at + 1, |byte| {
                    CLASS[usize::from(byte)] & word_bytes == 0
                });
                let word = &bytes[at..end];
                if matches!(bytes.get(end), Some(b'\'' | b'&')) {
                    None
                } else if matches!(word.len(), 4 | 5) && is_boolean(word) {
                    Some(end)
                } else {
                    after_in = word.len() == 2 && word.eq_ignore_ascii_case(b"in");
                    at = end;
                    continue;
                }
            } else if byte == b'\'' {
                // A name just before the quote may prefix it (`E'..'`,
                // `U&'..'`, `_utf8mb4'..'`): the lexer reads it from its
                // start, which is past `from`, the last token's end.
                let mut start = at;
                if start > from && bytes[start - 1] == b'&' {
                    start -= 1;
                }
                while start > from && CLASS[usize::from(bytes[start - 1])] & word_bytes != 0 {
                    start -= 1;
                }
                if start < at {
                    at = start;
                    None
                } else {
                    Some(string_end(bytes, at, dialect == Dialect::MySql))
                }
            } else if class & DIGIT != 0 {
                // A `.` just before starts the number (`.5`): the scan
                // steps over a `.`, a token alone before anything else.
                if at > from && bytes[at - 1] == b'.' {
                    at -= 1;
                }
                match number(bytes, at, dialect) {
                    (Kind::Literal, end) => Some(end),
                    _ => None,
                }
            } else {
                None
            };
            if let Some(end) = literal_end {
                after_in = false;
                out.skip(at, end);
                out.text.push('?');
                at = end;
                continue;
            }
        }
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

/// The first byte at or after `from` that `stop` accepts, or the end.
/// Four bytes a step: a byte then costs a load, a test and a branch,
/// where a loop that checks for the end after each byte took eight
/// instructions (the sanitizer spends a third of its time in these
/// scans). Used where the sanitizer steps over what it keeps; the
/// lexer's runs (a name, a number, most of them short) measured dearer
/// with it.
#[inline(always)]
fn scan(bytes: &[u8], from: usize, stop: impl Fn(u8) -> bool) -> usize {
    let mut at = from;
    while let Some(quad) = bytes.get(at..at + 4) {
        for (offset, &byte) in quad.iter().enumerate() {
            if stop(byte) {
                return at + offset;
            }
        }
        at += 4;
    }
    while let Some(&byte) = bytes.get(at) {
        if stop(byte) {
            return at;
        }
        at += 1;
    }
    at.min(bytes.len())
}

/// The bytes the sanitizer's shortcut stops at: all but spaces,
/// punctuation that is a token alone, `.` (which starts a number only
/// before a digit, where the digit stops the scan), and the bytes of
/// names other than digits, `$` and the first letters of `IN`, `TRUE`
/// and `FALSE`.
static STOPS: [bool; 256] = {
    let mut stops = [true; 256];
    let mut c = 0;
    while c < 256 {
        let class = CLASS[c];
        let b = c as u8;
        let quiet_name = class & NAME != 0
            && class & DIGIT == 0
            && !matches!(b, b'i' | b'I' | b't' | b'T' | b'f' | b'F');
        if class & (SPACE | PUNCT) != 0 || quiet_name || b == b'.' {
            stops[c] = false;
        }
        c += 1;
    }
    stops
};

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of SQL that start, end or change tokens.
    const PIECES: &[&str] = &[
        "SELECT", " ", "\n", "'", "\"", "`", "[", "]", "in", "IN", "(", ")", ",", "1", "2.5", ".",
        "$", "$1", "e", "E", "U", "&", "x", "_", "é", "true", "False", "--", "/*", "*/", "#", "?",
        ":", "::", "@", "\\", "-", "+", "0x", "0b", "a$", "t",
    ];

    proptest! {
        #[test]
        fn shortcuts_change_nothing_in_any_sequence_of_pieces(
            picks in proptest::collection::vec(0..PIECES.len(), 0..24),
        ) {
            let sql: String = picks.iter().map(|&i| PIECES[i]).collect();
            for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
                prop_assert_eq!(
                    sanitize_with::<true>(&sql, dialect),
                    sanitize_with::<false>(&sql, dialect),
                    "{:?}: {}", dialect, sql
                );
            }
        }
    }

    /// Statements of every kind of token, cut at every byte: the text
    /// with shortcuts is the text without.
    #[test]
    fn shortcuts_change_nothing() {
        let statements = [
            "SELECT a, b FROM t WHERE x IN (1, -2, $1) AND y = 'it''s' -- c\n OR z = TRUE",
            "UPDATE t SET a=E'\\'x', b = U&'d' , c = x'1F' WHERE d in(?, ?3) /* n /* m */ */ LIMIT 1",
            "select `a`, \"b\", [c] from t where a$1 = $tag$ x $tag$ and b = :name and c = @v and d = 1e5 # x",
            "INSERT INTO t VALUES (FALSE, .5, 0x1F, 0b01, 1_000, _utf8mb4'x', N'y', B'01')",
            "SELECT é, \"ü\", 'ß' FROM tbl WHERE col IN /* x */ (1,2) OR c::int > 2 AND t.5x = 1st",
            "SELECT a.5, x1'q', 1.2.5, t.flag, tRuE, fin (2), in(1) , iN  (a) FROM t WHERE u&'x' = b&'y'",
        ];
        for sql in statements {
            for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
                for cut in (0..=sql.len()).filter(|&i| sql.is_char_boundary(i)) {
                    let sql = &sql[..cut];
                    assert_eq!(
                        sanitize_with::<true>(sql, dialect),
                        sanitize_with::<false>(sql, dialect),
                        "{dialect:?}: {sql}"
                    );
                }
            }
        }
    }
}
