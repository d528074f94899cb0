//! Which arguments become tags, and how.
#![allow(unused_variables)] // arguments of empty test bodies are used only by the tags

use std::borrow::Cow;
use std::collections::HashMap;

use tracekit::{SpanRecord, TRUNCATION_MARKER, TagValue, testing, traced};

#[path = "support/poll.rs"]
mod poll;
use poll::poll_once;

fn only(spans: Vec<SpanRecord>) -> SpanRecord {
    assert_eq!(spans.len(), 1, "{spans:?}");
    spans.into_iter().next().unwrap()
}

#[allow(clippy::too_many_arguments)]
#[traced]
fn typed(
    small: u8,
    big: u64,
    huge: u64,
    negative: i32,
    ratio: f64,
    flag: bool,
    letter: char,
    text: &str,
    owned: String,
    cow: Cow<'_, str>,
    maybe: Option<u16>,
    nothing: Option<&str>,
    by_ref: &&i64,
) {
}

#[test]
fn numbers_bools_chars_strings_options_and_references_are_typed_tags() {
    let (_, spans) = testing::capture(|| {
        typed(
            1,
            2,
            u64::MAX,
            -3,
            0.5,
            true,
            'z',
            "t",
            "o".into(),
            Cow::Borrowed("c"),
            Some(9),
            None,
            &&-4,
        )
    });
    let span = only(spans);
    assert_eq!(span.tag("small"), Some(&TagValue::I64(1)));
    assert_eq!(span.tag("big"), Some(&TagValue::I64(2)));
    assert_eq!(span.tag("huge"), Some(&TagValue::U64(u64::MAX)));
    assert_eq!(span.tag("negative"), Some(&TagValue::I64(-3)));
    assert_eq!(span.tag("ratio"), Some(&TagValue::F64(0.5)));
    assert_eq!(span.tag("flag"), Some(&TagValue::Bool(true)));
    assert_eq!(span.tag("letter").and_then(TagValue::as_str), Some("z"));
    assert_eq!(span.tag("text").and_then(TagValue::as_str), Some("t"));
    assert_eq!(span.tag("owned").and_then(TagValue::as_str), Some("o"));
    assert_eq!(span.tag("cow").and_then(TagValue::as_str), Some("c"));
    assert_eq!(span.tag("maybe"), Some(&TagValue::I64(9)));
    assert_eq!(span.tag("nothing"), None, "None records nothing");
    assert_eq!(span.tag("by_ref"), Some(&TagValue::I64(-4)));
}

#[derive(Debug)]
struct Cart {
    items: Vec<u32>,
}

type UserId = u64;

#[traced]
fn other_types(cart: &Cart, map: HashMap<u8, u8>, user: UserId) -> usize {
    cart.items.len() + map.len() + user as usize
}

#[test]
fn other_types_are_not_recorded_but_aliases_of_recorded_types_are() {
    let (_, spans) = testing::capture(|| other_types(&Cart { items: vec![1] }, HashMap::new(), 5));
    let span = only(spans);
    assert_eq!(span.tag("cart"), None);
    assert_eq!(span.tag("map"), None);
    assert_eq!(span.tag("user"), Some(&TagValue::I64(5)));
}

#[traced(tags(cart = ?cart, total = %total, db.system = "postgresql", items = cart.items.len(), "http.route" = "/cart"))]
fn tagged(cart: &Cart, total: f32) {}

#[test]
fn tags_record_debug_display_literals_and_expressions_under_dotted_keys() {
    let (_, spans) = testing::capture(|| tagged(&Cart { items: vec![4, 5] }, 1.5));
    let span = only(spans);
    assert_eq!(
        span.tag("cart").and_then(TagValue::as_str),
        Some("Cart { items: [4, 5] }")
    );
    assert_eq!(span.tag("total").and_then(TagValue::as_str), Some("1.5"));
    assert_eq!(
        span.tag("db.system").and_then(TagValue::as_str),
        Some("postgresql")
    );
    assert_eq!(span.tag("items"), Some(&TagValue::I64(2)));
    assert_eq!(
        span.tag("http.route").and_then(TagValue::as_str),
        Some("/cart")
    );
}

#[traced(tags(tenant = "acme", nested = nested_tagged(7)))]
fn tags_and_arguments(id: u32, region: &str) {}

#[traced]
fn nested_tagged(depth: u8) -> u8 {
    depth
}

#[test]
fn tags_come_first_then_the_arguments_each_once() {
    let (_, spans) = testing::capture(|| tags_and_arguments(3, "eu-west-1"));
    let outer = spans
        .iter()
        .find(|s| s.name == "tags_and_arguments")
        .unwrap();
    let keys: Vec<&str> = outer.tags.iter().map(|(key, _)| &**key).collect();
    assert_eq!(keys, ["tenant", "nested", "id", "region"]);
    assert_eq!(outer.tag("nested"), Some(&TagValue::I64(7)));
    assert_eq!(
        outer.tag("region").and_then(TagValue::as_str),
        Some("eu-west-1")
    );
    // A traced call made while the tags are computed is a child, with its
    // own arguments.
    let nested = spans.iter().find(|s| s.name == "nested_tagged").unwrap();
    assert_eq!(nested.parent_id, Some(outer.span_id));
    assert_eq!(nested.tag("depth"), Some(&TagValue::I64(7)));
}

