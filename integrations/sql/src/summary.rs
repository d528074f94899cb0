//! What a statement does, in few words: `db.query.summary` (each
//! operation and the tables it names, in the order they appear: `SELECT
//! orders`, `INSERT shipping SELECT orders`), `db.operation.name` (the
//! first operation) and `db.collection.name` (the table, when there is
//! one). Values never appear: only keywords and names are read.

use crate::lexer::{Dialect, Kind, Token, tokens};

/// The longest summary, in bytes (OpenTelemetry's limit).
const MAX_SUMMARY: usize = 255;

/// What a statement does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// `db.query.summary`: operations and tables, in order.
    pub summary: Option<String>,
    /// `db.operation.name`: the first operation (`SELECT`, `CREATE TABLE`).
    pub operation: Option<String>,
    /// `db.collection.name`: the one table the statement names, if one.
    pub collection: Option<String>,
}

/// Words that start an operation, and the object words that complete
/// `CREATE`, `ALTER` and `DROP`.
const OPERATIONS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE",
    "REPLACE",
    "UPSERT",
    "CREATE",
    "ALTER",
    "DROP",
    "TRUNCATE",
    "CALL",
    "EXEC",
    "EXECUTE",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "PRAGMA",
    "VACUUM",
    "ANALYZE",
    "EXPLAIN",
    "SHOW",
    "COPY",
    "GRANT",
    "REVOKE",
    "LOCK",
    "USE",
    "SET",
    "DECLARE",
    "FETCH",
    "LISTEN",
    "NOTIFY",
];
const OBJECTS: &[&str] = &[
    "TABLE",
    "INDEX",
    "VIEW",
    "SCHEMA",
    "DATABASE",
    "SEQUENCE",
    "TRIGGER",
    "FUNCTION",
    "PROCEDURE",
    "TYPE",
    "EXTENSION",
    "MATERIALIZED",
    "UNIQUE",
    "TEMPORARY",
    "TEMP",
];
/// Words after which a table's name comes.
const BEFORE_TABLE: &[&str] = &[
    "FROM", "JOIN", "INTO", "UPDATE", "TABLE", "TRUNCATE", "INDEX", "VIEW",
];

