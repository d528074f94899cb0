//! The gateway: the public API, under a nested `/shop` router; it asks the
//! inventory over HTTP before it places an order.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use reqwest_middleware::ClientWithMiddleware;
use tracekit::http::ServerLayer;
use tracekit::{Tags, traced};

/// The inventory service, as the gateway reaches it over HTTP.
#[derive(Clone)]
struct InventoryClient {
    url: String,
    client: ClientWithMiddleware,
}

/// What a customer asks for: a traced function that takes one records
/// `order.item` and `order.quantity`.
#[derive(Tags)]
struct Order {
    item: String,
    quantity: u32,
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

/// Every method traced, named `InventoryClient::reserve`, ...
#[traced]
impl InventoryClient {
    async fn reserve(&self, item: &str) -> Result<u32, OrderError> {
        let response = self
            .client
            .get(format!("{}/stock/{item}", self.url))
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

    async fn place_order(&self, order: &Order) -> Result<String, OrderError> {
        let count = self.reserve(&order.item).await?;
        Ok(format!(
            "ordered {} {} ({count} in stock)",
            order.quantity, order.item
        ))
    }
}

async fn buy(
    State(inventory): State<InventoryClient>,
    Path(item): Path<String>,
) -> Result<String, (StatusCode, String)> {
    let order = Order { item, quantity: 1 };
    inventory
        .place_order(&order)
        .await
        .map_err(|error| (StatusCode::BAD_GATEWAY, error.to_string()))
}

pub fn app(inventory_url: String) -> Router {
    let client = crate::service::traced_client();
    let inventory = InventoryClient {
        url: inventory_url,
        client,
    };
    let shop = Router::new()
        .route("/buy/{item}", get(buy))
        .with_state(inventory);
    Router::new().nest("/shop", shop).layer(ServerLayer::new())
}
