//! The main job: a traced service (an impl block, a derived argument type,
//! a secret), async work over tokio tasks, a call failing with an `Err`
//! and one panicking inside a caller that catches it — printed to the
//! console as trace trees.
//!
//! Run it with `cargo run --example quickstart`.

use std::fmt;
use std::time::Duration;

use tracekit::{Secret, Tags, traced};

#[derive(Debug)]
struct PaymentError {
    code: u16,
}

impl fmt::Display for PaymentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "card declined (code {})", self.code)
    }
}

/// Who is buying: a traced function that takes one records `user.id` and
/// `user.tier` (never the e-mail address).
#[derive(Tags)]
struct User {
    id: u64,
    tier: &'static str,
    #[tags(skip)]
    email: String,
}

/// The checkout service: one attribute traces every method, each span
/// named `Checkout::method`.
struct Checkout {
    provider: &'static str,
}

#[traced]
impl Checkout {
    fn load_cart(&self, user: &User) -> Vec<u32> {
        std::thread::sleep(Duration::from_millis(2));
        vec![1200, 300, user.id as u32]
    }

    // A method's own options refine the block's. The card is a `Secret`:
    // recorded as "[redacted]", whatever the options say.
    #[traced(kind = client, tags(payment.provider = self.provider))]
    fn charge(&self, amount: u32, card: &Secret<String>) -> Result<String, PaymentError> {
        std::thread::sleep(Duration::from_millis(3));
        if amount > 2_000 || card.is_empty() {
            return Err(PaymentError { code: 51 });
        }
        Ok(format!("receipt-{amount}"))
    }

    fn checkout(&self, user: &User, card: &Secret<String>) -> Result<String, PaymentError> {
        let cart = self.load_cart(user);
        let total: u32 = cart.iter().sum();
        self.charge(total, card)
    }
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
    let shop = Checkout {
        provider: "acme-pay",
    };
    let card = Secret::new(String::from("4242 4242 4242 4242"));
    let ada = User {
        id: 1,
        tier: "gold",
        email: "ada@example.org".into(),
    };
    let bob = User {
        id: 2_000,
        tier: "basic",
        email: "bob@example.org".into(),
    };
    let _ = shop.checkout(&ada, &card);
    let _ = shop.checkout(&bob, &card);
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
