//! `#[traced]` on every kind of synchronous function.

use std::fmt::Display;

use tracekit::{SpanKind, SpanRecord, TagValue, testing, traced};

fn names(spans: &[SpanRecord]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_ref()).collect()
}

#[traced]
fn free_function(x: i32) -> i32 {
    x + 1
}

#[test]
fn a_free_function_runs_in_a_span_named_after_it() {
    let (out, spans) = testing::capture(|| free_function(1));
    assert_eq!(out, 2);
    assert_eq!(names(&spans), ["free_function"]);
    assert_eq!(spans[0].kind, SpanKind::Internal);
    assert_eq!(spans[0].parent_id, None);
}

struct Account {
    balance: i64,
    owner: String,
}

impl Account {
    #[traced]
    fn new(owner: &str) -> Account {
        Account {
            balance: 0,
            owner: owner.to_owned(),
        }
    }

    #[traced]
    fn owner(&self) -> &str {
        &self.owner
    }

    #[traced]
    fn deposit(&mut self, amount: i64) -> &mut i64 {
        self.balance += amount;
        &mut self.balance
    }

    #[traced]
    fn close(self) -> i64 {
        self.balance
    }
}

#[test]
fn methods_by_ref_by_mut_ref_and_by_value_and_associated_functions_are_traced() {
    let (balance, spans) = testing::capture(|| {
        let mut account = Account::new("ada");
        assert_eq!(account.owner(), "ada");
        *account.deposit(5) += 1;
        account.close()
    });
    assert_eq!(balance, 6);
    assert_eq!(names(&spans), ["new", "owner", "deposit", "close"]);
    assert_eq!(
        spans[0].tag("owner").and_then(TagValue::as_str),
        Some("ada")
    );
    assert_eq!(spans[2].tag("amount"), Some(&TagValue::I64(5)));
}

#[traced]
fn generic<T: Clone + Display>(value: &T, times: usize) -> Vec<T> {
    vec![value.clone(); times]
}

#[traced]
fn takes_and_returns_impl_trait(items: impl IntoIterator<Item = u8>) -> impl Display {
    items.into_iter().map(u32::from).sum::<u32>()
}

#[test]
fn generic_functions_and_impl_trait_arguments_and_returns_are_traced() {
    let (out, spans) = testing::capture(|| {
        (
            generic(&"x", 2),
            takes_and_returns_impl_trait([1, 2]).to_string(),
        )
    });
    assert_eq!(out, (vec!["x", "x"], "3".to_owned()));
    assert_eq!(names(&spans), ["generic", "takes_and_returns_impl_trait"]);
    assert_eq!(spans[0].tag("times"), Some(&TagValue::I64(2)));
    assert_eq!(spans[0].tag("value"), None, "a generic T is not recorded");
}

#[traced]
unsafe fn read_raw(pointer: *const u32) -> u32 {
    // SAFETY: the caller passes a valid pointer.
    unsafe { *pointer }
}

#[traced]
extern "C" fn c_callback(code: i32) -> i32 {
    code * 10
}

#[test]
fn unsafe_and_extern_c_functions_are_traced() {
    let value = 9u32;
    let (out, spans) = testing::capture(|| {
        // SAFETY: `value` is a live u32.
        (unsafe { read_raw(&value) }, c_callback(4))
    });
    assert_eq!(out, (9, 40));
    assert_eq!(names(&spans), ["read_raw", "c_callback"]);
}

#[traced]
fn patterns((left, right): (u32, u32), Wrapper { inner }: Wrapper, _: u8, mut total: u32) -> u32 {
    total += left + right + inner;
    total
}

struct Wrapper {
    inner: u32,
}

#[test]
fn pattern_arguments_record_each_bound_name() {
    let (out, spans) = testing::capture(|| patterns((1, 2), Wrapper { inner: 3 }, 0, 4));
    assert_eq!(out, 10);
    let span = &spans[0];
    assert_eq!(span.tag("left"), Some(&TagValue::I64(1)));
    assert_eq!(span.tag("right"), Some(&TagValue::I64(2)));
    assert_eq!(span.tag("inner"), Some(&TagValue::I64(3)));
    assert_eq!(
        span.tag("total"),
        Some(&TagValue::I64(4)),
        "recorded at the call"
    );
}

