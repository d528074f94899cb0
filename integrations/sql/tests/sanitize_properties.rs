//! No value survives sanitizing: statements built from literals and
//! comments of arbitrary content, written as each dialect writes them,
//! lose every one of them.

use proptest::prelude::*;
use tracekit_sql::{Dialect, sanitize};

/// Marks the content of every literal and comment.
const MARK: &str = "LITMARK";

fn content() -> impl Strategy<Value = String> {
    (any::<String>(), any::<String>()).prop_map(|(before, after)| format!("{before}{MARK}{after}"))
}

/// A literal of `dialect` holding `text`, escaped as the dialect escapes.
fn literal(dialect: Dialect, style: u8, text: &str) -> String {
    match (dialect, style % 4) {
        (Dialect::Postgres, 0) | (Dialect::Sqlite, 0 | 1) => {
            format!("'{}'", text.replace('\'', "''"))
        }
        (Dialect::Postgres, 1) => format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        (Dialect::Postgres, 2) => {
            // A tag the text does not hold, nor end the start of
            // (`..$q` before `$q$` would close it early).
            let mut tag = String::from("q");
            while format!("{text}$").contains(&format!("${tag}$")) {
                tag.push('q');
            }
            format!("${tag}${text}${tag}$")
        }
        (Dialect::MySql, 0) => format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'")),
        (Dialect::MySql, 1) => format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\"")),
        (Dialect::MySql, 2) => format!(
            "_utf8mb4'{}'",
            text.replace('\\', "\\\\").replace('\'', "\\'")
        ),
        // Numbers: the mark as digits.
        _ => "7331733173".to_owned(),
    }
}

/// A comment of `dialect` holding `text` (with what would end it taken out).
fn comment(dialect: Dialect, style: u8, text: &str) -> String {
    match (dialect, style % 3) {
        (Dialect::MySql, 0) => format!("# {}\n", text.replace(['\n', '\r'], " ")),
        (_, 0 | 1) => format!("-- {}\n", text.replace(['\n', '\r'], " ")),
        _ => format!("/* {} */", text.replace("*/", "* /").replace("/*", "/ *")),
    }
}

fn dialect() -> impl Strategy<Value = Dialect> {
    prop_oneof![
        Just(Dialect::Postgres),
        Just(Dialect::MySql),
        Just(Dialect::Sqlite)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_literal_or_comment_survives(
        dialect in dialect(),
        values in proptest::collection::vec((any::<u8>(), content()), 1..5),
        note in (any::<u8>(), content()),
    ) {
        let literals: Vec<String> = values.iter().map(|(style, text)| literal(dialect, *style, text)).collect();
        let mut sql = format!("SELECT a, {} FROM t WHERE b = {}", literals[0], literals[literals.len() - 1]);
        sql.push(' ');
        sql.push_str(&comment(dialect, note.0, &note.1));
        sql.push_str(&format!(" AND c IN ({}) ORDER BY d", literals.join(", ")));
        let clean = sanitize(&sql, dialect);
        prop_assert!(!clean.contains(MARK), "{dialect:?}\n{sql}\n=> {clean}");
        prop_assert!(!clean.contains("7331733173"), "{dialect:?}\n{sql}\n=> {clean}");
        prop_assert!(clean.starts_with("SELECT a, ? FROM t WHERE b = ?"), "{dialect:?}\n{sql}\n=> {clean}");
        prop_assert!(clean.ends_with("AND c IN (?) ORDER BY d"), "{dialect:?}\n{sql}\n=> {clean}");
    }

    #[test]
    fn any_text_sanitizes_without_a_panic(dialect in dialect(), text in any::<String>()) {
        let _ = sanitize(&text, dialect);
        let _ = tracekit_sql::summarize(&text, dialect);
    }
}
