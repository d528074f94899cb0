//! What is read from a trace's spans: its tree, the critical path, and
//! how two traces differ.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::store::Stored;

/// The spans on the critical path of a trace: from each root, the child
/// that finished last, and before it the child that finished last before
/// that one started, and so on down; what the trace's end waited for.
pub fn critical_path(spans: &[Stored]) -> HashSet<String> {
    let ids: HashSet<&str> = spans.iter().map(|span| span.span_id.as_str()).collect();
    let mut children: HashMap<&str, Vec<&Stored>> = HashMap::new();
    let mut roots = Vec::new();
    for span in spans {
        match span
            .parent_id
            .as_deref()
            .filter(|parent| ids.contains(parent))
        {
            Some(parent) => children.entry(parent).or_default().push(span),
            None => roots.push(span),
        }
    }
    let mut path = HashSet::new();
    // The root that ends last is what the trace waited for.
    if let Some(root) = roots.iter().max_by_key(|span| (span.end, span.start)) {
        walk(root, &children, &mut path);
    }
    path
}

fn walk<'a>(
    root: &'a Stored,
    children: &HashMap<&str, Vec<&'a Stored>>,
    path: &mut HashSet<String>,
) {
    // A stack, not recursion: a trace may nest thousands deep.
    let mut pending = vec![root];
    while let Some(span) = pending.pop() {
        path.insert(span.span_id.clone());
        let Some(kids) = children.get(span.span_id.as_str()) else {
            continue;
        };
        let mut kids = kids.clone();
        kids.sort_by_key(|kid| std::cmp::Reverse((kid.end, kid.start)));
        // From the span's end backwards: the child that finished last,
        // then the one that finished before that one started, ...; a
        // child still running at that point ran beside the path.
        let mut cursor = span.end;
        for kid in kids {
            if kid.end <= cursor {
                pending.push(kid);
                cursor = kid.start;
            }
        }
    }
}

/// One row of a comparison: a span's place in the tree (`service:name#n`
/// of each span from the root down, joined by ` > `: the n-th span of
/// that name under its parent), its name, service and depth, and its
/// duration in each trace (absent where it did not appear).
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub path: String,
    pub name: String,
    pub service: String,
    pub depth: usize,
    pub a: Option<i64>,
    pub b: Option<i64>,
}

/// The spans of two traces matched by their place in the tree; rows in
/// the order of the first trace, then what only the second has.
pub fn compare(a: &[Stored], b: &[Stored]) -> Vec<Difference> {
    let a_paths = paths(a);
    let b_paths = paths(b);
    let b_by_path: HashMap<&str, i64> = b_paths
        .iter()
        .map(|place| (place.path.as_str(), place.duration))
        .collect();
    let a_known: HashSet<&str> = a_paths.iter().map(|place| place.path.as_str()).collect();
    let row = |place: &Place<'_>, a: Option<i64>, b: Option<i64>| Difference {
        path: place.path.clone(),
        name: place.span.name.clone(),
        service: place.span.service.clone(),
        depth: place.depth,
        a,
        b,
    };
    let mut rows: Vec<Difference> = a_paths
        .iter()
        .map(|place| {
            row(
                place,
                Some(place.duration),
                b_by_path.get(place.path.as_str()).copied(),
            )
        })
        .collect();
    rows.extend(
        b_paths
            .iter()
            .filter(|place| !a_known.contains(place.path.as_str()))
            .map(|place| row(place, None, Some(place.duration))),
    );
    rows
}

/// A span's place in its trace's tree.
struct Place<'a> {
    span: &'a Stored,
    path: String,
    depth: usize,
    duration: i64,
}

