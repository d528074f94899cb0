//! Tag sets: tags made once and set on many spans, as setting each tag
//! would set it (later values replace earlier ones, long values are cut),
//! whatever the tags hold: `'static` and inline texts, which are copied
//! bit for bit, and texts on the heap, which are cloned.

use tracekit::{DEFAULT_MAX_TAG_LEN, TRUNCATION_MARKER, TagSet, TagValue, testing};

fn text(value: &TagValue) -> &str {
    value.as_str().expect("a string")
}

#[test]
fn a_set_is_set_on_every_span_in_its_order() {
    let heap = "h".repeat(100);
    let sets = [
        TagSet::new([("system", "sqlite"), ("namespace", "main")]),
        TagSet::new([
            ("inline", TagValue::from(String::from("short"))),
            ("number", TagValue::from(7)),
        ]),
        TagSet::new([("heap", heap.clone())]),
    ];
    let (_, spans) = testing::capture(|| {
        for _ in 0..3 {
            let mut builder = tracekit::global().span("query");
            for set in &sets {
                builder.set_tag_set(set);
            }
            builder.start().finish();
        }
    });
    assert_eq!(spans.len(), 3);
    for span in &spans {
        let keys: Vec<&str> = span.tags.iter().map(|(key, _)| key.as_ref()).collect();
        assert_eq!(keys, ["system", "namespace", "inline", "number", "heap"]);
        assert_eq!(span.tag("system").map(text), Some("sqlite"));
        assert_eq!(span.tag("inline").map(text), Some("short"));
        assert_eq!(span.tag("number").and_then(TagValue::as_i64), Some(7));
        assert_eq!(span.tag("heap").map(text), Some(heap.as_str()));
    }
}

#[test]
fn a_key_set_twice_keeps_its_last_value() {
    let first = TagSet::new([("db", "first"), ("db", "again"), ("only", "once")]);
    let second = TagSet::new([("db", "second")]);
    assert_eq!(first.tags().len(), 2, "one tag per key");
    let (_, spans) = testing::capture(|| {
        let mut builder = tracekit::global().span("both");
        builder.set_tag("only", "by hand").set_tag_set(&first);
        builder.set_tag_set(&second);
        builder.start().finish();
        let mut builder = tracekit::global().span("hand after");
        builder.set_tag_set(&first).set_tag("db", "by hand");
        builder.start().finish();
    });
    let both = spans.iter().find(|s| s.name == "both").expect("the span");
    assert_eq!(both.tag("db").map(text), Some("second"));
    assert_eq!(both.tag("only").map(text), Some("once"));
    assert_eq!(both.tags.len(), 2);
    let after = spans
        .iter()
        .find(|s| s.name == "hand after")
        .expect("the span");
    assert_eq!(after.tag("db").map(text), Some("by hand"));
    assert_eq!(after.tags.len(), 2);
}

#[test]
fn values_and_keys_past_the_limit_are_cut() {
    let long = "x".repeat(DEFAULT_MAX_TAG_LEN + 10);
    let long_key: &'static str = Box::leak(long.clone().into_boxed_str());
    let set = TagSet::new([
        ("text", TagValue::from(long.clone())),
        (long_key, TagValue::from(1)),
    ]);
    let (_, spans) = testing::capture(|| {
        let mut builder = tracekit::global().span("cut");
        builder.set_tag_set(&set);
        builder.start().finish();
    });
    let cut = format!("{}{TRUNCATION_MARKER}", &long[..DEFAULT_MAX_TAG_LEN]);
    assert_eq!(spans[0].tag("text").map(text), Some(cut.as_str()));
    assert_eq!(spans[0].tag(&cut).and_then(TagValue::as_i64), Some(1));
    // The set itself keeps what it was given.
    assert_eq!(set.tags()[0].1.as_str(), Some(long.as_str()));
}

#[test]
fn an_empty_set_sets_nothing() {
    let (_, spans) = testing::capture(|| {
        let mut builder = tracekit::global().span("plain");
        builder.set_tag_set(&TagSet::default());
        builder.start().finish();
    });
    assert!(spans[0].tags.is_empty());
}
