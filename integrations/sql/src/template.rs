//! The tags of a statement's span as one set kept for the process, which
//! the span refers to rather than copies (`SpanBuilder::tag_template`):
//! a span whose tags are all a template's needs no tag box, and that box
//! with its tags was about half of what a statement's span cost. A
//! template joins a connection's tags and a statement's; each distinct
//! one is made once, found again by its content (connections come and go
//! with their pools, statements leave and re-enter the analysis cache).
//! Bounded, as `intern.rs` is: past the budget, spans copy the two sets
//! instead.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use tracekit_runtime::TagSet;

use crate::analysis::Analysis;
use crate::config::DbConfig;

/// Templates kept at most (a few hundred bytes each).
const MAX_TEMPLATES: usize = 4096;

/// The process's templates.
static KEPT: Templates = Templates::new(MAX_TEMPLATES);

/// What a thread remembers of a statement's template: the connection's
/// template and whether the text is recorded (what it was made for), and
/// the template (`None`: none could be kept).
pub(crate) type Memo = Option<(MadeFor, Option<&'static TagSet>)>;

/// The connection's template, by address, and the `query_text` setting.
type MadeFor = (*const TagSet, bool);

/// `set`, kept for the process (the same address for the same content),
/// or `None` when the budget is spent.
pub(crate) fn kept(set: TagSet) -> Option<&'static TagSet> {
    KEPT.keep(set)
}

/// Sets kept for the process, found by their content (see
/// [`content_key`]), at most `max` of them.
struct Templates {
    by_content: RwLock<Option<HashMap<String, &'static TagSet>>>,
    max: usize,
}

impl Templates {
    const fn new(max: usize) -> Templates {
        Templates {
            by_content: RwLock::new(None),
            max,
        }
    }

    fn keep(&self, set: TagSet) -> Option<&'static TagSet> {
        let key = content_key(&set);
        if let Some(found) = self
            .by_content
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .and_then(|kept| kept.get(&key))
        {
            return Some(found);
        }
        let mut kept = self
            .by_content
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let kept = kept.get_or_insert_with(HashMap::new);
        if let Some(found) = kept.get(&key) {
            return Some(found);
        }
        if kept.len() >= self.max {
            return None;
        }
        let leaked: &'static TagSet = Box::leak(Box::new(set));
        kept.insert(key, leaked);
        Some(leaked)
    }
}

/// The template of a span of `analysis`'s statement on a connection of
/// `config`: from `memo` (this thread's, kept with the statement) when it
/// was made for the same connection tags, else made (or found) and
/// remembered there. `None` when none can be kept: the span then copies
/// the two sets.
#[cfg_attr(
    not(any(feature = "rusqlite", feature = "tokio-postgres", feature = "sqlx")),
    allow(dead_code)
)]
#[inline]
pub(crate) fn of(
    config: &DbConfig,
    analysis: &Analysis,
    memo: &Cell<Memo>,
) -> Option<&'static TagSet> {
    let connection = config.template?;
    let made_for = (connection as *const TagSet, config.query_text);
    match memo.get() {
        Some((held, template)) if held == made_for => template,
        _ => {
            let template = joined(connection, analysis.tags(config.query_text));
            memo.set(Some((made_for, template)));
            template
        }
    }
}

/// The template of `connection`'s tags and then `statement`'s.
#[cfg_attr(
    not(any(feature = "rusqlite", feature = "tokio-postgres", feature = "sqlx")),
    allow(dead_code)
)]
#[cold]
#[inline(never)]
fn joined(connection: &TagSet, statement: &TagSet) -> Option<&'static TagSet> {
    kept(TagSet::new(
        connection.tags().iter().chain(statement.tags()).cloned(),
    ))
}

/// A text that two sets share only when they hold the same tags in the
/// same order: each key and value by its `Debug` text, which quotes and
/// escapes strings and names a value's type (`I64(5)` is not `U64(5)`).
fn content_key(set: &TagSet) -> String {
    use std::fmt::Write;
    let mut key = String::new();
    for (name, value) in set.tags() {
        let _ = write!(key, "{name:?}={value:?};");
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracekit_runtime::TagValue;

    #[test]
    fn the_same_content_is_kept_once_and_another_apart_within_the_budget() {
        let templates = Templates::new(2);
        let set = |value: TagValue| TagSet::new([("k", value)]);
        let a = templates.keep(set(TagValue::I64(5))).expect("kept");
        let b = templates.keep(set(TagValue::I64(5))).expect("kept");
        let c = templates.keep(set(TagValue::U64(5))).expect("kept");
        assert!(std::ptr::eq(a, b));
        assert!(!std::ptr::eq(a, c));
        assert!(
            templates.keep(set(TagValue::from("x"))).is_none(),
            "past the budget"
        );
        let again = templates.keep(set(TagValue::I64(5))).expect("still found");
        assert!(std::ptr::eq(a, again));
    }
}
