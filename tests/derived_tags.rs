//! `#[derive(Tags)]` and `set_tags`: a value recorded as one tag per field,
//! named `name.field`.
#![allow(dead_code)] // fields read only by the derived impls

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tracekit::{MAX_TAG_DEPTH, Secret, SpanRecord, TagValue, TagWriter, Tags, testing, traced};

fn only(spans: Vec<SpanRecord>) -> SpanRecord {
    assert_eq!(spans.len(), 1, "{spans:?}");
    spans.into_iter().next().unwrap()
}

fn text(value: &str) -> Option<&'static TagValue> {
    Some(Box::leak(Box::new(TagValue::from(value.to_owned()))))
}

#[derive(Tags)]
struct Customer {
    id: u64,
    tier: &'static str,
}

#[derive(Tags)]
struct Order {
    id: u64,
    total_cents: i64,
    express: bool,
    customer: Customer,
    #[tags(skip)]
    internal_note: String,
    #[tags(rename = "lines")]
    line_count: usize,
}

fn order() -> Order {
    Order {
        id: 7,
        total_cents: -250,
        express: true,
        customer: Customer {
            id: 42,
            tier: "gold",
        },
        internal_note: "do not record".into(),
        line_count: 3,
    }
}

#[traced]
fn place(order: &Order, attempt: u32) {}

#[test]
fn a_derived_struct_argument_is_one_typed_tag_per_field_nested_with_dots() {
    let span = only(testing::capture(|| place(&order(), 1)).1);
    assert_eq!(span.tag("order.id"), Some(&TagValue::I64(7)));
    assert_eq!(span.tag("order.total_cents"), Some(&TagValue::I64(-250)));
    assert_eq!(span.tag("order.express"), Some(&TagValue::Bool(true)));
    assert_eq!(span.tag("order.customer.id"), Some(&TagValue::I64(42)));
    assert_eq!(span.tag("order.customer.tier"), text("gold"));
    assert_eq!(span.tag("order.lines"), Some(&TagValue::I64(3)));
    assert_eq!(span.tag("order.internal_note"), None);
    assert_eq!(span.tag("order.line_count"), None);
    assert_eq!(span.tag("attempt"), Some(&TagValue::I64(1)));
    assert_eq!(span.tags.len(), 7, "{:?}", span.tags);
}

#[derive(Tags)]
struct Point(i32, i32);

#[derive(Tags)]
struct UserId(#[tags(flatten)] u64);

#[derive(Tags)]
enum Payment {
    Cash,
    Card {
        last4: &'static str,
        #[tags(redact)]
        number: String,
    },
    #[tags(rename = "voucher")]
    Gift(u32),
}

#[traced]
fn shapes(point: Point, user: UserId, first: Payment, second: Payment, third: Payment) {}

#[test]
fn tuple_structs_newtypes_and_enums_name_their_tags_by_position_and_variant() {
    let span = only(
        testing::capture(|| {
            shapes(
                Point(-1, 2),
                UserId(9),
                Payment::Cash,
                Payment::Card {
                    last4: "4242",
                    number: "4242424242424242".into(),
                },
                Payment::Gift(50),
            )
        })
        .1,
    );
    assert_eq!(span.tag("point.0"), Some(&TagValue::I64(-1)));
    assert_eq!(span.tag("point.1"), Some(&TagValue::I64(2)));
    assert_eq!(span.tag("user"), Some(&TagValue::I64(9)));
    assert_eq!(span.tag("first"), text("Cash"));
    assert_eq!(span.tag("second"), text("Card"));
    assert_eq!(span.tag("second.last4"), text("4242"));
    assert_eq!(span.tag("second.number"), text("[redacted]"));
    assert_eq!(span.tag("third"), text("voucher"));
    assert_eq!(span.tag("third.0"), Some(&TagValue::I64(50)));
}

#[derive(Debug)]
struct Region {
    code: u8,
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "region-{}", self.code)
    }
}

