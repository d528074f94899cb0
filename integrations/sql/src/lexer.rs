//! SQL split into tokens, as each dialect reads it: what is a literal, a
//! comment, a quoted name or a placeholder. The sanitizer and the summary
//! read the same tokens. Never fails: text that no dialect would accept
//! still splits into tokens (an unterminated string runs to the end).

/// The SQL dialect a statement is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL: `E'..'` escapes, `$tag$..$tag$` strings, `"names"`,
    /// nested `/* */`, `$1` placeholders.
    Postgres,
    /// MySQL and MariaDB: `'..'` and `".."` strings with backslash escapes,
    /// `` `names` ``, `#` comments, `?` placeholders.
    MySql,
    /// SQLite: `'..'` strings, `"names"`, `` `names` `` and `[names]`,
    /// `?`, `?NNN`, `:name`, `@name` and `$name` placeholders.
    Sqlite,
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Space,
    Comment,
    /// A string, number, blob, bit string or boolean.
    Literal,
    /// A keyword or a bare name.
    Word,
    /// A quoted name (`"orders"`, `` `orders` ``, `[orders]`).
    Quoted,
    /// `$1`, `?`, `?3`, `:name`, `@name`, `$name`.
    Placeholder,
    /// Anything else, one character (or `::`).
    Punct,
}

/// A token: its kind and where it is in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// The tokens of `sql` in `dialect`, in order, covering all of it.
pub(crate) fn tokens(sql: &str, dialect: Dialect) -> Tokens<'_> {
    Tokens {
        sql,
        at: 0,
        dialect,
    }
}

/// The tokens of a text, read one at a time.
pub(crate) struct Tokens<'a> {
    sql: &'a str,
    at: usize,
    dialect: Dialect,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    #[inline]
    fn next(&mut self) -> Option<Token> {
        if self.at >= self.sql.len() {
            return None;
        }
        let token = token_at(self.sql, self.at, self.dialect);
        self.at = token.end;
        Some(token)
    }
}

/// The token that starts at `at` (before the end of `sql`).
#[inline]
pub(crate) fn token_at(sql: &str, at: usize, dialect: Dialect) -> Token {
    let bytes = sql.as_bytes();
    let (kind, end) = next(bytes, at, dialect);
    // Every token ends past its start and on a character boundary
    // (nearly always already: most end at an ASCII byte).
    let mut end = end.max(at + 1);
    if end < bytes.len() && (bytes[end] as i8) < -0x40 {
        end = boundary(sql, end);
    }
    Token {
        kind,
        start: at,
        end: end.min(bytes.len()),
    }
}

/// The first character boundary at or after `at`.
#[inline]
fn boundary(sql: &str, mut at: usize) -> usize {
    while at < sql.len() && !sql.is_char_boundary(at) {
        at += 1;
    }
    at.min(sql.len())
}

#[inline]
fn next(b: &[u8], at: usize, dialect: Dialect) -> (Kind, usize) {
    let c = b[at];
    // Names and spaces, most of a statement, first: one look at the
    // class table.
    let class = CLASS[usize::from(c)];
    if class & (NAME | DIGIT) == NAME {
        return word(b, at, dialect);
    }
    if class & SPACE != 0 {
        return (Kind::Space, run_of(b, at, SPACE));
    }
    let peek = |n: usize| b.get(at + n).copied();
    match c {
        b'-' if peek(1) == Some(b'-') && line_comment_after_dashes(b, at, dialect) => {
            (Kind::Comment, line_end(b, at))
        }
        b'#' if dialect == Dialect::MySql => (Kind::Comment, line_end(b, at)),
        b'/' if peek(1) == Some(b'*') => (Kind::Comment, block_comment_end(b, at, dialect)),
        b'\'' => (Kind::Literal, string_end(b, at, dialect == Dialect::MySql)),
        b'"' if dialect == Dialect::MySql => (Kind::Literal, string_end(b, at, true)),
        b'"' | b'`' => (Kind::Quoted, quoted_end(b, at)),
        b'[' if dialect == Dialect::Sqlite => (Kind::Quoted, bracket_end(b, at)),
        b'$' if dialect == Dialect::Postgres => dollar(b, at),
        b'$' | b':' | b'@' if dialect == Dialect::Sqlite && peek(1).is_some_and(is_word_byte) => {
            (Kind::Placeholder, run_of(b, at + 1, NAME | DOLLAR))
        }
        b':' if peek(1) == Some(b':') => (Kind::Punct, at + 2),
        b'?' => (Kind::Placeholder, run_of(b, at + 1, DIGIT)),
        b'0'..=b'9' => number(b, at, dialect),
        b'.' if peek(1).is_some_and(|c| c.is_ascii_digit()) => number(b, at, dialect),
        _ => (Kind::Punct, at + 1),
    }
}

