//! The main job: a few traced functions — sync, async, one failing with an
//! `Err`, one panicking inside a caller that catches it — printed to the
//! console as trace trees.
//!
//! Run it with `cargo run --example quickstart`.

use std::fmt;
use std::time::Duration;

use tracekit::traced;

#[derive(Debug)]
struct PaymentError {
    code: u16,
}

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "card declined (code {})", self.code)
    }
}

#[traced]
fn load_cart(user_id: u64) -> Vec<u32> {
    std::thread::sleep(Duration::from_millis(2));
    vec![1200, 300, user_id as u32]
}

#[traced(kind = client, tags(payment.provider = "acme-pay"))]
fn charge(amount: u32, card_token: &str) -> Result<String, PaymentError> {
    std::thread::sleep(Duration::from_millis(3));
    if amount > 2_000 {
        return Err(PaymentError { code: 51 });
    }
    Ok(format!("receipt-{amount}"))
}

#[traced]
fn checkout(user_id: u64) -> Result<String, PaymentError> {
    let cart = load_cart(user_id);
    let total: u32 = cart.iter().sum();
    charge(total, "tok_visa_4242")
}

#[traced(kind = client, name = "inventory.lookup")]
async fn stock_level(sku: &str) -> u32 {
    tokio::time::sleep(Duration::from_millis(2)).await;
    sku.len() as u32 * 10
}

#[traced]
async fn restock(skus: Vec<&'static str>) -> u32 {
    // Each lookup is spawned on the runtime, yet stays a child of `restock`.
    let lookups: Vec<_> = skus
        .into_iter()
        .map(|sku| tokio::spawn(stock_level(sku)))
        .collect();
    let mut total = 0;
    for lookup in lookups {
        total += lookup.await.unwrap_or(0);
    }
    total
}

#[traced]
fn parse_quantity(text: &str) -> u32 {
    text.parse().expect("quantity must be a number")
}

#[traced]
fn import_order(line: &str) -> Option<u32> {
    // The panic is recorded on both spans, then caught here.
    std::panic::catch_unwind(|| parse_quantity(line)).ok()
}

fn main() {
    let tracer = tracekit::Tracer::builder()
        .service_name("quickstart")
        .install();
    // Keep the demo's expected panic from printing its own report.
    std::panic::set_hook(Box::new(|_| {}));

    println!("# a successful checkout, then one whose payment fails\n");
    let _ = checkout(1);
    let _ = checkout(2_000);
    // Export runs on a background thread in batches; flush shows it now.
    let _ = tracer.flush();

    println!("\n# async work spread over tokio tasks\n");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(restock(vec!["apple", "kiwi", "banana"]));
    let _ = tracer.flush();

    println!("\n# a panic caught by the caller\n");
    let _ = import_order("three");
    // `tracer` (the guard) flushes when it drops here.
}