#[derive(Tags)]
#[tags(prefix = "shipment")]
struct Shipment {
    #[tags(debug)]
    origin: Region,
    #[tags(display)]
    destination: Region,
    #[tags(flatten)]
    carrier: Carrier,
    weight: Option<f64>,
    tracking: Option<String>,
    boxed: Box<Customer>,
    shared: Arc<Customer>,
    pin: Secret<u32>,
}

#[derive(Tags)]
struct Carrier {
    carrier_name: String,
}

#[traced]
fn ship(parcel: Shipment) {}

#[test]
fn field_options_container_prefix_and_holders_of_one_value() {
    let parcel = Shipment {
        origin: Region { code: 1 },
        destination: Region { code: 2 },
        carrier: Carrier {
            carrier_name: "post".into(),
        },
        weight: Some(1.5),
        tracking: None,
        boxed: Box::new(Customer { id: 1, tier: "a" }),
        shared: Arc::new(Customer { id: 2, tier: "b" }),
        pin: Secret::new(1234),
    };
    let span = only(testing::capture(|| ship(parcel)).1);
    assert_eq!(
        span.tag("parcel.origin"),
        None,
        "the prefix replaces the argument's name"
    );
    assert_eq!(span.tag("shipment.origin"), text("Region { code: 1 }"));
    assert_eq!(span.tag("shipment.destination"), text("region-2"));
    assert_eq!(span.tag("shipment.carrier_name"), text("post"));
    assert_eq!(span.tag("shipment.weight"), Some(&TagValue::F64(1.5)));
    assert_eq!(span.tag("shipment.tracking"), None);
    assert_eq!(span.tag("shipment.boxed.id"), Some(&TagValue::I64(1)));
    assert_eq!(span.tag("shipment.shared.tier"), text("b"));
    assert_eq!(span.tag("shipment.pin"), text("[redacted]"));
}

#[derive(Tags)]
struct Credentials {
    user: String,
    password: String,
    api_token: String,
}

#[traced]
fn sign_in(login: &Credentials, credentials: &Credentials) {}

#[test]
fn fields_and_arguments_under_secret_names_are_redacted_by_the_runtimes_policy() {
    let login = Credentials {
        user: "ada".into(),
        password: "hunter2".into(),
        api_token: "t0k3n".into(),
    };
    let span = only(testing::capture(|| sign_in(&login, &login)).1);
    assert_eq!(span.tag("login.user"), text("ada"));
    assert_eq!(span.tag("login.password"), text("[redacted]"));
    assert_eq!(span.tag("login.api_token"), text("[redacted]"));
    // The whole argument, under a secret name, is one redacted tag.
    assert_eq!(span.tag("credentials"), text("[redacted]"));
    assert_eq!(span.tag("credentials.user"), None);
}

#[derive(Tags)]
struct Pair<T, U> {
    left: T,
    #[tags(debug)]
    right: U,
}

#[traced]
fn pair<T: Tags, U: fmt::Debug>(value: Pair<T, U>) {}

#[test]
fn generic_types_are_recorded_when_their_parameters_allow_it() {
    let span = only(
        testing::capture(|| {
            pair(Pair {
                left: 3u8,
                right: vec![1, 2],
            })
        })
        .1,
    );
    assert_eq!(span.tag("value.left"), Some(&TagValue::I64(3)));
    assert_eq!(span.tag("value.right"), text("[1, 2]"));
    let span = only(
        testing::capture(|| {
            pair(Pair {
                left: Customer { id: 5, tier: "x" },
                right: (),
            })
        })
        .1,
    );
    assert_eq!(span.tag("value.left.id"), Some(&TagValue::I64(5)));
}

#[derive(Tags)]
struct Node {
    depth: u32,
    next: Option<Box<Node>>,
}

#[traced]
fn walk(list: &Node) {}

