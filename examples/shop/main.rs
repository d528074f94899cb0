//! The main job: two services on loopback, traced end to end.
//!
//! `cargo run --example shop` starts an inventory service and a gateway
//! that calls it over HTTP (each its own process, as in production), sends
//! them a handful of requests, stops them with SIGTERM, and prints each
//! trace as a tree: one trace spans the driver, the gateway and the
//! inventory. On the way:
//! - every incoming request gets a server span ([`tracekit::http::ServerLayer`]),
//!   named by its route, continuing the caller's trace;
//! - every outgoing request a client span, its context in the headers
//!   (`reqwest` with [`tracekit::http::TracingMiddleware`]);
//! - `#[traced]` business functions are children of their request's span:
//!   in the gateway a whole traced impl block (`InventoryClient::*`) whose
//!   `Order` argument, a `#[derive(Tags)]` type, records `order.item` and
//!   `order.quantity`;
//! - the inventory keeps its stock in SQLite, through the traced client
//!   (`tracekit::sql::rusqlite::Connection`): each statement a request
//!   runs is a client span (`SELECT stock`), the schema and data created
//!   at start make none (no request is active then). With
//!   `SHOP_POSTGRES_URL` (a tokio-postgres connection string) it keeps it
//!   in PostgreSQL through the traced deadpool pool, and with
//!   `SHOP_REDIS_URL` it caches the counts in Redis through the traced
//!   connection (`GET`, `SETEX` spans beside the query's);
//! - the inventory's requests also pass tower-http's `TraceLayer`, whose
//!   spans are made with `tracing`: the `tracing` bridge
//!   (`tracekit_tracing::layer()`) puts them in the same traces, between
//!   the server span and the handler's; `tracing` events are logs of the
//!   spans they happen in, and each service's log lines carry the ids of
//!   their span (`tracekit_tracing::fmt::TraceIds`), printed at the end;
//! - one slow path (a real slow query), one failing path (a 500 in the
//!   inventory, a 502 in the gateway), one nested router, baggage from the
//!   driver to the inventory;
//! - each service stops gracefully on SIGTERM and flushes its spans to a
//!   JSON-lines file the three processes share, which the driver then
//!   reads and prints;
//! - with `-- --view`, the three processes also send their spans over
//!   OTLP/HTTP to tracekit-view, which the driver starts in-process and
//!   whose address it prints (`-- --view=http://127.0.0.1:4318` sends
//!   them to one already running).

mod driver;
mod gateway;
mod inventory;
mod service;
mod tree;

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("inventory") => service::run("inventory", inventory::app()),
        Some("gateway") => {
            let inventory =
                std::env::var("INVENTORY_URL").expect("INVENTORY_URL, set by the driver");
            service::run("gateway", gateway::app(inventory));
        }
        // `--view`: the traces also in tracekit-view, started here;
        // `--view=http://127.0.0.1:4318`: in one already running.
        Some(view) if view.starts_with("--view") => driver::run(Some(
            view.trim_start_matches("--view")
                .trim_start_matches('=')
                .to_owned(),
        )),
        _ => driver::run(None),
    }
}