#[traced(skip(body))]
fn skip_some(id: u32, body: &str) {}

#[traced(skip_all)]
fn skip_everything(id: u32, body: &str) {}

#[traced(args(id))]
fn only_listed(id: u32, body: &str, extra: bool) {}

#[test]
fn skip_skip_all_and_args_choose_the_recorded_arguments() {
    let (_, spans) = testing::capture(|| {
        skip_some(1, "b");
        skip_everything(2, "b");
        only_listed(3, "b", true);
    });
    assert_eq!(spans[0].tag("id"), Some(&TagValue::I64(1)));
    assert_eq!(spans[0].tag("body"), None);
    assert!(spans[1].tags.is_empty(), "{:?}", spans[1].tags);
    assert_eq!(spans[2].tag("id"), Some(&TagValue::I64(3)));
    assert_eq!(spans[2].tag("body"), None);
    assert_eq!(spans[2].tag("extra"), None);
}

#[traced]
fn long_text(text: &str) {}

#[test]
fn strings_longer_than_the_limit_are_cut_with_a_marker() {
    let text = "é".repeat(1000); // 2000 bytes
    let (_, spans) = testing::capture(|| long_text(&text));
    let recorded = spans[0]
        .tag("text")
        .and_then(TagValue::as_str)
        .unwrap()
        .to_owned();
    assert!(recorded.ends_with(TRUNCATION_MARKER));
    let kept = recorded.strip_suffix(TRUNCATION_MARKER).unwrap();
    assert_eq!(kept.len(), tracekit::DEFAULT_MAX_TAG_LEN);
    assert!(text.starts_with(kept));
}

#[traced(ret)]
fn answer() -> u32 {
    42
}

#[traced(ret)]
fn listing() -> Vec<&'static str> {
    vec!["a"]
}

#[traced(ret)]
fn fallible(ok: bool) -> Result<u16, String> {
    if ok { Ok(7) } else { Err("no".into()) }
}

#[test]
fn ret_records_the_return_value_typed_or_as_debug_text() {
    let (_, spans) = testing::capture(|| {
        answer();
        listing();
        let _ = fallible(true);
        let _ = fallible(false);
    });
    assert_eq!(spans[0].tag("return"), Some(&TagValue::I64(42)));
    assert_eq!(
        spans[1].tag("return").and_then(TagValue::as_str),
        Some("[\"a\"]")
    );
    assert_eq!(
        spans[2].tag("return"),
        Some(&TagValue::I64(7)),
        "the Ok value"
    );
    assert_eq!(spans[3].tag("return"), None, "an Err has no return value");
    assert!(spans[3].is_error());
}

#[traced]
fn configured(#[cfg(not(test))] absent: u32, #[cfg(test)] present: u32, always: u32) -> u32 {
    present + always
}

#[traced(hooks = NoHooks)]
fn configured_with_hooks(#[cfg(not(test))] absent: u32, #[cfg(test)] present: u32) -> u32 {
    present
}

#[traced]
async fn configured_async(#[cfg(not(test))] absent: u32, #[cfg(test)] present: u32) -> u32 {
    present
}

struct NoHooks;
impl tracekit::Hooks for NoHooks {}

#[test]
fn parameters_configured_out_are_not_recorded_and_the_others_are() {
    let (_, spans) = testing::capture(|| {
        configured(1, 2);
        configured_with_hooks(3);
        poll_once(configured_async(4));
    });
    assert_eq!(
        spans.iter().map(|s| s.name.as_ref()).collect::<Vec<_>>(),
        ["configured", "configured_with_hooks", "configured_async"]
    );
    let keys = |span: &SpanRecord| -> Vec<String> {
        span.tags.iter().map(|(k, _)| k.to_string()).collect()
    };
    assert_eq!(keys(&spans[0]), ["present", "always"]);
    assert_eq!(keys(&spans[1]), ["present"]);
    assert_eq!(keys(&spans[2]), ["present"]);
}

#[traced]
fn wide(small: i128, large: u128, negative: i128) {}

#[test]
fn wide_integers_are_recorded_as_integers_or_as_decimal_text() {
    let (_, spans) = testing::capture(|| wide(-7, u128::MAX, i128::MIN));
    let span = only(spans);
    assert_eq!(span.tag("small"), Some(&TagValue::I64(-7)));
    assert_eq!(
        span.tag("large").and_then(TagValue::as_str),
        Some("340282366920938463463374607431768211455")
    );
    assert_eq!(
        span.tag("negative").and_then(TagValue::as_str),
        Some("-170141183460469231731687303715884105728")
    );
}

struct Account {
    id: u64,
}

impl Account {
    #[traced(skip(self))]
    fn deposit(&self, amount: u64) -> u64 {
        self.id + amount
    }
}

#[test]
fn skip_self_is_accepted_and_self_is_never_recorded() {
    let (_, spans) = testing::capture(|| Account { id: 1 }.deposit(5));
    let span = only(spans);
    let keys: Vec<&str> = span.tags.iter().map(|(k, _)| &**k).collect();
    assert_eq!(keys, ["amount"]);
}