#[test]
fn nesting_stops_at_the_depth_limit() {
    let mut list = Node {
        depth: 99,
        next: None,
    };
    for depth in (0..20).rev() {
        list = Node {
            depth,
            next: Some(Box::new(list)),
        };
    }
    let span = only(testing::capture(|| walk(&list)).1);
    let depths: Vec<&str> = span
        .tags
        .iter()
        .map(|(key, _)| key.as_ref())
        .filter(|key| key.ends_with(".depth"))
        .collect();
    assert_eq!(depths.len(), usize::from(MAX_TAG_DEPTH));
    assert_eq!(span.tag("list.depth"), Some(&TagValue::I64(0)));
    let deepest = format!(
        "list{}.depth",
        ".next".repeat(usize::from(MAX_TAG_DEPTH) - 1)
    );
    assert_eq!(
        span.tag(&deepest),
        Some(&TagValue::I64(i64::from(MAX_TAG_DEPTH) - 1))
    );
}

#[test]
fn set_tags_records_a_value_by_hand_replacing_earlier_tags() {
    let (_, spans) = testing::capture(|| {
        let span = tracekit::global().span("manual").start();
        span.set_tag("order.id", 1);
        span.set_tags("order", &order());
        span.set_tags(
            "",
            &Customer {
                id: 3,
                tier: "bare",
            },
        );
    });
    let span = only(spans);
    assert_eq!(span.tag("order.id"), Some(&TagValue::I64(7)));
    assert_eq!(
        span.tags
            .iter()
            .filter(|(key, _)| key == "order.id")
            .count(),
        1
    );
    assert_eq!(
        span.tag("id"),
        Some(&TagValue::I64(3)),
        "an empty name: the bare fields"
    );
    assert_eq!(span.tag("tier"), text("bare"));
}

#[test]
fn a_carried_span_records_a_value_by_hand() {
    let (_, spans) = testing::capture(|| {
        let mut span = tracekit::global().span("carried").start_carried();
        span.set_tags("customer", &Customer { id: 8, tier: "c" });
    });
    assert_eq!(only(spans).tag("customer.id"), Some(&TagValue::I64(8)));
}

/// Counts how often it is asked to record.
struct Counted(&'static AtomicUsize);

impl Tags for Counted {
    fn record_tags(&self, tags: &mut TagWriter<'_>) {
        self.0.fetch_add(1, Ordering::Relaxed);
        tags.value(&1u8);
    }
}

#[traced]
fn counted(value: Counted) {}

#[test]
fn a_value_is_not_read_when_the_span_is_not_sampled() {
    static READS: AtomicUsize = AtomicUsize::new(0);
    // A tracer is installed (the capture's silent one, if none yet), so
    // the call below is traced, and not sampled.
    testing::capture(|| ());
    let unsampled = tracekit::SpanContext::new(
        tracekit::TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
        tracekit::SpanId::from_hex("b7ad6b7169203331").unwrap(),
        false,
    )
    .into_remote();
    tracekit::Context::from_span_context(unsampled).run(|| counted(Counted(&READS)));
    assert_eq!(READS.load(Ordering::Relaxed), 0);
    testing::capture(|| counted(Counted(&READS)));
    assert_eq!(READS.load(Ordering::Relaxed), 1);
}

#[traced]
async fn fetch(order: Order) -> u64 {
    order.id
}

#[test]
fn an_async_functions_derived_argument_is_recorded_at_its_call() {
    let (_, spans) = testing::capture(|| {
        let future = fetch(order());
        drop(future);
    });
    assert_eq!(only(spans).tag("order.customer.tier"), text("gold"));
}

#[derive(Tags)]
struct Keyword {
    r#type: u8,
}

#[traced]
fn raw(value: Keyword) {}

#[test]
fn raw_identifiers_are_named_without_their_prefix() {
    let span = only(testing::capture(|| raw(Keyword { r#type: 1 })).1);
    assert_eq!(span.tag("value.type"), Some(&TagValue::I64(1)));
}
