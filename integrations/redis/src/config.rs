//! What a traced Redis connection records, set where it is built.

use std::borrow::Cow;

/// How a traced Redis connection records its commands.
///
/// ```
/// use tracekit_redis::RedisConfig;
///
/// let config = RedisConfig::new().server("127.0.0.1", 6379).root_spans(true);
/// # drop(config);
/// ```
#[derive(Clone, Debug, Default)]
pub struct RedisConfig {
    pub(crate) server: Option<(Cow<'static, str>, u16)>,
    pub(crate) query_text: bool,
    pub(crate) root_spans: bool,
}

impl RedisConfig {
    /// The defaults: the command text recorded (without values), spans
    /// only under an active span.
    pub fn new() -> RedisConfig {
        RedisConfig {
            server: None,
            query_text: true,
            root_spans: false,
        }
    }

    /// `server.address` and `server.port`.
    pub fn server(mut self, address: impl Into<Cow<'static, str>>, port: u16) -> Self {
        self.server = Some((address.into(), port));
        self
    }

    /// Records `db.query.text`: the command and its key's pattern, every
    /// value as `?` (`SET user:?:email ?`). On by default.
    pub fn query_text(mut self, record: bool) -> Self {
        self.query_text = record;
        self
    }

    /// Makes a span for a command sent with no active span, the root of a
    /// trace of its own (off by default: a cache call with no parent
    /// would start a trace per call).
    pub fn root_spans(mut self, on: bool) -> Self {
        self.root_spans = on;
        self
    }
}
