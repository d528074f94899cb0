//! Query text without its values: every literal (strings in every quoting
//! and escape style of the dialect, dollar-quoted strings, numbers, hex
//! and bit literals, blobs, booleans) becomes `?`, comments are dropped,
//! `IN (..)` lists of values or placeholders become `IN (?)`; names,
//! keywords, operators and placeholders (`$1`, `?`, `:name`) stay as
//! written.

use crate::lexer::{
    CLASS, DIGIT, DOLLAR, Dialect, Kind, NAME, PUNCT, SPACE, number, run_of, string_end, token_at,
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
            let byte = bytes[at];
            let class = CLASS[usize::from(byte)];
            if class & SPACE != 0 {
                at = run_of(bytes, at + 1, SPACE);
                continue;
            }
            // A `(` opens a list only after `IN`; a `.` starts a number
            // only before a digit (`.5`).
            if class & PUNCT != 0
                || (byte == b'(' && !after_in)
                || (byte == b'.' && !bytes.get(at + 1).is_some_and(u8::is_ascii_digit))
            {
                after_in = false;
                at += 1;
                continue;
            }
            // The common literals (a boolean, a string, a number) become
            // `?` here too; a word that prefixes a string (`E'..'`,
            // `U&'..'`) is read as a token.
            let literal_end = if class & (NAME | DIGIT) == NAME {
                let end = run_of(bytes, at + 1, word_bytes);
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
                Some(string_end(bytes, at, dialect == Dialect::MySql))
            } else if class & DIGIT != 0 {
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

fn is_boolean(word: &[u8]) -> bool {
    word.eq_ignore_ascii_case(b"true") || word.eq_ignore_ascii_case(b"false")
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
