//! The sanitizer over a corpus of statements in the three dialects: every
//! literal form of each dialect in a set of statement shapes (each
//! expected with `?` where the literal was), and statements written out
//! with what they must become.

use tracekit_sql::{Dialect, sanitize};

/// Statement shapes: `{}` is where a literal goes, and what the shape must
/// become with any literal there.
const SHAPES: &[(&str, &str)] = &[
    (
        "SELECT * FROM t WHERE a = {}",
        "SELECT * FROM t WHERE a = ?",
    ),
    (
        "INSERT INTO t (a, b) VALUES ({}, {})",
        "INSERT INTO t (a, b) VALUES (?, ?)",
    ),
    (
        "UPDATE t SET a = {} WHERE id = 1",
        "UPDATE t SET a = ? WHERE id = ?",
    ),
    ("SELECT {} AS x", "SELECT ? AS x"),
    (
        "DELETE FROM t WHERE a <> {} AND b = {}",
        "DELETE FROM t WHERE a <> ? AND b = ?",
    ),
    (
        "SELECT a FROM t WHERE a IN ({}, {}, {})",
        "SELECT a FROM t WHERE a IN (?)",
    ),
    (
        "SELECT a FROM t WHERE a = {} /* note */",
        "SELECT a FROM t WHERE a = ?",
    ),
    ("SELECT a FROM t WHERE a={}", "SELECT a FROM t WHERE a=?"),
    (
        "SELECT a FROM t WHERE a = {}; SELECT 2",
        "SELECT a FROM t WHERE a = ?; SELECT ?",
    ),
];

/// Each dialect's literals, in every quoting and escape style.
const POSTGRES_LITERALS: &[&str] = &[
    "'abc'",
    "'it''s'",
    "''",
    r"E'a\'b'",
    r"e'\\'",
    "$$a'b$$",
    "$tag$x $$ y$tag$",
    r"U&'d\0061t'",
    "B'0101'",
    "X'1F'",
    "N'abc'",
    "42",
    "3.14",
    ".5",
    "1e10",
    "2.5E-3",
    "0x1F",
    "1_000_000",
    "TRUE",
    "false",
    "'multi\nline'",
];
const MYSQL_LITERALS: &[&str] = &[
    "'abc'",
    "'it''s'",
    r"'it\'s'",
    "\"dq\"",
    r#""a\"b""#,
    "''",
    "X'1F'",
    "x'ab'",
    "0x1F",
    "b'0101'",
    "0b101",
    "N'abc'",
    "_utf8mb4'abc'",
    "_binary'x'",
    "42",
    "3.14",
    "1e3",
    "TRUE",
    "FALSE",
    r"'a\\'",
    r#"'say "hi"'"#,
];
const SQLITE_LITERALS: &[&str] = &[
    "'abc'",
    "'it''s'",
    "''",
    "X'1F'",
    "x'ab'",
    "42",
    "3.14",
    ".5",
    "1e10",
    "0x1F",
    "TRUE",
    "FALSE",
    r"'a\b'",
    "'é 🙂'",
];

