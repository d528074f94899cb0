//! What a traced client records, set where the client is built.

use std::borrow::Cow;

use tracekit_runtime::{TagSet, TagValue};

use crate::intern::intern;
use crate::lexer::Dialect;

/// How a traced database client records its statements. Each client
/// starts from its own defaults (`DbConfig::sqlite()`, ...); every
/// setting has a method.
///
/// ```
/// use tracekit_sql::DbConfig;
///
/// let config = DbConfig::sqlite()
///     .namespace("inventory")
///     .record_rows(true)
///     .root_spans(true);
/// assert_eq!(config.system(), "sqlite");
/// ```
#[derive(Clone, Debug)]
pub struct DbConfig {
    pub(crate) system: &'static str,
    pub(crate) dialect: Dialect,
    pub(crate) namespace: Option<Cow<'static, str>>,
    pub(crate) server: Option<(Cow<'static, str>, u16)>,
    pub(crate) query_text: bool,
    pub(crate) rows: bool,
    pub(crate) parameters: bool,
    pub(crate) root_spans: bool,
    pub(crate) sqlcommenter: bool,
    /// The span's tags of the connection (`db.system.name`,
    /// `db.namespace`, `server.address`, `server.port`), made again when
    /// one of them is set.
    pub(crate) tags: TagSet,
    /// The same tags kept for the process (see `template.rs`): the same
    /// address for every connection with the same tags; `None` past the
    /// budget.
    pub(crate) template: Option<&'static TagSet>,
}

impl DbConfig {
    fn new(system: &'static str, dialect: Dialect) -> DbConfig {
        DbConfig {
            system,
            dialect,
            namespace: None,
            server: None,
            query_text: true,
            rows: false,
            parameters: false,
            root_spans: false,
            sqlcommenter: false,
            tags: TagSet::default(),
            template: None,
        }
        .with_tags()
    }

    /// The configuration with its connection's tags made anew.
    fn with_tags(mut self) -> DbConfig {
        let mut tags: Vec<(&'static str, TagValue)> = vec![("db.system.name", self.system.into())];
        if let Some(namespace) = &self.namespace {
            tags.push(("db.namespace", namespace.clone().into()));
        }
        if let Some((address, port)) = &self.server {
            tags.push(("server.address", address.clone().into()));
            tags.push(("server.port", i64::from(*port).into()));
        }
        self.tags = TagSet::new(tags);
        self.template = crate::template::kept(self.tags.clone());
        self
    }

    /// SQLite (`db.system.name = "sqlite"`).
    pub fn sqlite() -> DbConfig {
        DbConfig::new("sqlite", Dialect::Sqlite)
    }

    /// PostgreSQL (`db.system.name = "postgresql"`).
    pub fn postgres() -> DbConfig {
        DbConfig::new("postgresql", Dialect::Postgres)
    }

    /// MySQL (`db.system.name = "mysql"`).
    pub fn mysql() -> DbConfig {
        DbConfig::new("mysql", Dialect::MySql)
    }

    /// MariaDB (`db.system.name = "mariadb"`), read as MySQL.
    pub fn mariadb() -> DbConfig {
        DbConfig::new("mariadb", Dialect::MySql)
    }

    /// `db.system.name`.
    pub fn system(&self) -> &'static str {
        self.system
    }

    /// The dialect statements are read in.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// `db.namespace`: the database (or file) the statements run in.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(intern(&namespace.into()));
        self.with_tags()
    }

    /// `server.address` and `server.port`.
    pub fn server(mut self, address: impl Into<String>, port: u16) -> Self {
        self.server = Some((intern(&address.into()), port));
        self.with_tags()
    }

    /// Records `db.query.text`, the statement without its values (on by
    /// default; see [`sanitize`](fn@crate::sanitize)). Values are never
    /// recorded as written.
    pub fn query_text(mut self, record: bool) -> Self {
        self.query_text = record;
        self
    }

    /// Records the number of rows a query returned
    /// (`db.response.returned_rows`) or a statement changed
    /// (`db.response.affected_rows`). Off by default.
    pub fn record_rows(mut self, record: bool) -> Self {
        self.rows = record;
        self
    }

    /// Records the bound parameters of a statement, as
    /// `db.query.parameter.<index>` (their `Debug` text, cut to the
    /// tracer's limit). Off by default: parameters are the values a
    /// sanitized text leaves out. Positional parameters have no name for
    /// the secret-name policy to match, so turn on
    /// [`TracerBuilder::scrub_values`](tracekit_runtime::TracerBuilder::scrub_values)
    /// with this (tokens, card numbers and e-mail addresses are then
    /// replaced before export). Clients that do not show their
    /// parameters (rusqlite) record none.
    pub fn record_parameters(mut self, record: bool) -> Self {
        self.parameters = record;
        self
    }

    /// Makes a span for a statement sent with no active span, the root of
    /// a trace of its own (off by default: such traces drown the ones of
    /// requests).
    pub fn root_spans(mut self, on: bool) -> Self {
        self.root_spans = on;
        self
    }

    /// Appends the span's `traceparent` to each statement as a comment, in
    /// the sqlcommenter format (`/*traceparent='00-..-..-01'*/`), so the
    /// database's own logs can be joined to the trace. Off by default: the
    /// text then differs at each call, which defeats statement caches.
    pub fn sqlcommenter(mut self, on: bool) -> Self {
        self.sqlcommenter = on;
        self
    }
}
