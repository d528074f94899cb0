//! Prints the spans of a JSON-lines file (schema `tracekit.span/1`) as one
//! tree per trace, whichever process recorded them.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

/// One span, as much of it as the tree shows.
struct Node {
    trace_id: String,
    span_id: String,
    parent_id: Option<String>,
    name: String,
    kind: String,
    service: String,
    start: u128,
    end: u128,
    error: bool,
    tags: Vec<(String, String)>,
}

/// The tags worth a place in the tree.
const SHOWN: [&str; 7] = [
    "http.response.status_code",
    // tower-http's request span, through the `tracing` bridge.
    "uri",
    "error.type",
    "order.item",
    "order.quantity",
    "customer",
    "db.system.name",
];

impl Node {
    fn parse(line: &str) -> Option<Node> {
        let span: Value = serde_json::from_str(line).ok()?;
        let text = |key: &str| span[key].as_str().map(str::to_owned);
        let nanos = |key: &str| text(key)?.parse::<u128>().ok();
        let tags = SHOWN
            .iter()
            .filter_map(|key| {
                let value = &span["tags"][*key];
                let shown = match value {
                    Value::String(text) => text.clone(),
                    Value::Null => return None,
                    other => other.to_string(),
                };
                Some(((*key).to_owned(), shown))
            })
            .collect();
        Some(Node {
            trace_id: text("trace_id")?,
            span_id: text("span_id")?,
            parent_id: text("parent_id"),
            name: text("name")?,
            kind: text("kind")?,
            service: span["resource"]["service.name"]
                .as_str()
                .unwrap_or("?")
                .to_owned(),
            start: nanos("start_unix_nano")?,
            end: nanos("end_unix_nano")?,
            error: span["error"].as_bool().unwrap_or(false),
            tags,
        })
    }

    fn describe(&self) -> String {
        let mut text = format!(
            "{} ({}, {}) {:.2}ms",
            self.name,
            self.service,
            self.kind,
            (self.end.saturating_sub(self.start)) as f64 / 1e6
        );
        for (key, value) in &self.tags {
            text.push_str(&format!(" {key}={value}"));
        }
        if self.error {
            text.push_str(" ERROR");
        }
        text
    }
}

/// Prints every trace in `path`, oldest first.
pub fn print(path: &Path) {
    let text = std::fs::read_to_string(path).expect("the shop's span file");
    let nodes: Vec<Node> = text.lines().filter_map(Node::parse).collect();
    let ids: std::collections::HashSet<&str> = nodes.iter().map(|n| n.span_id.as_str()).collect();
    let mut children: HashMap<&str, Vec<&Node>> = HashMap::new();
    let mut roots = Vec::new();
    for node in &nodes {
        match node
            .parent_id
            .as_deref()
            .filter(|parent| ids.contains(parent))
        {
            Some(parent) => children.entry(parent).or_default().push(node),
            None => roots.push(node),
        }
    }
    roots.sort_by_key(|node| node.start);
    for list in children.values_mut() {
        list.sort_by_key(|node| node.start);
    }
    let services: std::collections::BTreeSet<&str> =
        nodes.iter().map(|n| n.service.as_str()).collect();
    println!(
        "{} spans from {} processes ({})",
        nodes.len(),
        services.len(),
        services.into_iter().collect::<Vec<_>>().join(", ")
    );
    for root in roots {
        println!("\ntrace {}", root.trace_id);
        println!("{}", root.describe());
        print_children(root, &children, "");
    }
}

fn print_children(node: &Node, children: &HashMap<&str, Vec<&Node>>, indent: &str) {
    let Some(list) = children.get(node.span_id.as_str()) else {
        return;
    };
    for (n, child) in list.iter().enumerate() {
        let last = n + 1 == list.len();
        println!(
            "{indent}{} {}",
            if last { "└──" } else { "├──" },
            child.describe()
        );
        let deeper = format!("{indent}{}", if last { "    " } else { "│   " });
        print_children(child, children, &deeper);
    }
}
