//! `crate = path`: a crate that re-exports tracekit under another name
//! points the attribute at it, and the calls are traced as usual. (This
//! test crate has `tracekit` too, so these would pass if the path were
//! ignored; `ui-tests/fail/crate_path_not_found.rs` shows it is used.)

mod sdk {
    pub use tracekit as kit;
}

use tracekit::{TagValue, testing};

#[sdk::kit::traced(crate = sdk::kit, ret, tags(via = "sdk"))]
fn quote(item: &str, quantity: u32) -> u64 {
    u64::from(quantity) * item.len() as u64
}

#[sdk::kit::traced(crate = crate::sdk::kit)]
async fn later(quantity: u32) -> u32 {
    quantity
}

#[test]
fn a_function_traced_through_a_re_export_records_as_usual() {
    let (total, spans) = testing::capture(|| quote("pear", 3));
    assert_eq!(total, 12);
    let span = &spans[0];
    assert_eq!(span.name, "quote");
    assert_eq!(span.tag("item"), Some(&TagValue::from("pear")));
    assert_eq!(span.tag("quantity"), Some(&TagValue::I64(3)));
    assert_eq!(span.tag("via"), Some(&TagValue::from("sdk")));
    assert_eq!(span.tag("return"), Some(&TagValue::I64(12)));
}

#[tokio::test]
async fn an_async_function_traced_through_a_re_export_records_as_usual() {
    let (out, spans) = testing::capture_async(async { later(5).await }).await;
    assert_eq!(out, 5);
    assert_eq!(spans[0].name, "later");
    assert_eq!(spans[0].tag("quantity"), Some(&TagValue::I64(5)));
}

#[derive(sdk::kit::Tags)]
#[tags(crate = sdk::kit)]
struct Basket {
    fruit: &'static str,
    count: u32,
}

#[sdk::kit::traced(crate = sdk::kit)]
fn weigh(basket: &Basket) -> u32 {
    basket.count
}

#[test]
fn a_type_derived_through_a_re_export_records_as_usual() {
    let basket = Basket {
        fruit: "pear",
        count: 2,
    };
    let (_, spans) = testing::capture(|| weigh(&basket));
    assert_eq!(spans[0].tag("basket.fruit"), Some(&TagValue::from("pear")));
    assert_eq!(spans[0].tag("basket.count"), Some(&TagValue::I64(2)));
}
