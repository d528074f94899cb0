#![deny(warnings)]

use tracekit::traced;

use tracekit::{Call, Hooks, SpanContext, SpanRef};

struct SqlHooks;

impl Hooks for SqlHooks {
    fn before_call(&self, span: &SpanRef, _call: &Call<'_>) {
        span.set_tag("hooked", true);
    }
}

static STATIC_HOOKS: SqlHooks = SqlHooks;

#[derive(Debug)]
struct Query {
    sql: String,
}

#[traced(name = "db.query", kind = client, skip(password), ret, err = false,
         tags(db.system = "postgresql", query = ?query, sql = %query.sql, rows = rows.len(), "db.name" = "shop"),
         hooks = SqlHooks)]
async fn query(query: &Query, rows: &[u32], password: &str) -> Result<usize, String> {
    let _ = password;
    Ok(rows.len())
}

#[traced(skip_all, root, hooks = STATIC_HOOKS)]
fn detached(id: u64) -> u64 {
    id
}

#[traced(args(id), child_of = parent, follows_from = cause, kind = server)]
fn handle(id: u64, body: &str, parent: Option<&SpanContext>, cause: &Option<SpanContext>) -> usize {
    let _ = (parent, cause);
    id as usize + body.len()
}

#[traced(kind = producer)]
fn publish() {}

#[traced(kind = consumer, name = "consume message")]
fn consume() {}

#[traced(kind = internal, err = true)]
fn internal() -> Result<(), String> {
    Ok(())
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn main() {
    let query_value = Query { sql: "SELECT 1".into() };
    assert_eq!(block_on(query(&query_value, &[1, 2], "pw")), Ok(2));
    assert_eq!(detached(3), 3);
    assert_eq!(handle(1, "ab", None, &None), 3);
    publish();
    consume();
    internal().unwrap();
}
