//! The gateway: the public API, under a nested `/shop` router; it asks the
//! inventory over HTTP before it places an order.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use reqwest_middleware::ClientWithMiddleware;
use tracekit::http::ServerLayer;
use tracekit::traced;

#[derive(Clone)]
struct Inventory {
    url: String,
    client: ClientWithMiddleware,
}

#[derive(Debug)]
pub enum OrderError {
    Unavailable(String),
    Unreachable(String),
}

impl std::fmt::Display for OrderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrderError::Unavailable(why) => write!(f, "the inventory refused: {why}"),
            OrderError::Unreachable(why) => write!(f, "the inventory is unreachable: {why}"),
        }
    }
}

#[traced(skip(inventory))]
async fn reserve(inventory: &Inventory, item: &str) -> Result<u32, OrderError> {
    let response = inventory
        .client
        .get(format!("{}/stock/{item}", inventory.url))
        .send()
        .await
        .map_err(|error| OrderError::Unreachable(error.to_string()))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|error| OrderError::Unreachable(error.to_string()))?;
    if !status.is_success() {
        return Err(OrderError::Unavailable(body));
    }
    body.parse().map_err(|_| OrderError::Unavailable(body))
}

#[traced(skip(inventory))]
async fn place_order(inventory: &Inventory, item: String) -> Result<String, OrderError> {
    let count = reserve(inventory, &item).await?;
    Ok(format!("ordered 1 {item} ({count} in stock)"))
}

async fn buy(
    State(inventory): State<Inventory>,
    Path(item): Path<String>,
) -> Result<String, (StatusCode, String)> {
    place_order(&inventory, item)
        .await
        .map_err(|error| (StatusCode::BAD_GATEWAY, error.to_string()))
}

pub fn app(inventory_url: String) -> Router {
    let client = crate::service::traced_client();
    let inventory = Inventory {
        url: inventory_url,
        client,
    };
    let shop = Router::new()
        .route("/buy/{item}", get(buy))
        .with_state(inventory);
    Router::new().nest("/shop", shop).layer(ServerLayer::new())
}