#[derive(Debug, PartialEq)]
enum ParseError {
    Empty,
    Number(std::num::ParseIntError),
}

impl From<std::num::ParseIntError> for ParseError {
    fn from(err: std::num::ParseIntError) -> Self {
        ParseError::Number(err)
    }
}

#[traced]
fn parse_positive(text: &str) -> Result<u32, ParseError> {
    if text.is_empty() {
        return Err(ParseError::Empty);
    }
    let value: u32 = text.parse()?;
    Ok(value)
}

#[traced]
fn first_char_upper(text: &str) -> Option<char> {
    let first = text.chars().next()?;
    Some(first.to_ascii_uppercase())
}

#[test]
fn question_mark_and_early_return_keep_their_meaning() {
    let (out, spans) = testing::capture(|| {
        (
            parse_positive(""),
            parse_positive("x").is_err(),
            parse_positive("12"),
            first_char_upper(""),
            first_char_upper("ab"),
        )
    });
    assert_eq!(out, (Err(ParseError::Empty), true, Ok(12), None, Some('A')));
    assert_eq!(spans.len(), 5);
    assert!(spans[0].is_error() && spans[1].is_error() && !spans[2].is_error());
}

#[traced]
fn factorial(n: u64) -> u64 {
    if n <= 1 { 1 } else { n * factorial(n - 1) }
}

#[test]
fn recursion_makes_a_chain_of_parent_and_child_spans() {
    let (out, spans) = testing::capture(|| factorial(4));
    assert_eq!(out, 24);
    // Innermost finishes first: n = 1, 2, 3, 4.
    let depths: Vec<i64> = spans
        .iter()
        .map(|s| s.tag("n").unwrap().as_i64().unwrap())
        .collect();
    assert_eq!(depths, [1, 2, 3, 4]);
    for pair in spans.windows(2) {
        assert_eq!(pair[0].parent_id, Some(pair[1].span_id));
        assert_eq!(pair[0].trace_id, pair[1].trace_id);
    }
    assert_eq!(spans[3].parent_id, None);
}

#[traced(name = "db.query", kind = client)]
fn renamed() {}

#[traced(kind = server)]
fn serve() {}

#[traced(kind = producer)]
fn publish() {}

#[traced(kind = consumer)]
fn consume() {}

#[traced(kind = internal)]
fn internal() {}

#[test]
fn name_and_kind_options_set_the_span_name_and_kind() {
    let ((), spans) = testing::capture(|| {
        renamed();
        serve();
        publish();
        consume();
        internal();
    });
    assert_eq!(
        names(&spans),
        ["db.query", "serve", "publish", "consume", "internal"]
    );
    let kinds: Vec<SpanKind> = spans.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SpanKind::Client,
            SpanKind::Server,
            SpanKind::Producer,
            SpanKind::Consumer,
            SpanKind::Internal
        ]
    );
}

#[test]
fn without_a_capture_or_tracer_the_function_just_runs() {
    // No capture is open on this thread: the span (if any tracer is
    // installed by a parallel test) is a root of its own trace, and the
    // result is untouched.
    assert_eq!(free_function(41), 42);
}

#[traced]
fn never_returns(code: u32) -> ! {
    panic!("gave up with code {code}")
}

#[test]
fn a_diverging_function_is_traced_and_its_panic_recorded() {
    let (caught, spans) = testing::capture(|| std::panic::catch_unwind(|| never_returns(3)));
    assert!(caught.is_err());
    assert_eq!(names(&spans), ["never_returns"]);
    assert!(spans[0].is_error());
    let log = spans[0].log_event("error").unwrap();
    assert_eq!(
        log.field("message").and_then(TagValue::as_str),
        Some("gave up with code 3")
    );
}

#[traced]
#[track_caller]
fn where_called() -> &'static std::panic::Location<'static> {
    std::panic::Location::caller()
}

