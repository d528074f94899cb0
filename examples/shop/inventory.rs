//! The inventory service: stock levels, one of them slow to compute and
//! one failing, and an admin router nested under `/admin`.

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use tracekit::http::ServerLayer;
use tracekit::traced;

#[derive(Debug)]
pub struct OutOfStock(String);

impl std::fmt::Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "no {} left in any warehouse", self.0)
    }
}

#[traced(kind = client, name = "db.query", tags(db.system = "sqlite"))]
async fn query_stock(item: &str) -> u32 {
    // Durians are counted by hand: the slow path.
    let pause = if item == "durian" { 300 } else { 5 };
    tokio::time::sleep(Duration::from_millis(pause)).await;
    item.len() as u32
}

#[traced]
async fn check_stock(item: String) -> Result<u32, OutOfStock> {
    if item == "kiwi" {
        return Err(OutOfStock(item));
    }
    let count = query_stock(&item).await;
    tracekit::with_active_span(|span| {
        if let Some(customer) = span.baggage_item("customer") {
            span.set_tag("customer", customer);
        }
    });
    Ok(count)
}

async fn stock(Path(item): Path<String>) -> Result<String, (StatusCode, String)> {
    check_stock(item)
        .await
        .map(|count| count.to_string())
        .map_err(|error| (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()))
}

#[traced]
fn audit_entry(item: &str) -> String {
    format!("{item}: counted yesterday")
}

pub fn app() -> Router {
    let admin = Router::new().route(
        "/audit/{item}",
        get(|Path(item): Path<String>| async move { audit_entry(&item) }),
    );
    Router::new()
        .route("/stock/{item}", get(stock))
        .nest("/admin", admin)
        .layer(ServerLayer::new())
}