/// What `sql` does (see [`Summary`]).
///
/// ```
/// use tracekit_sql::{Dialect, summarize};
///
/// let s = summarize("INSERT INTO shipping (id) SELECT id FROM orders WHERE x = 'a'", Dialect::Postgres);
/// assert_eq!(s.summary.as_deref(), Some("INSERT shipping SELECT orders"));
/// assert_eq!(s.operation.as_deref(), Some("INSERT"));
/// assert_eq!(s.collection, None, "two tables");
/// ```
pub fn summarize(sql: &str, dialect: Dialect) -> Summary {
    let words: Vec<Token> = tokens(sql, dialect)
        .filter(|t| !matches!(t.kind, Kind::Space | Kind::Comment))
        .collect();
    let text = |t: &Token| &sql[t.start..t.end];
    let is = |t: &Token, list: &[&str]| {
        t.kind == Kind::Word && list.iter().any(|w| text(t).eq_ignore_ascii_case(w))
    };
    let mut parts: Vec<String> = Vec::new();
    let mut operation = None;
    let mut tables: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        if is(word, OPERATIONS) && starts_operation(sql, &words, i) {
            let mut op = text(word).to_ascii_uppercase();
            // `CREATE [UNIQUE] INDEX`, `DROP TABLE`, ...
            while let Some(next) = words
                .get(i + 1)
                .filter(|n| op_takes_object(&op) && is(n, OBJECTS))
            {
                op.push(' ');
                op.push_str(&text(next).to_ascii_uppercase());
                i += 1;
            }
            if operation.is_none() {
                operation = Some(op.clone());
            }
            parts.push(op);
        }
        // The last word of the operation (`TABLE` of `CREATE TABLE`).
        let word = &words[i];
        if is(word, BEFORE_TABLE) {
            let mut j = i + 1;
            // `IF [NOT] EXISTS`, `ONLY`, `IGNORE`, `LOW_PRIORITY`: not names.
            while words.get(j).is_some_and(|t| {
                is(
                    t,
                    &[
                        "IF",
                        "NOT",
                        "EXISTS",
                        "ONLY",
                        "IGNORE",
                        "LOW_PRIORITY",
                        "LATERAL",
                        "OR",
                    ],
                )
            }) {
                j += 1;
            }
            // A list of tables after FROM: `FROM a, b`.
            while let Some((name, after)) = table_name(sql, &words, j) {
                tables.push(name.clone());
                parts.push(name);
                j = after;
                // An alias: `orders o`, `orders AS o`.
                if words.get(j).is_some_and(|t| is(t, &["AS"])) {
                    j += 1;
                }
                if words
                    .get(j)
                    .is_some_and(|t| t.kind == Kind::Word && !is(t, RESERVED))
                {
                    j += 1;
                }
                let comma = words.get(j).is_some_and(|t| text(t) == ",");
                if !(comma && is(word, &["FROM"])) {
                    break;
                }
                j += 1;
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    let mut summary = String::new();
    for part in &parts {
        if summary.len() + part.len() + 1 > MAX_SUMMARY {
            break;
        }
        if !summary.is_empty() {
            summary.push(' ');
        }
        summary.push_str(part);
    }
    tables.dedup();
    Summary {
        summary: (!summary.is_empty()).then_some(summary),
        operation,
        collection: (tables.len() == 1).then(|| tables.remove(0)),
    }
}

/// Words that end a table list rather than name an alias.
const RESERVED: &[&str] = &[
    "WHERE",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "OUTER",
    "CROSS",
    "NATURAL",
    "ON",
    "USING",
    "GROUP",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "HAVING",
    "SET",
    "VALUES",
    "SELECT",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "RETURNING",
    "FOR",
    "WINDOW",
    "DEFAULT",
    "WITH",
    "AS",
    "ADD",
    "DROP",
    "RENAME",
    "ALTER",
    "COLUMN",
    "FETCH",
    "INTO",
    "OUTPUT",
    "PARTITION",
    "STRAIGHT_JOIN",
    "USE",
    "FORCE",
    "IGNORE",
    "CONFLICT",
    "DO",
    "LOCK",
    "NOWAIT",
    "SKIP",
    "WHEN",
    "THEN",
    "MATCHED",
];

fn op_takes_object(op: &str) -> bool {
    ["CREATE", "ALTER", "DROP", "TRUNCATE"]
        .iter()
        .any(|o| op.starts_with(o))
}

/// Whether the operation word at `i` starts an operation: at the start, or
/// after `(`, `;`, or a word that chains statements (`UNION`, `AS` of a
/// `WITH`); `SET` only at the start (`UPDATE t SET` is not one), `REPLACE`
/// not as a function (`REPLACE(a, b)`).
fn starts_operation(sql: &str, words: &[Token], i: usize) -> bool {
    let text = |t: &Token| &sql[t.start..t.end];
    let word = text(&words[i]);
    if word.eq_ignore_ascii_case("replace") && words.get(i + 1).is_some_and(|t| text(t) == "(") {
        return false;
    }
    let Some(before) = i.checked_sub(1).map(|b| &words[b]) else {
        return true;
    };
    let previous = text(before);
    if previous == ";" {
        return true;
    }
    if [
        "SET", "USE", "LOCK", "ANALYZE", "FETCH", "BEGIN", "EXECUTE", "SHOW", "CALL", "COPY",
        "DECLARE",
    ]
    .iter()
    .any(|w| word.eq_ignore_ascii_case(w))
    {
        return false;
    }
    previous == "("
        || ["UNION", "ALL", "EXCEPT", "INTERSECT", "AS", "EXPLAIN", "DISTINCT", "THEN", "DO"]
            .iter()
            .any(|w| before.kind == Kind::Word && previous.eq_ignore_ascii_case(w))
        // `INSERT .. SELECT`, `CREATE TABLE .. AS SELECT`: a table name or `)` before.
        || (word.eq_ignore_ascii_case("select") && (previous == ")" || before.kind == Kind::Word || before.kind == Kind::Quoted))
}

/// The (possibly qualified, possibly quoted) name at `at`, as written with
/// quotes taken off, and the index after it.
fn table_name(sql: &str, words: &[Token], at: usize) -> Option<(String, usize)> {
    let text = |t: &Token| &sql[t.start..t.end];
    let mut name = String::new();
    let mut j = at;
    loop {
        let part = words.get(j)?;
        match part.kind {
            Kind::Word if !RESERVED.iter().any(|r| text(part).eq_ignore_ascii_case(r)) => {
                name.push_str(text(part))
            }
            Kind::Quoted => {
                let quoted = text(part);
                name.push_str(&quoted[1..quoted.len().saturating_sub(1).max(1)]);
            }
            _ => break,
        }
        j += 1;
        if words.get(j).is_some_and(|t| text(t) == ".") {
            name.push('.');
            j += 1;
        } else {
            break;
        }
    }
    (!name.is_empty() && !name.ends_with('.')).then_some((name, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(sql: &str) -> Option<String> {
        summarize(sql, Dialect::Postgres).summary
    }

    #[test]
    fn operations_and_tables_in_order() {
        assert_eq!(
            summary("SELECT * FROM orders WHERE id = 1").as_deref(),
            Some("SELECT orders")
        );
        assert_eq!(
            summary("select a from public.orders o join customers c on o.c = c.id").as_deref(),
            Some("SELECT public.orders customers")
        );
        assert_eq!(
            summary("SELECT * FROM a, b WHERE a.x = b.y").as_deref(),
            Some("SELECT a b")
        );
        assert_eq!(
            summary("UPDATE orders SET total = 1 WHERE id = 2").as_deref(),
            Some("UPDATE orders")
        );
        assert_eq!(
            summary("DELETE FROM \"Orders\" WHERE id = $1").as_deref(),
            Some("DELETE Orders")
        );
        assert_eq!(
            summary("CREATE UNIQUE INDEX IF NOT EXISTS i ON t (a)").as_deref(),
            Some("CREATE UNIQUE INDEX i")
        );
        assert_eq!(
            summary("CREATE TABLE IF NOT EXISTS stock (item TEXT)").as_deref(),
            Some("CREATE TABLE stock")
        );
        assert_eq!(
            summary("SELECT REPLACE(name, 'a', 'b') FROM t").as_deref(),
            Some("SELECT t")
        );
        assert_eq!(
            summary("SELECT * FROM (SELECT id FROM t) sub").as_deref(),
            Some("SELECT SELECT t")
        );
        assert_eq!(summary("BEGIN").as_deref(), Some("BEGIN"));
        assert_eq!(summary("'just a string'"), None);
        let s = summarize("SELECT 1", Dialect::Sqlite);
        assert_eq!(
            (s.summary.as_deref(), s.operation.as_deref(), s.collection),
            (Some("SELECT"), Some("SELECT"), None)
        );
        let s = summarize("SELECT * FROM stock WHERE item = ?", Dialect::Sqlite);
        assert_eq!(s.collection.as_deref(), Some("stock"));
    }
}
