//! The console exporter: each finished trace as an indented tree.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use super::{ExportError, Exporter};
use crate::identity::{SpanId, TraceId};
use crate::record::{SpanKind, SpanRecord};

/// Spans of unfinished traces held at most; past it they are printed as they are.
const MAX_PENDING_SPANS: usize = 10_000;

/// Prints every trace when its local root finishes, as a tree with
/// durations, tags and errors:
///
/// ```text
/// trace 5b8aa5a2d2c872e8321cf37308d69df2
/// checkout 1.21ms user_id=7
/// ├── load_cart 180.40µs user_id=7
/// └── charge 402.13µs amount=1999 error=true
///     ! error ShopError: card declined
/// ```
///
/// Spans that finish after their trace was printed (a detached task, say)
/// are printed on their own when their own subtree ends, or at flush.
///
/// ```
/// use tracekit_runtime::{Tracer, export::Console};
///
/// let out = Console::buffer();
/// let tracer = Tracer::builder().exporter(out.clone()).build();
/// tracer.span("job").start().finish();
/// tracer.flush().unwrap();
/// assert!(out.contents().contains("job"));
/// ```
#[derive(Clone)]
pub struct Console {
    target: Target,
    pending: HashMap<TraceId, Vec<SpanRecord>>,
    pending_spans: usize,
}

#[derive(Clone)]
enum Target {
    Stdout,
    Stderr,
    Buffer(Arc<Mutex<Vec<u8>>>),
}

impl Console {
    fn to(target: Target) -> Self {
        Console {
            target,
            pending: HashMap::new(),
            pending_spans: 0,
        }
    }

    /// Prints to standard output.
    pub fn stdout() -> Self {
        Console::to(Target::Stdout)
    }

    /// Prints to standard error.
    pub fn stderr() -> Self {
        Console::to(Target::Stderr)
    }

    /// Prints into a shared buffer; read it with [`contents`](Self::contents)
    /// from any clone.
    pub fn buffer() -> Self {
        Console::to(Target::Buffer(Arc::default()))
    }

    /// What was printed into a [`buffer`](Self::buffer) console so far.
    pub fn contents(&self) -> String {
        match &self.target {
            Target::Buffer(buffer) => {
                String::from_utf8_lossy(&buffer.lock().unwrap_or_else(|p| p.into_inner()))
                    .into_owned()
            }
            Target::Stdout | Target::Stderr => String::new(),
        }
    }

    fn write(&self, text: &str) -> io::Result<()> {
        match &self.target {
            Target::Stdout => io::stdout().lock().write_all(text.as_bytes()),
            Target::Stderr => io::stderr().lock().write_all(text.as_bytes()),
            Target::Buffer(buffer) => {
                buffer
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .extend_from_slice(text.as_bytes());
                Ok(())
            }
        }
    }

    fn print_trace(&mut self, trace_id: TraceId) -> io::Result<()> {
        let spans = self.pending.remove(&trace_id).unwrap_or_default();
        self.pending_spans -= spans.len();
        self.write(&render_trace(trace_id, &spans))
    }
}

impl Exporter for Console {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        // The whole batch first: a root may come before its children, as
        // spans of different threads arrive in no particular order.
        let mut roots = Vec::new();
        for record in batch {
            if record.parent_id.is_none() || record.parent_is_remote {
                roots.push(record.trace_id);
            }
            self.pending
                .entry(record.trace_id)
                .or_default()
                .push(record.clone());
            self.pending_spans += 1;
        }
        for trace_id in roots {
            if self.pending.contains_key(&trace_id) {
                self.print_trace(trace_id)?;
            }
        }
        if self.pending_spans > MAX_PENDING_SPANS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        let traces: Vec<TraceId> = self.pending.keys().copied().collect();
        for trace_id in traces {
            self.print_trace(trace_id)?;
        }
        Ok(())
    }
}

/// The text of one trace: a header line, then each span under its parent.
fn render_trace(trace_id: TraceId, spans: &[SpanRecord]) -> String {
    let ids: Vec<SpanId> = spans.iter().map(|s| s.span_id).collect();
    let mut children: HashMap<Option<SpanId>, Vec<&SpanRecord>> = HashMap::new();
    for span in spans {
        // A span whose parent is not here (remote, or printed earlier) is a top-level line.
        let parent = span.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(span);
    }
    for list in children.values_mut() {
        list.sort_by_key(|s| s.start);
    }
    let mut out = format!("trace {trace_id}\n");
    for top in children.get(&None).into_iter().flatten() {
        render_span(&mut out, top, &children, "", None);
    }
    out
}