/// Each span's place (see [`Difference::path`]), depth first in the
/// order spans started.
fn paths(spans: &[Stored]) -> Vec<Place<'_>> {
    let ids: HashSet<&str> = spans.iter().map(|span| span.span_id.as_str()).collect();
    let mut children: BTreeMap<Option<&str>, Vec<&Stored>> = BTreeMap::new();
    for span in spans {
        let parent = span
            .parent_id
            .as_deref()
            .filter(|parent| ids.contains(parent));
        children.entry(parent).or_default().push(span);
    }
    for list in children.values_mut() {
        list.sort_by_key(|span| (span.start, span.span_id.clone()));
    }
    // A level's places, numbered among siblings of the same name.
    let level = |parent: Option<&str>, prefix: &str, depth: usize| -> Vec<Place<'_>> {
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        children
            .get(&parent)
            .map(|list| {
                list.iter()
                    .map(|span| {
                        let n = seen.entry((&span.service, &span.name)).or_default();
                        *n += 1;
                        let step = format!("{}:{}#{n}", span.service, span.name);
                        Place {
                            span,
                            path: if prefix.is_empty() {
                                step
                            } else {
                                format!("{prefix} > {step}")
                            },
                            depth,
                            duration: span.end - span.start,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::with_capacity(spans.len());
    let mut pending = level(None, "", 0);
    pending.reverse();
    while let Some(place) = pending.pop() {
        let mut below = level(
            Some(place.span.span_id.as_str()),
            &place.path,
            place.depth + 1,
        );
        below.reverse();
        out.push(place);
        pending.extend(below);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: Option<&str>, name: &str, start: i64, end: i64) -> Stored {
        Stored {
            span_id: id.to_owned(),
            parent_id: parent.map(str::to_owned),
            name: name.to_owned(),
            service: "shop".to_owned(),
            kind: "internal".to_owned(),
            start,
            end,
            error: false,
            detail: serde_json::Value::Null,
        }
    }

    #[test]
    fn the_critical_path_follows_what_each_span_waited_for() {
        // root 0..100: a (0..40) then b (45..95) in sequence, and c
        // (10..30) beside a; b waited on d (50..90), beside e (50..60).
        let spans = [
            span("r", None, "root", 0, 100),
            span("a", Some("r"), "a", 0, 40),
            span("c", Some("r"), "c", 10, 30),
            span("b", Some("r"), "b", 45, 95),
            span("d", Some("b"), "d", 50, 90),
            span("e", Some("b"), "e", 50, 60),
            // Outlives its parent: fire and forget, not waited for.
            span("f", Some("a"), "f", 20, 200),
        ];
        let path = critical_path(&spans);
        let mut on: Vec<&str> = path.iter().map(String::as_str).collect();
        on.sort_unstable();
        assert_eq!(on, ["a", "b", "d", "r"]);
    }

    #[test]
    fn a_trace_nested_ten_thousand_deep_has_its_path() {
        let mut spans = vec![span("0", None, "n", 0, 20_000)];
        for n in 1..10_000 {
            spans.push(span(
                &n.to_string(),
                Some(&(n - 1).to_string()),
                "n",
                n,
                20_000 - n,
            ));
        }
        assert_eq!(critical_path(&spans).len(), 10_000);
    }

    #[test]
    fn two_traces_are_matched_by_place_and_name() {
        let a = [
            span("r", None, "GET /buy", 0, 100),
            span("q1", Some("r"), "SELECT", 0, 10),
            span("q2", Some("r"), "SELECT", 20, 30),
            span("c", Some("r"), "cache", 40, 50),
        ];
        let b = [
            span("R", None, "GET /buy", 0, 300),
            span("Q1", Some("R"), "SELECT", 0, 250),
            span("Q2", Some("R"), "SELECT", 260, 270),
            span("P", Some("R"), "pay", 280, 290),
        ];
        let rows = compare(&a, &b);
        let row = |path: &str| rows.iter().find(|r| r.path == path).unwrap().clone();
        assert_eq!(row("shop:GET /buy#1").a, Some(100));
        assert_eq!(row("shop:GET /buy#1").b, Some(300));
        assert_eq!(row("shop:GET /buy#1 > shop:SELECT#1").b, Some(250));
        assert_eq!(row("shop:GET /buy#1 > shop:SELECT#2").a, Some(10));
        assert_eq!(row("shop:GET /buy#1 > shop:cache#1").b, None, "gone in b");
        assert_eq!(row("shop:GET /buy#1 > shop:pay#1").a, None, "new in b");
        assert_eq!(rows.len(), 5);
        assert_eq!(row("shop:GET /buy#1 > shop:pay#1").depth, 1);
        assert_eq!(row("shop:GET /buy#1 > shop:pay#1").name, "pay");
        assert_eq!(rows[0].path, "shop:GET /buy#1", "the tree's order");
    }
}
