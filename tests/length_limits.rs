//! Whatever is recorded is cut to the tracer's length limit: span names,
//! tag and log keys, string values (arguments, `tags(..)`, set by hand,
//! formatted with `%`/`?`) and baggage items; only the kept part is copied.

use std::fmt;

use tracekit::{TRUNCATION_MARKER, testing, traced};

/// `DEFAULT_MAX_TAG_LEN` bytes of `x`, then the marker.
fn cut_x() -> String {
    format!(
        "{}{TRUNCATION_MARKER}",
        "x".repeat(tracekit::DEFAULT_MAX_TAG_LEN)
    )
}

/// Formats as an endless run of `x`: only a cut can end it.
struct Endless;

impl fmt::Display for Endless {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        loop {
            f.write_str("xxxxxxxxxxxxxxxx")?;
        }
    }
}

impl fmt::Debug for Endless {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[traced(tags(shown = %Endless, debugged = ?Endless, text = big.as_str()))]
fn takes(big: &String) -> usize {
    big.len()
}

#[test]
fn names_keys_values_and_baggage_are_cut_to_the_limit() {
    let huge = "x".repeat(10 << 20);
    let (_, spans) = testing::capture(|| {
        takes(&huge);
        let tracer = tracekit::global();
        let span = tracer
            .span(huge.clone())
            .tag(huge.clone(), huge.clone())
            .start();
        span.set_tag(huge.clone(), 1);
        span.log([(huge.clone(), huge.clone())]);
        span.set_baggage_item(huge.clone(), huge.clone());
        span.set_operation_name(huge.clone());
        assert_eq!(
            span.baggage_item(&cut_x()).as_deref(),
            Some(cut_x().as_str())
        );
    });
    let takes = spans.iter().find(|s| s.name == "takes").expect("the call");
    for key in ["big", "text", "shown", "debugged"] {
        assert_eq!(
            takes.tag(key).and_then(|v| v.as_str()),
            Some(cut_x().as_str()),
            "{key}"
        );
    }
    let by_hand = spans.iter().find(|s| s.name != "takes").expect("the span");
    assert_eq!(by_hand.name, cut_x());
    assert!(by_hand.tags.iter().all(|(key, _)| *key == cut_x()));
    assert_eq!(by_hand.tags.len(), 1, "both tags had the same cut key");
    let log = &by_hand.logs[0];
    assert_eq!(log.fields[0].0, cut_x());
    assert_eq!(log.fields[0].1.as_str(), Some(cut_x().as_str()));
}
