//! The span of one command or pipeline.

use tracekit_runtime::{CarriedSpan, SpanKind, context, global};

use crate::command::{Described, describe};
use crate::config::RedisConfig;

/// The span of a command or a pipeline; marked cancelled when dropped
/// before its answer (an async command whose future was dropped).
pub(crate) struct CommandSpan {
    span: Option<CarriedSpan>,
    answered: bool,
}

impl CommandSpan {
    /// Starts the span of the commands `commands` (one, or a pipeline's),
    /// sent to database `db`.
    pub(crate) fn start<'a, C, A>(config: &RedisConfig, db: i64, commands: C) -> CommandSpan
    where
        C: IntoIterator<Item = A>,
        A: Iterator<Item = &'a [u8]>,
    {
        if !config.root_spans && !context::has_current() {
            return CommandSpan::none();
        }
        let described: Vec<Described> = commands
            .into_iter()
            .map(describe)
            // A transaction's wrapping is not one of its commands.
            .filter(|d| d.operation != "MULTI" && d.operation != "EXEC")
            .collect();
        let operation = match described.as_slice() {
            [one] => one.operation.clone(),
            [first, rest @ ..] if rest.iter().all(|d| d.operation == first.operation) => {
                format!("BATCH {}", first.operation)
            }
            _ => "BATCH".to_owned(),
        };
        let tracer = global();
        let mut builder = tracer.span(operation.clone()).kind(SpanKind::Client);
        builder
            .set_tag("db.system.name", "redis")
            .set_tag("db.namespace", db.to_string())
            .set_tag("db.operation.name", operation);
        if let Some((address, port)) = &config.server {
            builder
                .set_tag("server.address", address.clone())
                .set_tag("server.port", i64::from(*port));
        }
        if described.len() > 1 {
            builder.set_tag("db.operation.batch.size", described.len() as i64);
        }
        if config.query_text {
            let text: Vec<&str> = described.iter().map(|d| d.text.as_str()).collect();
            builder.set_tag("db.query.text", text.join("; "));
        }
        CommandSpan {
            span: Some(builder.start_carried()).filter(|span| !span.is_noop()),
            answered: false,
        }
    }

    fn none() -> CommandSpan {
        CommandSpan {
            span: None,
            answered: true,
        }
    }

    /// The answer came: the span ends with it (its error, if any: a
    /// failure to send or read, or an error reply).
    pub(crate) fn answered(&mut self, result: Result<&redis::Value, &redis::RedisError>) {
        self.answered_all(result.map(std::slice::from_ref));
    }

    /// A pipeline's answers: an error among them marks the span.
    pub(crate) fn answered_all(&mut self, result: Result<&[redis::Value], &redis::RedisError>) {
        self.answered = true;
        let Some(span) = &mut self.span else {
            return;
        };
        let error = match result {
            Ok(values) => match values.iter().find_map(|value| match value {
                redis::Value::ServerError(error) => Some(error.clone()),
                _ => None,
            }) {
                Some(error) => redis::RedisError::from(error),
                None => return,
            },
            Err(error) => error.clone(),
        };
        let code = error.code().map(str::to_owned);
        let kind = code.clone().unwrap_or_else(|| error.category().to_owned());
        if let Some(code) = code {
            span.set_tag("db.response.status_code", code);
        }
        span.record_error(&kind, &message(&error.to_string()));
    }
}

impl Drop for CommandSpan {
    fn drop(&mut self) {
        if !self.answered
            && let Some(span) = &mut self.span
        {
            span.set_tag("cancelled", true);
        }
    }
}

/// An error's text without what Redis echoes of the command: `ERR
/// unknown command 'x', with args beginning with: 'secret'`.
fn message(text: &str) -> String {
    match text.find(", with args beginning with") {
        Some(at) => text[..at].to_owned(),
        None => text.to_owned(),
    }
}