/// Statements written out, with what they must become.
const WRITTEN: &[(Dialect, &str, &str)] = &[
    (Dialect::Postgres, "SELECT 1 -- trailing", "SELECT ?"),
    (
        Dialect::Postgres,
        "SELECT /* a /* nested */ b */ 1",
        "SELECT ?",
    ),
    (
        Dialect::Postgres,
        "SELECT a -- who\nFROM t",
        "SELECT a FROM t",
    ),
    (Dialect::Postgres, "SELECT/*x*/a FROM t", "SELECT a FROM t"),
    (
        Dialect::Postgres,
        "SELECT * FROM t WHERE a = $1 AND b = $2",
        "SELECT * FROM t WHERE a = $1 AND b = $2",
    ),
    (
        Dialect::Postgres,
        "SELECT a::text FROM t WHERE b = '1'::int",
        "SELECT a::text FROM t WHERE b = ?::int",
    ),
    (
        Dialect::Postgres,
        r#"SELECT "col""x" FROM "t""#,
        r#"SELECT "col""x" FROM "t""#,
    ),
    (Dialect::Postgres, "SELECT $fn$ body $fn$", "SELECT ?"),
    (
        Dialect::Postgres,
        r#"SELECT jsonb '{"a":1}' ->> 'a'"#,
        "SELECT jsonb ? ->> ?",
    ),
    (
        Dialect::Postgres,
        "SELECT ARRAY[1, 2]",
        "SELECT ARRAY[?, ?]",
    ),
    (
        Dialect::Postgres,
        "SELECT * FROM t WHERE x IN ($1, $2, $3)",
        "SELECT * FROM t WHERE x IN (?)",
    ),
    (
        Dialect::Postgres,
        "SELECT * FROM t WHERE x IN (SELECT y FROM u)",
        "SELECT * FROM t WHERE x IN (SELECT y FROM u)",
    ),
    (
        Dialect::Postgres,
        "SELECT * FROM t WHERE x NOT IN ('a', 'b')",
        "SELECT * FROM t WHERE x NOT IN (?)",
    ),
    (
        Dialect::Postgres,
        "SELECT * FROM t WHERE x in (-1, +2)",
        "SELECT * FROM t WHERE x in (?)",
    ),
    (
        Dialect::Postgres,
        "SELECT * FROM t WHERE x IN (a, b)",
        "SELECT * FROM t WHERE x IN (a, b)",
    ),
    (
        Dialect::Postgres,
        "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
        "INSERT INTO t VALUES (?, ?), (?, ?)",
    ),
    (
        Dialect::Postgres,
        "SELECT a FROM t LIMIT 10 OFFSET 20",
        "SELECT a FROM t LIMIT ? OFFSET ?",
    ),
    (
        Dialect::Postgres,
        "SELECT t1.a FROM t1",
        "SELECT t1.a FROM t1",
    ),
    (Dialect::Postgres, "SELECT '", "SELECT ?"),
    (Dialect::Postgres, "SELECT 'unterminated", "SELECT ?"),
    (Dialect::Postgres, "SELECT $$never closed", "SELECT ?"),
    (Dialect::Postgres, "SELECT -5", "SELECT -?"),
    (
        Dialect::Postgres,
        "SELECT a FROM t WHERE b > now() - interval '1 day'",
        "SELECT a FROM t WHERE b > now() - interval ?",
    ),
    (
        Dialect::Postgres,
        "SELECT a FROM t WHERE b ~ '^x'",
        "SELECT a FROM t WHERE b ~ ?",
    ),
    (
        Dialect::Postgres,
        "SELECT a FROM t WHERE b = ANY($1)",
        "SELECT a FROM t WHERE b = ANY($1)",
    ),
    (Dialect::Postgres, "COPY t FROM STDIN", "COPY t FROM STDIN"),
    (Dialect::Postgres, "SELECT 'a' || 'b'", "SELECT ? || ?"),
    (
        Dialect::Postgres,
        "SELECT $1::jsonb ? 'key'",
        "SELECT $1::jsonb ? ?",
    ),
    (
        Dialect::Postgres,
        "SELECT price * 1.2 FROM t",
        "SELECT price * ? FROM t",
    ),
    (Dialect::Postgres, "SELECT NULL, null", "SELECT NULL, null"),
    (Dialect::MySql, "SELECT 5--3", "SELECT ?--?"),
    (Dialect::MySql, "SELECT 1 -- c", "SELECT ?"),
    (Dialect::MySql, "SELECT 1 # c", "SELECT ?"),
    (Dialect::MySql, "SELECT 1 #c\nFROM t", "SELECT ? FROM t"),
    (
        Dialect::MySql,
        "SELECT /*! STRAIGHT_JOIN */ a FROM t",
        "SELECT a FROM t",
    ),
    (
        Dialect::MySql,
        "SELECT `a``b` FROM t WHERE c = ?",
        "SELECT `a``b` FROM t WHERE c = ?",
    ),
    (Dialect::MySql, "SELECT @var := 1", "SELECT @var := ?"),
    (
        Dialect::MySql,
        "INSERT INTO t SET a = 'x'",
        "INSERT INTO t SET a = ?",
    ),
    (
        Dialect::MySql,
        "SELECT 1st_col FROM t",
        "SELECT 1st_col FROM t",
    ),
    (
        Dialect::MySql,
        "SELECT * FROM t WHERE a IN (?, ?, ?)",
        "SELECT * FROM t WHERE a IN (?)",
    ),
    (
        Dialect::MySql,
        "SELECT * FROM t WHERE a = \"it\"\"s\"",
        "SELECT * FROM t WHERE a = ?",
    ),
    (Dialect::MySql, r"SELECT 'a\'b' , 'c'", "SELECT ? , ?"),
    (
        Dialect::MySql,
        "REPLACE INTO t VALUES (1, 'x')",
        "REPLACE INTO t VALUES (?, ?)",
    ),
    (
        Dialect::MySql,
        "SELECT a FROM t LIMIT 5, 10",
        "SELECT a FROM t LIMIT ?, ?",
    ),
    (
        Dialect::MySql,
        "SELECT a FROM t WHERE b LIKE '%x%' ESCAPE '!'",
        "SELECT a FROM t WHERE b LIKE ? ESCAPE ?",
    ),
    (
        Dialect::MySql,
        "SELECT $price FROM t",
        "SELECT $price FROM t",
    ),
    (Dialect::MySql, "SELECT 'unterminated \\'", "SELECT ?"),
    // A name in MySQL (names may start with digits); a number and a name
    // (an alias) in PostgreSQL.
    (Dialect::MySql, "SELECT 0x", "SELECT 0x"),
    (Dialect::Postgres, "SELECT 123abc", "SELECT ?abc"),
    (
        Dialect::Sqlite,
        "SELECT [a b] FROM t WHERE c = :name AND d = @x AND e = $y AND f = ?3",
        "SELECT [a b] FROM t WHERE c = :name AND d = @x AND e = $y AND f = ?3",
    ),
    (
        Dialect::Sqlite,
        r#"SELECT "a" FROM t"#,
        r#"SELECT "a" FROM t"#,
    ),
    (Dialect::Sqlite, r"SELECT 'a\'", "SELECT ?"),
    (
        Dialect::Sqlite,
        "PRAGMA table_info('t')",
        "PRAGMA table_info(?)",
    ),
    (Dialect::Sqlite, "SELECT `a` FROM t", "SELECT `a` FROM t"),
    (
        Dialect::Sqlite,
        "SELECT count FROM stock WHERE item = ?1",
        "SELECT count FROM stock WHERE item = ?1",
    ),
    (
        Dialect::Sqlite,
        "UPDATE stock SET count = count - 1 WHERE item = ?1 AND count > 0",
        "UPDATE stock SET count = count - ? WHERE item = ?1 AND count > ?",
    ),
    (
        Dialect::Sqlite,
        "SELECT * FROM t WHERE a IN (:a, :b)",
        "SELECT * FROM t WHERE a IN (?)",
    ),
    (Dialect::Sqlite, "SELECT 1 -- c", "SELECT ?"),
    (Dialect::Sqlite, "SELECT /* c */ 1", "SELECT ?"),
    (Dialect::Sqlite, "SELECT # FROM t", "SELECT # FROM t"),
    (
        Dialect::Sqlite,
        "INSERT INTO t VALUES (X'00', 'a''b', 1.5e3)",
        "INSERT INTO t VALUES (?, ?, ?)",
    ),
    (Dialect::Sqlite, "", ""),
    (Dialect::Sqlite, "   ", ""),
];

fn cases() -> Vec<(Dialect, String, String)> {
    let mut cases = Vec::new();
    for (dialect, literals) in [
        (Dialect::Postgres, POSTGRES_LITERALS),
        (Dialect::MySql, MYSQL_LITERALS),
        (Dialect::Sqlite, SQLITE_LITERALS),
    ] {
        for literal in literals {
            for (shape, expected) in SHAPES {
                cases.push((
                    dialect,
                    shape.replace("{}", literal),
                    (*expected).to_owned(),
                ));
            }
        }
    }
    cases.extend(
        WRITTEN
            .iter()
            .map(|(dialect, sql, expected)| (*dialect, (*sql).to_owned(), (*expected).to_owned())),
    );
    cases
}

#[test]
fn every_statement_of_the_corpus_sanitizes_to_what_is_expected() {
    let cases = cases();
    assert!(cases.len() >= 200, "{} statements", cases.len());
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(dialect, sql, expected)| {
            let got = sanitize(sql, *dialect);
            (got != *expected).then(|| {
                format!("{dialect:?} {sql:?}\n  got      {got:?}\n  expected {expected:?}")
            })
        })
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
