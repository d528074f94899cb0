//! The span of one statement: started with what the text says (the
//! summary, the sanitized text, both cached per statement), finished with
//! the rows or the error.

use std::borrow::Cow;

use tracekit_runtime::{CarriedSpan, SpanBuilder, SpanContext, SpanKind, context, global};

use crate::config::DbConfig;

/// A statement's span, a noop one when none is made (no parent and no
/// root spans, no tracer): held as it is, not in an `Option`, which cost a
/// span's every statement a few copies of it.
pub(crate) struct QuerySpan {
    span: CarriedSpan,
    rows_wanted: bool,
    /// Whether the answer came (else the span ends `cancelled`: its
    /// future was dropped first).
    answered: bool,
}

impl QuerySpan {
    /// Starts the span of `sql`, as `config` says.
    pub(crate) fn start(config: &DbConfig, sql: &str) -> QuerySpan {
        if !config.root_spans && !context::has_current() {
            return QuerySpan::none();
        }
        let tracer = global();
        let span = crate::analysis::with_analysis(
            sql,
            config.dialect,
            #[inline(always)]
            |analysis, memo| {
                let name = analysis
                    .summary
                    .clone()
                    .unwrap_or(Cow::Borrowed(config.system));
                let builder = tracer.span(name).kind(SpanKind::Client);
                // The tags of the connection and the statement, made once
                // and referred to; copied when no template could be kept.
                match crate::template::of(config, analysis, memo) {
                    Some(template) => builder.tag_template(template).start_carried(),
                    None => start_copying(builder, config, analysis),
                }
            },
        );
        QuerySpan {
            span,
            rows_wanted: config.rows,
            answered: false,
        }
    }

    pub(crate) fn none() -> QuerySpan {
        QuerySpan {
            span: CarriedSpan::noop(),
            rows_wanted: false,
            answered: true,
        }
    }

    /// `sql` with the span's `traceparent` appended as a comment, when
    /// `config` asks for it and there is a span. Inline, and the comment
    /// made out of line: off (the default), it is one test where it is
    /// called.
    #[inline]
    pub(crate) fn commented<'a>(
        &self,
        config: &DbConfig,
        sql: &'a str,
    ) -> std::borrow::Cow<'a, str> {
        if config.sqlcommenter && !self.span.is_noop() {
            std::borrow::Cow::Owned(with_traceparent(sql, self.span.context()))
        } else {
            std::borrow::Cow::Borrowed(sql)
        }
    }

    /// Records bound parameters as `db.query.parameter.<index>`, when
    /// the configuration asks for them: `show` gives each one's text.
    /// Inline, as [`commented`](Self::commented) is.
    #[cfg_attr(not(feature = "tokio-postgres"), allow(dead_code))]
    #[inline]
    pub(crate) fn parameters<T>(
        &mut self,
        config: &DbConfig,
        parameters: &[T],
        show: impl Fn(&T) -> String,
    ) {
        if config.parameters && self.span.is_recording() {
            record_parameters(&mut self.span, parameters, show);
        }
    }

    /// Records how long getting the connection from its pool waited
    /// (`db.client.connection.wait_time`, in seconds).
    #[cfg_attr(
        not(any(feature = "deadpool-postgres", feature = "sqlx")),
        allow(dead_code)
    )]
    pub(crate) fn waited(&mut self, waited: std::time::Duration) {
        self.span
            .set_tag("db.client.connection.wait_time", waited.as_secs_f64());
    }

    /// Records the rows a query returned.
    pub(crate) fn returned_rows(&mut self, rows: u64) {
        if self.rows_wanted {
            self.span.set_tag("db.response.returned_rows", rows);
        }
    }

    /// Records the rows a statement changed.
    pub(crate) fn affected_rows(&mut self, rows: u64) {
        if self.rows_wanted {
            self.span.set_tag("db.response.affected_rows", rows);
        }
    }

    /// The answer came (the rows, or an error recorded with `failed`).
    pub(crate) fn answered(&mut self) {
        self.answered = true;
    }

    /// Records a failure: `db.response.status_code` (when the database
    /// gave one), `error.type` and the message.
    pub(crate) fn failed(&mut self, status: Option<String>, error_type: &str, message: &str) {
        self.answered = true;
        if self.span.is_recording() {
            if let Some(status) = status {
                self.span.set_tag("db.response.status_code", status);
            }
            self.span.record_error(error_type, message);
        }
    }

    /// Whether a span is being recorded.
    pub(crate) fn is_recording(&self) -> bool {
        self.span.is_recording()
    }
}

impl Drop for QuerySpan {
    fn drop(&mut self) {
        if !self.answered {
            self.span.set_tag("cancelled", true);
        }
    }
}

/// The span of a statement whose tags could not be kept as a template:
/// the connection's and the statement's sets copied into it.
#[cold]
#[inline(never)]
fn start_copying(
    mut builder: SpanBuilder<'_>,
    config: &DbConfig,
    analysis: &crate::analysis::Analysis,
) -> CarriedSpan {
    builder
        .set_tag_set(&config.tags)
        .set_tag_set(analysis.tags(config.query_text));
    builder.start_carried()
}

/// `message` with each `"…"` and `'…'` part replaced by `?`: a database's
/// error message quotes names and values alike.
#[cfg_attr(
    not(any(feature = "tokio-postgres", feature = "sqlx")),
    allow(dead_code)
)]
pub(crate) fn unquoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote = None;
    for c in message.chars() {
        match quote {
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                out.push('?');
            }
            None => out.push(c),
        }
    }
    out
}

/// `sql` with the sqlcommenter comment that carries `context`.
#[cold]
#[inline(never)]
fn with_traceparent(sql: &str, context: SpanContext) -> String {
    let flags = if context.is_sampled() { "01" } else { "00" };
    format!(
        "{sql} /*traceparent='00-{}-{}-{flags}'*/",
        context.trace_id(),
        context.span_id()
    )
}

/// Each of `parameters` a tag of `span`, its text given by `show`.
#[cold]
#[inline(never)]
fn record_parameters<T>(span: &mut CarriedSpan, parameters: &[T], show: impl Fn(&T) -> String) {
    for (index, parameter) in parameters.iter().enumerate() {
        span.set_tag(format!("db.query.parameter.{index}"), show(parameter));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spans of `sql` under a parent, one as `config` makes it and
    /// one with no template (past the budget): both copy or refer to the
    /// same tags.
    #[test]
    fn a_span_whose_tags_could_not_be_kept_copies_the_same_tags() {
        let config = DbConfig::sqlite().namespace("shop");
        assert!(config.template.is_some());
        let without = DbConfig {
            template: None,
            ..config.clone()
        };
        let sql = "SELECT count FROM stock WHERE item = 'apple'";
        let (_, spans) = tracekit_runtime::testing::capture(|| {
            let parent = global().span("parent").start();
            let _active = parent.activate();
            for config in [&config, &without] {
                let mut span = QuerySpan::start(config, sql);
                span.answered();
            }
        });
        let query: Vec<_> = spans.iter().filter(|s| s.name != "parent").collect();
        assert_eq!(query.len(), 2);
        assert_eq!(query[0].name, "SELECT stock");
        assert_eq!(query[0].tags, query[1].tags);
        assert_eq!(query[0].tags.len(), 6, "{:?}", query[0].tags);
    }
}
