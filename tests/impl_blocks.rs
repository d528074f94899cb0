//! `#[traced]` on an `impl` block: every method is traced, named
//! `Type::method`, with the block's options under each method's own.

use std::fmt::Display;

use tracekit::{SpanKind, TagValue, testing, traced};

struct Inventory<T> {
    stock: Vec<T>,
}

#[derive(Debug)]
struct OutOfStock;

impl Display for OutOfStock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("out of stock")
    }
}

#[traced(kind = client, tags(component = "inventory"))]
impl<T> Inventory<T>
where
    T: Clone + PartialEq,
{
    const LIMIT: usize = 10;

    pub fn new(stock: Vec<T>) -> Self {
        Inventory { stock }
    }

    pub fn reserve(&self, item: &T, quantity: u32) -> Result<u32, OutOfStock> {
        if self.stock.contains(item) {
            Ok(quantity)
        } else {
            Err(OutOfStock)
        }
    }

    #[traced(kind = internal, name = "inventory.count", tags(component = "counting"))]
    pub fn count(&self) -> usize {
        self.stock.len().min(Self::LIMIT)
    }

    #[traced(skip)]
    pub fn untraced(&self) -> usize {
        self.stock.len()
    }

    pub async fn restock(&mut self, item: T) -> usize {
        self.stock.push(item);
        self.stock.len()
    }

    pub const fn limit() -> usize {
        Self::LIMIT
    }

    fn private_helper(&self) -> bool {
        self.stock.is_empty()
    }
}

#[test]
fn every_method_is_traced_and_named_after_the_type() {
    let (_, spans) = testing::capture(|| {
        let inventory = Inventory::new(vec!["pear"]);
        inventory.reserve(&"pear", 2).ok();
        inventory.reserve(&"kiwi", 1).ok();
        let _ = inventory.private_helper();
    });
    let names: Vec<&str> = spans.iter().map(|span| &*span.name).collect();
    assert_eq!(
        names,
        [
            "Inventory::new",
            "Inventory::reserve",
            "Inventory::reserve",
            "Inventory::private_helper"
        ]
    );
    for span in &spans {
        assert_eq!(span.kind, SpanKind::Client, "the block's kind");
        assert_eq!(span.tag("component"), Some(&TagValue::from("inventory")));
    }
    assert_eq!(spans[1].tag("quantity"), Some(&TagValue::I64(2)));
    assert_eq!(spans[2].tag("error"), Some(&TagValue::Bool(true)));
}

#[test]
fn a_methods_own_options_win_and_skip_leaves_it_untraced() {
    let (_, spans) = testing::capture(|| {
        let inventory = Inventory::new(vec![1, 2, 3]);
        assert_eq!(inventory.count(), 3);
        assert_eq!(inventory.untraced(), 3);
        assert_eq!(Inventory::<u8>::limit(), 10);
    });
    let names: Vec<&str> = spans.iter().map(|span| &*span.name).collect();
    assert_eq!(
        names,
        ["Inventory::new", "inventory.count"],
        "const fn and skip untraced"
    );
    let count = &spans[1];
    assert_eq!(count.kind, SpanKind::Internal);
    assert_eq!(count.tag("component"), Some(&TagValue::from("counting")));
}

#[tokio::test]
async fn async_methods_are_traced_across_await() {
    let (len, spans) = testing::capture_async(async {
        let mut inventory = Inventory::new(vec!["pear"]);
        inventory.restock("fig").await
    })
    .await;
    assert_eq!(len, 2);
    let restock = spans.iter().find(|span| span.name == "Inventory::restock");
    assert!(restock.is_some(), "{spans:#?}");
}

trait Shelf {
    fn label(&self) -> String;
    fn weight(&self) -> u32 {
        1
    }
}

struct Crate;

#[traced(name = "storage.{type}.{method}")]
impl Shelf for Crate {
    fn label(&self) -> String {
        "crate".to_owned()
    }
}