fn render_span(
    out: &mut String,
    span: &SpanRecord,
    children: &HashMap<Option<SpanId>, Vec<&SpanRecord>>,
    prefix: &str,
    is_last: Option<bool>,
) {
    let (branch, child_prefix) = match is_last {
        None => (String::new(), String::new()),
        Some(true) => (format!("{prefix}└── "), format!("{prefix}    ")),
        Some(false) => (format!("{prefix}├── "), format!("{prefix}│   ")),
    };
    let name = escaped(&span.name);
    out.push_str(&format!("{branch}{name} {:.2?}", span.duration()));
    if span.kind != SpanKind::Internal {
        out.push_str(&format!(" [{}]", span.kind));
    }
    // `error.type` is shown on the `! error` line below.
    for (key, value) in span.tags.iter().filter(|(key, _)| key != "error.type") {
        let (key, value) = (escaped(key), escaped(&value.to_string()).into_owned());
        out.push_str(&format!(" {key}={value}"));
    }
    out.push('\n');
    let below = children
        .get(&Some(span.span_id))
        .map_or(&[][..], Vec::as_slice);
    let detail_prefix = if below.is_empty() {
        format!("{child_prefix}  ")
    } else {
        format!("{child_prefix}│ ")
    };
    if let Some(error) = span.log_event("error") {
        let field = |name| {
            error
                .field(name)
                .map(|value| escaped(&value.to_string()).into_owned())
                .unwrap_or_default()
        };
        out.push_str(&format!(
            "{detail_prefix}! error {}: {}\n",
            field("error.kind"),
            field("message")
        ));
    }
    for (i, child) in below.iter().enumerate() {
        render_span(
            out,
            child,
            children,
            &child_prefix,
            Some(i + 1 == below.len()),
        );
    }
}

/// `text` with control characters (line breaks, escape sequences that
/// drive a terminal, C1 controls) written as escapes, so recorded values
/// can neither forge trace lines nor reach the terminal.
fn escaped(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tracer;
    use crate::export::Memory;

    /// Finished records of a small trace, in the order they finished:
    /// nested, first, second (failed), root.
    fn finished_trace() -> Vec<SpanRecord> {
        let memory = Memory::new();
        let tracer = Tracer::builder().exporter(memory.clone()).build();
        let root = tracer.span("root").start();
        let first = tracer.span("first").child_of(root.context()).start();
        let nested = tracer.span("nested").child_of(first.context()).start();
        let second = tracer.span("second").child_of(root.context()).start();
        nested.finish();
        first.finish();
        second.record_error("Timeout", "gave up");
        second.finish();
        root.finish();
        tracer.flush().unwrap();
        memory.take()
    }

    #[test]
    fn a_trace_prints_once_its_root_finishes_with_children_indented() {
        let records = finished_trace();
        let mut console = Console::buffer();
        console.export(&records[..3]).unwrap();
        assert_eq!(console.contents(), "", "nothing before the root finishes");
        console.export(&records[3..]).unwrap();

        let text = console.contents();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("trace "), "{text}");
        assert!(lines[1].starts_with("root "), "{text}");
        assert!(lines[2].starts_with("├── first "), "{text}");
        assert!(lines[3].starts_with("│   └── nested "), "{text}");
        assert!(lines[4].starts_with("└── second "), "{text}");
        assert!(lines[4].ends_with(" error=true"), "{text}");
        assert_eq!(lines[5], "      ! error Timeout: gave up", "{text}");
        assert_eq!(lines.len(), 6, "{text}");
    }

    #[test]
    fn control_characters_in_recorded_text_are_escaped() {
        let memory = Memory::new();
        let tracer = Tracer::builder().exporter(memory.clone()).build();
        let span = tracer.span("name\ntrace 0000 forged").start();
        span.set_tag("key\r", "value\u{1b}[2J\u{9b}31m");
        span.record_error("Kind\n", "line one\nline two");
        span.finish();
        tracer.flush().unwrap();
        let mut console = Console::buffer();
        console.export(&memory.take()).unwrap();
        let text = console.contents();
        assert_eq!(text.lines().count(), 3, "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\u{9b}') && !text.contains('\r'));
        assert!(text.contains("name\\ntrace 0000 forged"), "{text}");
        assert!(text.contains("key\\r=value\\u{1b}[2J\\u{9b}31m"), "{text}");
        assert!(
            text.contains("! error Kind\\n: line one\\nline two"),
            "{text}"
        );
    }

    #[test]
    fn flush_prints_traces_whose_root_has_not_finished() {
        let records = finished_trace();
        let mut console = Console::buffer();
        console.export(&records[..1]).unwrap();
        assert_eq!(console.contents(), "");
        console.flush().unwrap();
        assert!(
            console.contents().contains("\nnested "),
            "{}",
            console.contents()
        );
    }
}