/// Classes of bytes, looked up in [`CLASS`]: the loops that read names,
/// spaces and digits test one bit per byte.
pub(crate) const SPACE: u8 = 1;
/// Letters, digits, `_` and the bytes of non-ASCII characters.
pub(crate) const NAME: u8 = 2;
/// `$`, which names may hold after their first character (not in SQLite).
pub(crate) const DOLLAR: u8 = 4;
pub(crate) const DIGIT: u8 = 8;
/// Punctuation that is a token of one byte in every dialect and starts
/// nothing else (not `(`, which may open an `IN` list).
pub(crate) const PUNCT: u8 = 16;

pub(crate) static CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_whitespace() {
            class[c] = SPACE;
        } else if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            class[c] = NAME;
        } else if b.is_ascii_digit() {
            class[c] = NAME | DIGIT;
        } else if b == b'$' {
            class[c] = DOLLAR;
        } else if b.is_ascii_punctuation()
            && !matches!(
                b,
                b'(' | b'-' | b'#' | b'/' | b'\'' | b'"' | b'`' | b'[' | b':' | b'@' | b'?' | b'.'
            )
        {
            class[c] = PUNCT;
        }
        c += 1;
    }
    class
};

fn is_word_byte(c: u8) -> bool {
    CLASS[usize::from(c)] & (NAME | DOLLAR) != 0
}

/// The end of the run of bytes from `at` whose class has a bit of `mask`.
#[inline]
pub(crate) fn run_of(b: &[u8], at: usize, mask: u8) -> usize {
    let mut i = at;
    while i < b.len() && CLASS[usize::from(b[i])] & mask != 0 {
        i += 1;
    }
    i
}

/// The end of the run of bytes from `at` that `keep` accepts.
fn run(b: &[u8], at: usize, keep: impl Fn(u8) -> bool) -> usize {
    at + b[at..].iter().take_while(|&&c| keep(c)).count()
}

fn line_end(b: &[u8], at: usize) -> usize {
    run(b, at, |c| c != b'\n')
}

/// MySQL reads `--` as a comment only before a space, a control character
/// or the end (`5--3` is five minus minus three).
fn line_comment_after_dashes(b: &[u8], at: usize, dialect: Dialect) -> bool {
    dialect != Dialect::MySql || b.get(at + 2).is_none_or(|&c| c <= b' ')
}

