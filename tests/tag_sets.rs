//! Tag sets: tags made once and set on many spans, as setting each tag
//! would set it (later values replace earlier ones, long values are cut),
//! whatever the tags hold: `'static` and inline texts, which are copied
//! bit for bit, and texts on the heap, which are cloned. A set kept for
//! the process and set as a template, referred to rather than copied,
//! records the same tags.

use tracekit::export::Memory;
use tracekit::{
    DEFAULT_MAX_TAG_LEN, SpanRecord, TRUNCATION_MARKER, TagSet, TagValue, Tracer, testing,
};

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

/// A set kept for the life of the process, as a template must be.
fn kept<V: Into<TagValue>>(tags: impl IntoIterator<Item = (&'static str, V)>) -> &'static TagSet {
    Box::leak(Box::new(TagSet::new(tags)))
}

fn keys(span: &SpanRecord) -> Vec<&str> {
    span.tags.iter().map(|(key, _)| key.as_ref()).collect()
}

/// The spans `build` makes with a tracer of its own, as its exporter
/// thread delivers them.
fn exported(build: impl FnOnce(&Tracer)) -> Vec<SpanRecord> {
    let memory = Memory::new();
    let tracer = Tracer::builder().exporter(memory.clone()).build();
    build(&tracer);
    tracer.flush().expect("flushed");
    memory.spans()
}

fn named<'a>(spans: &'a [SpanRecord], name: &str) -> &'a SpanRecord {
    spans.iter().find(|s| s.name == name).expect("the span")
}

#[test]
fn a_templates_tags_come_first_and_a_later_tag_of_its_keys_replaces_its_value() {
    let statement = kept([
        ("db.system.name", TagValue::from("sqlite")),
        ("db.query.summary", TagValue::from("SELECT stock")),
        ("n", TagValue::from(1)),
    ]);
    let spans = exported(|tracer| {
        tracer
            .span("alone")
            .tag_template(statement)
            .start()
            .finish();
        tracer
            .span("builder")
            .tag_template(statement)
            .tag("n", 2)
            .tag("more", true)
            .start()
            .finish();
        // The span of a database call: a carried span, tagged as it ends.
        let mut span = tracer
            .span("carried")
            .tag_template(statement)
            .start_carried();
        span.set_tag("rows", 3);
        span.set_tag("db.query.summary", "SELECT other");
        span.finish();
    });
    assert_eq!(spans.len(), 3);
    let alone = named(&spans, "alone");
    assert_eq!(keys(alone), ["db.system.name", "db.query.summary", "n"]);
    assert_eq!(alone.tag("n").and_then(TagValue::as_i64), Some(1));
    let builder = named(&spans, "builder");
    assert_eq!(
        keys(builder),
        ["db.system.name", "db.query.summary", "n", "more"]
    );
    assert_eq!(builder.tag("n").and_then(TagValue::as_i64), Some(2));
    let carried = named(&spans, "carried");
    assert_eq!(
        keys(carried),
        ["db.system.name", "db.query.summary", "n", "rows"]
    );
    assert_eq!(
        carried.tag("db.query.summary").map(text),
        Some("SELECT other")
    );
    // The template itself is as it was made.
    assert_eq!(statement.tags()[1].1.as_str(), Some("SELECT stock"));
}

#[test]
fn a_template_after_other_tags_or_another_template_is_copied_as_a_set() {
    let first = kept([("db", "first"), ("only", "once")]);
    let second = kept([("db", "second")]);
    let spans = exported(|tracer| {
        tracer
            .span("after a tag")
            .tag("db", "by hand")
            .tag_template(first)
            .start()
            .finish();
        tracer
            .span("two templates")
            .tag_template(first)
            .tag_template(second)
            .start()
            .finish();
    });
    let after = named(&spans, "after a tag");
    assert_eq!(keys(after), ["db", "only"]);
    assert_eq!(after.tag("db").map(text), Some("first"));
    let two = named(&spans, "two templates");
    assert_eq!(keys(two), ["db", "only"]);
    assert_eq!(two.tag("db").map(text), Some("second"));
}

#[test]
fn a_template_past_the_limit_is_copied_and_cut() {
    let long: &'static str = Box::leak("y".repeat(DEFAULT_MAX_TAG_LEN + 5).into_boxed_str());
    let set = kept([("text", long)]);
    let spans = exported(|tracer| {
        tracer.span("cut").tag_template(set).start().finish();
    });
    let cut = format!("{}{TRUNCATION_MARKER}", &long[..DEFAULT_MAX_TAG_LEN]);
    assert_eq!(spans[0].tag("text").map(text), Some(cut.as_str()));
}

#[test]
fn an_unsampled_span_with_a_template_records_nothing() {
    let set = kept([("db.system.name", "sqlite")]);
    let memory = Memory::new();
    let tracer = Tracer::builder()
        .exporter(memory.clone())
        .sampler(tracekit::Sampler::never())
        .build();
    let span = tracer.span("unsampled").tag_template(set).start_carried();
    assert!(!span.is_recording());
    span.finish();
    tracer.flush().expect("flushed");
    assert!(memory.spans().is_empty());
}