#[test]
fn a_trait_impl_is_named_after_the_type_and_a_name_format_applies() {
    let (_, spans) = testing::capture(|| {
        assert_eq!(Crate.label(), "crate");
        assert_eq!(Crate.weight(), 1, "a provided method is not in the impl");
    });
    let names: Vec<&str> = spans.iter().map(|span| &*span.name).collect();
    assert_eq!(names, ["storage.Crate.label"]);
}

struct Ledger;

#[traced(pub_only, skip_methods(audit), name = "ledger")]
impl Ledger {
    pub fn post(&self, amount: i64) -> i64 {
        self.check(amount)
    }

    pub fn audit(&self) -> bool {
        true
    }

    fn check(&self, amount: i64) -> i64 {
        amount
    }
}

#[test]
fn pub_only_and_skip_methods_leave_methods_out_and_a_prefix_names_the_rest() {
    let (_, spans) = testing::capture(|| {
        assert_eq!(Ledger.post(5), 5);
        assert!(Ledger.audit());
    });
    let names: Vec<&str> = spans.iter().map(|span| &*span.name).collect();
    assert_eq!(names, ["ledger::post"]);
}

struct Client;

#[traced(kind = client)]
#[async_trait::async_trait]
impl Fetch for Client {
    async fn fetch(&self, id: u32) -> u32 {
        id
    }
}

struct Server;

#[async_trait::async_trait]
#[traced(kind = server)]
impl Fetch for Server {
    async fn fetch(&self, id: u32) -> u32 {
        id + 1
    }
}

#[async_trait::async_trait]
trait Fetch {
    async fn fetch(&self, id: u32) -> u32;
}

#[tokio::test]
async fn async_trait_impls_are_traced_whatever_the_order_of_the_attributes() {
    let (sum, spans) =
        testing::capture_async(async { Client.fetch(1).await + Server.fetch(1).await }).await;
    assert_eq!(sum, 3);
    let kinds: Vec<(&str, SpanKind)> = spans.iter().map(|span| (&*span.name, span.kind)).collect();
    assert!(
        kinds.contains(&("Client::fetch", SpanKind::Client)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("Server::fetch", SpanKind::Server)),
        "{kinds:?}"
    );
    let fetched = spans
        .iter()
        .find(|span| span.name == "Client::fetch")
        .expect("traced");
    assert_eq!(fetched.tag("id"), Some(&TagValue::I64(1)));
}

/// An inline module traced as a whole: its functions, its impl blocks and
/// the modules inside it.
#[traced(kind = internal, tags(area = "billing"), skip_methods(helper))]
mod billing {
    pub fn invoice(total: u64) -> u64 {
        helper(total) + Account.settle()
    }

    pub fn helper(total: u64) -> u64 {
        total
    }

    pub struct Account;

    impl Account {
        pub fn settle(&self) -> u64 {
            tax::rate()
        }
    }

    pub mod tax {
        pub fn rate() -> u64 {
            1
        }

        #[tracekit::traced(skip)]
        pub fn quiet() {}
    }

    pub trait Printer {
        fn print(&self) -> String {
            "printed".to_owned()
        }
    }

    impl Printer for Account {}
}

#[test]
fn a_traced_module_traces_its_functions_impl_blocks_and_inner_modules() {
    use billing::Printer;
    let (total, spans) = testing::capture(|| {
        billing::tax::quiet();
        let printed = billing::Account.print();
        assert_eq!(printed, "printed");
        billing::invoice(10)
    });
    assert_eq!(total, 11);
    let names: Vec<&str> = spans.iter().map(|span| &*span.name).collect();
    assert_eq!(
        names,
        ["rate", "Account::settle", "invoice"],
        "helper and quiet skipped, a provided trait method not traced"
    );
    for span in &spans {
        assert_eq!(span.tag("area"), Some(&TagValue::from("billing")));
    }
    assert_eq!(spans[2].tag("total"), Some(&TagValue::I64(10)));
}