/// `/* .. */`; PostgreSQL's nest.
fn block_comment_end(b: &[u8], at: usize, dialect: Dialect) -> usize {
    let mut depth = 0usize;
    let mut i = at;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') if depth == 0 || dialect == Dialect::Postgres => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// A string opened by the quote at `at`: the quote doubled is one quote;
/// with `backslashes`, a backslash escapes the next byte.
pub(crate) fn string_end(b: &[u8], at: usize, backslashes: bool) -> usize {
    let quote = b[at];
    let mut i = at + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if backslashes => i += 2,
            c if c == quote => {
                if b.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

/// A name quoted by the quote at `at`, the quote doubled inside it.
fn quoted_end(b: &[u8], at: usize) -> usize {
    string_end(b, at, false)
}

fn bracket_end(b: &[u8], at: usize) -> usize {
    b[at..]
        .iter()
        .position(|&c| c == b']')
        .map_or(b.len(), |end| at + end + 1)
}

/// PostgreSQL's `$1` placeholder, or a `$tag$ .. $tag$` string.
fn dollar(b: &[u8], at: usize) -> (Kind, usize) {
    if b.get(at + 1).is_some_and(u8::is_ascii_digit) {
        return (Kind::Placeholder, run_of(b, at + 1, DIGIT));
    }
    let tag_end = run(b, at + 1, |c| {
        c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
    });
    if b.get(tag_end) != Some(&b'$') {
        return (Kind::Punct, at + 1);
    }
    let tag = &b[at..=tag_end];
    let body = tag_end + 1;
    let end = b[body..]
        .windows(tag.len())
        .position(|window| window == tag)
        .map_or(b.len(), |found| body + found + tag.len());
    (Kind::Literal, end)
}

/// A number: digits with a fraction and an exponent, `0x..` hex, `0b..`
/// bits (digits may be grouped with `_`, as PostgreSQL 16 allows).
pub(crate) fn number(b: &[u8], at: usize, dialect: Dialect) -> (Kind, usize) {
    let peek = |i: usize| b.get(i).copied();
    if b[at] == b'0'
        && matches!(peek(at + 1), Some(b'x' | b'X'))
        && peek(at + 2).is_some_and(|c| c.is_ascii_hexdigit())
    {
        return (
            Kind::Literal,
            run(b, at + 2, |c| c.is_ascii_hexdigit() || c == b'_'),
        );
    }
    if b[at] == b'0'
        && matches!(peek(at + 1), Some(b'b' | b'B'))
        && peek(at + 2).is_some_and(|c| c == b'0' || c == b'1')
    {
        return (
            Kind::Literal,
            run(b, at + 2, |c| c == b'0' || c == b'1' || c == b'_'),
        );
    }
    let digits = |i: usize| {
        let mut i = run_of(b, i, DIGIT);
        // `1_000`: digits grouped (PostgreSQL 16).
        while b.get(i) == Some(&b'_') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i = run_of(b, i + 1, DIGIT);
        }
        i
    };
    let mut i = digits(at);
    if peek(i) == Some(b'.') {
        i = digits(i + 1);
    }
    if matches!(peek(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(peek(i + 1), Some(b'+' | b'-')));
        if peek(i + 1 + sign).is_some_and(|c| c.is_ascii_digit()) {
            i = digits(i + 1 + sign);
        }
    }
    // `1st_column` in MySQL is a name that starts with digits; elsewhere
    // a number followed by a name (`123abc` is `123 AS abc`).
    if dialect == Dialect::MySql && peek(i).is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') {
        return (Kind::Word, run_of(b, i, NAME | DOLLAR));
    }
    (Kind::Literal, i)
}

/// A word, or the literal it prefixes: `E'..'`, `N'..'`, `X'..'`,
/// `B'..'`, `U&'..'`, MySQL's `_utf8mb4'..'`; `TRUE` and `FALSE`.
fn word(b: &[u8], at: usize, dialect: Dialect) -> (Kind, usize) {
    let end = run_of(
        b,
        at,
        if dialect == Dialect::Sqlite {
            NAME
        } else {
            NAME | DOLLAR
        },
    );
    let text = &b[at..end];
    if b.get(end) == Some(&b'\'') {
        let escapes = dialect == Dialect::MySql || text.eq_ignore_ascii_case(b"e");
        let prefix = matches!(
            text.to_ascii_lowercase().as_slice(),
            b"e" | b"n" | b"x" | b"b"
        ) || (dialect == Dialect::MySql && text.first() == Some(&b'_'));
        if prefix {
            return (Kind::Literal, string_end(b, end, escapes));
        }
    }
    if dialect == Dialect::Postgres
        && text.eq_ignore_ascii_case(b"u")
        && b.get(end) == Some(&b'&')
        && b.get(end + 1) == Some(&b'\'')
    {
        return (Kind::Literal, string_end(b, end + 1, false));
    }
    if is_boolean(text) {
        return (Kind::Literal, end);
    }
    (Kind::Word, end)
}

/// Whether a word is `TRUE` or `FALSE`, in any case: four bytes compared
/// at once, lowered by setting the bit that tells case apart (which maps
/// no other byte onto these letters).
#[inline]
pub(crate) fn is_boolean(word: &[u8]) -> bool {
    const LOWER: u32 = 0x2020_2020;
    match *word {
        [a, b, c, d] => u32::from_le_bytes([a, b, c, d]) | LOWER == u32::from_le_bytes(*b"true"),
        [a, b, c, d, e] => {
            u32::from_le_bytes([a, b, c, d]) | LOWER == u32::from_le_bytes(*b"fals")
                && e | 0x20 == b'e'
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str, dialect: Dialect) -> Vec<(Kind, &str)> {
        tokens(sql, dialect)
            .filter(|t| t.kind != Kind::Space)
            .map(|t| (t.kind, &sql[t.start..t.end]))
            .collect()
    }

    #[test]
    fn each_dialect_reads_its_own_quotes() {
        use Kind::*;
        assert_eq!(
            kinds(
                r#"SELECT "a" FROM t WHERE x = 'it''s' AND y = E'\'q'"#,
                Dialect::Postgres
            ),
            [
                (Word, "SELECT"),
                (Quoted, "\"a\""),
                (Word, "FROM"),
                (Word, "t"),
                (Word, "WHERE"),
                (Word, "x"),
                (Punct, "="),
                (Literal, "'it''s'"),
                (Word, "AND"),
                (Word, "y"),
                (Punct, "="),
                (Literal, r"E'\'q'")
            ]
        );
        assert_eq!(
            kinds(
                r#"SELECT `a` FROM t WHERE x = "q\"s" # note"#,
                Dialect::MySql
            ),
            [
                (Word, "SELECT"),
                (Quoted, "`a`"),
                (Word, "FROM"),
                (Word, "t"),
                (Word, "WHERE"),
                (Word, "x"),
                (Punct, "="),
                (Literal, r#""q\"s""#),
                (Comment, "# note")
            ]
        );
        assert_eq!(
            kinds("SELECT [a] FROM t WHERE x = :x AND y = ?2", Dialect::Sqlite),
            [
                (Word, "SELECT"),
                (Quoted, "[a]"),
                (Word, "FROM"),
                (Word, "t"),
                (Word, "WHERE"),
                (Word, "x"),
                (Punct, "="),
                (Placeholder, ":x"),
                (Word, "AND"),
                (Word, "y"),
                (Punct, "="),
                (Placeholder, "?2")
            ]
        );
    }

    #[test]
    fn any_bytes_split_into_tokens_that_cover_the_text() {
        for sql in [
            "'", "\"", "$a", "$$x", "/*", "/* /*", "E'\\", "0x", "é'é", "[", "--", "`",
        ] {
            for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
                let tokens: Vec<Token> = tokens(sql, dialect).collect();
                assert_eq!(tokens.first().map(|t| t.start), Some(0));
                assert_eq!(tokens.last().map(|t| t.end), Some(sql.len()));
                assert!(tokens.windows(2).all(|w| w[0].end == w[1].start));
            }
        }
    }

    /// The case-folding compare knows the booleans in every case and
    /// nothing else: every byte of each position tried.
    #[test]
    fn booleans_in_any_case_and_nothing_else() {
        for word in [b"true".as_slice(), b"false"] {
            for at in 0..word.len() {
                for byte in 0..=255u8 {
                    let mut tried = word.to_vec();
                    tried[at] = byte;
                    let expected =
                        tried.eq_ignore_ascii_case(b"true") || tried.eq_ignore_ascii_case(b"false");
                    assert_eq!(is_boolean(&tried), expected, "{tried:?}");
                }
            }
        }
        assert!(is_boolean(b"TrUe") && is_boolean(b"FALSE"));
        assert!(!is_boolean(b"tru") && !is_boolean(b"falsey") && !is_boolean(b""));
    }
}