#[traced]
#[track_caller]
fn checked(value: i32) -> Result<i32, ParseError> {
    if value < 0 {
        return Err(ParseError::Empty);
    }
    if value == 0 {
        Err(ParseError::Empty)
    } else {
        Ok(value)
    }
}

#[traced]
#[track_caller]
fn fails_at_caller(found: Option<u8>) -> u8 {
    found.expect("nothing there")
}

struct Parser {
    base: u32,
}

impl Parser {
    #[traced(skip(self), ret)]
    #[track_caller]
    fn parse(&self, text: &str) -> Result<u32, ParseError> {
        let digits: u32 = text.parse().map_err(|_| ParseError::Empty)?;
        // A closure's `?` and `return` are its own.
        let checked = |n: u32| -> Option<u32> {
            if n > 1000 {
                return None;
            }
            n.checked_add(self.base)
        };
        let Some(total) = checked(digits) else {
            return Err(ParseError::Empty);
        };
        Ok(total)
    }

    #[traced(ret)]
    #[track_caller]
    fn first_even(values: &[u32]) -> Option<u32> {
        let first = *values.first()?;
        for value in values {
            if value % 2 == 0 {
                return Some(*value);
            }
        }
        Some(first + 1)
    }

    #[traced]
    #[track_caller]
    fn checked_location(
        &self,
        fail: bool,
    ) -> Result<&'static std::panic::Location<'static>, ParseError> {
        if fail {
            Err(ParseError::Empty)?;
        }
        Ok(std::panic::Location::caller())
    }
}

#[test]
fn a_track_caller_function_records_what_return_and_question_mark_leave_with() {
    let parser = Parser { base: 1 };
    let (_, spans) = testing::capture(|| {
        assert_eq!(parser.parse("x"), Err(ParseError::Empty));
        assert_eq!(parser.parse("5000"), Err(ParseError::Empty));
        assert_eq!(parser.parse("41"), Ok(42));
        assert_eq!(Parser::first_even(&[]), None);
        assert_eq!(Parser::first_even(&[3, 4]), Some(4));
        assert_eq!(Parser::first_even(&[3]), Some(4));
    });
    assert!(spans[0].is_error(), "an Err left through `?`");
    assert!(
        spans[1].is_error(),
        "an Err left through `let .. else {{ return }}`"
    );
    assert!(!spans[2].is_error());
    assert_eq!(spans[2].tag("return"), Some(&TagValue::I64(42)));
    assert_eq!(spans[3].tag("return"), None, "None left through `?`");
    assert_eq!(
        spans[4].tag("return"),
        Some(&TagValue::I64(4)),
        "a value left through `return`"
    );
    assert_eq!(spans[5].tag("return"), Some(&TagValue::I64(4)));

    let line = line!() + 1;
    let (location, spans) = testing::capture(|| parser.checked_location(false));
    assert_eq!(
        location.map(|at| at.line()),
        Ok(line),
        "still the caller's location"
    );
    let (_, spans_failed) = testing::capture(|| parser.checked_location(true));
    assert!(!spans[0].is_error());
    assert!(spans_failed[0].is_error());
}

#[test]
fn track_caller_still_reports_the_call_site() {
    #[allow(clippy::redundant_closure)] // the closure is the call site
    let (location, spans) = testing::capture(|| where_called());
    assert_eq!(location.line(), line!() - 1, "{location}");
    assert_eq!(location.file(), file!());
    assert_eq!(names(&spans), ["where_called"]);
}

#[test]
fn a_track_caller_function_records_its_final_error_and_its_panic() {
    let (_, spans) = testing::capture(|| {
        let _ = checked(0);
        let _ = checked(-1);
        let _ = checked(2);
        let _ = std::panic::catch_unwind(|| fails_at_caller(None));
    });
    assert_eq!(
        names(&spans),
        ["checked", "checked", "checked", "fails_at_caller"]
    );
    assert!(spans[0].is_error(), "an Err the body ends with");
    assert!(spans[1].is_error(), "an Err of an early `return`");
    assert!(!spans[2].is_error());
    assert!(spans[3].is_error(), "a panic");
    assert_eq!(
        spans[3].tag("error.type").and_then(TagValue::as_str),
        Some("panic")
    );
}
