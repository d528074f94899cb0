//! What is never recorded as given: arguments and fields under secret names
//! (the runtime's policy, which a tracer extends), `Secret<T>`, and values
//! the scrubber finds.

use tracekit::{TagValue, testing, traced};

#[allow(clippy::too_many_arguments)]
#[traced]
fn login(
    user: &str,
    password: &str,
    passwd: &str,
    secret: &str,
    token: &str,
    api_key: &str,
    apikey: &str,
    authorization: &str,
    auth: &str,
    credential: &str,
    credentials: &str,
    private_key: &str,
    db_password: &str,
    #[allow(non_snake_case)] Refresh_Token: &str,
) {
}

#[test]
fn secret_looking_arguments_are_recorded_as_redacted() {
    let (_, spans) = testing::capture(|| {
        login(
            "ada", "p", "p", "s", "t", "k", "k", "a", "a", "c", "c", "k", "p", "t",
        )
    });
    let span = &spans[0];
    assert_eq!(span.tag("user").and_then(TagValue::as_str), Some("ada"));
    for name in [
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "authorization",
        "auth",
        "credential",
        "credentials",
        "private_key",
        "db_password",
        "Refresh_Token",
    ] {
        assert_eq!(
            span.tag(name).and_then(TagValue::as_str),
            Some("[redacted]"),
            "{name}"
        );
    }
}

#[traced]
fn not_secrets(author: &str, token_count: u32, authority: &str) {}

#[test]
fn names_that_only_contain_a_secret_word_are_recorded() {
    let (_, spans) = testing::capture(|| not_secrets("ada", 3, "root"));
    assert_eq!(
        spans[0].tag("author").and_then(TagValue::as_str),
        Some("ada")
    );
    assert_eq!(spans[0].tag("token_count"), Some(&TagValue::I64(3)));
    assert_eq!(
        spans[0].tag("authority").and_then(TagValue::as_str),
        Some("root")
    );
}

#[traced(tags(token = token))]
fn explicitly_recorded(token: &str) {}

#[test]
fn a_secret_named_explicitly_in_tags_is_recorded() {
    let (_, spans) = testing::capture(|| explicitly_recorded("visible"));
    assert_eq!(
        spans[0].tag("token").and_then(TagValue::as_str),
        Some("visible")
    );
}

#[derive(Debug)]
struct Opaque;

#[traced]
fn opaque_secret(secret: Opaque) {}

#[test]
fn a_secret_of_an_unrecorded_type_stays_unrecorded() {
    let (_, spans) = testing::capture(|| opaque_secret(Opaque));
    assert_eq!(spans[0].tag("secret"), None);
}

// --- redaction by type: `Secret<T>` ---

use tracekit::Secret;

#[derive(Debug)]
struct Declined(&'static str);

impl std::fmt::Display for Declined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "declined: {}", self.0)
    }
}

#[traced(ret, tags(card.again = card, pin.len = pin.len()))]
fn charge(amount: u64, card: Secret<String>, pin: &Secret<&str>) -> Secret<u64> {
    Secret::new(amount + card.len() as u64 + pin.len() as u64)
}

#[traced]
fn refuse(card: Secret<String>) -> Result<(), Secret<Declined>> {
    Err(Secret::new(Declined(if card.is_empty() {
        "empty"
    } else {
        "4242"
    })))
}

#[test]
fn a_secret_argument_tag_and_return_value_are_recorded_as_redacted() {
    let (total, spans) = testing::capture(|| {
        charge(
            100,
            Secret::new("4242 4242 4242 4242".to_owned()),
            &Secret::from("1234"),
        )
    });
    assert_eq!(total.into_inner(), 123, "the function sees the values");
    let span = &spans[0];
    let redacted = Some(&TagValue::from("[redacted]"));
    assert_eq!(span.tag("amount"), Some(&TagValue::I64(100)));
    assert_eq!(span.tag("card"), redacted);
    assert_eq!(span.tag("pin"), redacted);
    assert_eq!(span.tag("card.again"), redacted, "a tags(..) option too");
    assert_eq!(
        span.tag("pin.len"),
        Some(&TagValue::I64(4)),
        "what the code derives from it is the user's choice"
    );
    assert_eq!(span.tag("return"), redacted);
    let recorded = recorded_text(span);
    assert!(
        !recorded.contains("4242") && !recorded.contains("1234"),
        "{recorded}"
    );
}

#[test]
fn a_secret_error_is_recorded_as_redacted() {
    let (_, spans) = testing::capture(|| refuse(Secret::new("4242".to_owned())));
    let span = &spans[0];
    assert_eq!(span.tag("error"), Some(&TagValue::Bool(true)));
    let message = span.logs[0].fields.iter().find(|(key, _)| key == "message");
    assert_eq!(
        message.map(|(_, value)| value),
        Some(&TagValue::from("[redacted]"))
    );
    assert!(!recorded_text(span).contains("4242"), "{span:?}");
}

/// Every tag and log value of `span`, as text (not its ids, which are
/// random hex and may hold any digits).
fn recorded_text(span: &tracekit::SpanRecord) -> String {
    let tags = span
        .tags
        .iter()
        .map(|(key, value)| format!("{key}={value:?}"));
    let logs = span
        .logs
        .iter()
        .flat_map(|log| log.fields.iter())
        .map(|(key, value)| format!("{key}={value:?}"));
    tags.chain(logs).collect::<Vec<_>>().join(" ")
}

#[test]
fn a_secret_set_by_hand_is_recorded_as_redacted() {
    let (_, spans) = testing::capture(|| {
        let span = tracekit::global().span("manual").start();
        span.set_tag("owned", Secret::new("hunter2".to_owned()));
        let pin = Secret::new(String::from("hunter2"));
        span.set_tag("borrowed", &pin);
        assert_eq!(pin.len(), 7, "still the caller's");
        span.log([("field", TagValue::from(Secret::new("hunter2")))]);
    });
    let span = &spans[0];
    assert_eq!(span.tag("owned"), Some(&TagValue::from("[redacted]")));
    assert_eq!(span.tag("borrowed"), Some(&TagValue::from("[redacted]")));
    assert!(!recorded_text(span).contains("hunter2"), "{span:?}");
}

#[test]
fn a_secret_prints_as_redacted_and_derefs_to_its_value() {
    let mut key = Secret::new(String::from("sk_live_123"));
    key.push('4');
    assert_eq!(
        format!("{key}|{key:?}|{:?}", Some(&key)),
        "[redacted]|[redacted]|Some([redacted])"
    );
    assert_eq!(key.as_str(), "sk_live_1234");
    assert_eq!(key.into_inner(), "sk_live_1234");
}

#[traced]
fn enrol(patient_mrn: u64, ward: &str) {}

#[derive(tracekit::Tags)]
struct Patient {
    patient_mrn: u64,
    ward: &'static str,
}

#[traced]
fn admit(patient: &Patient) {}

#[test]
fn names_added_to_the_policy_redact_arguments_and_fields_decided_before() {
    let patient = Patient {
        patient_mrn: 1234,
        ward: "b",
    };
    let calls = || {
        testing::capture(|| {
            enrol(1234, "b");
            admit(&patient);
        })
        .1
    };
    let before = calls();
    assert_eq!(before[0].tag("patient_mrn"), Some(&TagValue::I64(1234)));
    assert_eq!(
        before[1].tag("patient.patient_mrn"),
        Some(&TagValue::I64(1234))
    );
    // Building a tracer adds its names for the whole process; each call
    // site's decision is made again.
    drop(
        tracekit::Tracer::builder()
            .redact_names(["MRN"])
            .exporter(tracekit::export::Memory::new())
            .build(),
    );
    let after = calls();
    let redacted = TagValue::from("[redacted]");
    assert_eq!(after[0].tag("patient_mrn"), Some(&redacted));
    assert_eq!(after[0].tag("ward"), Some(&TagValue::from("b")));
    assert_eq!(after[1].tag("patient.patient_mrn"), Some(&redacted));
    assert_eq!(after[1].tag("patient.ward"), Some(&TagValue::from("b")));
}

#[test]
fn the_scrubber_replaces_tokens_cards_and_addresses_before_export() {
    let memory = tracekit::export::Memory::new();
    let tracer = tracekit::Tracer::builder()
        .exporter(memory.clone())
        .scrub_values(true)
        .build();
    let span = tracer.span("signup").start();
    span.set_tag("header", "Bearer eyJhbGciOi.J9x-y_z");
    span.set_tag("note", "card 4111-1111-1111-1111 for bob@example.com");
    span.set_tag("count", 4111111111111111u64);
    span.log([("message", "mailed ada@example.org")]);
    span.finish();
    tracer.flush().unwrap();
    let spans = memory.spans();
    let span = &spans[0];
    assert_eq!(
        span.tag("header"),
        Some(&TagValue::from("Bearer [redacted]"))
    );
    assert_eq!(
        span.tag("note"),
        Some(&TagValue::from("card [redacted] for [redacted]"))
    );
    // Numbers are not text: a number is kept as it is.
    assert_eq!(span.tag("count"), Some(&TagValue::I64(4111111111111111)));
    assert_eq!(
        span.logs[0].fields[0].1,
        TagValue::from("mailed [redacted]")
    );
}

#[test]
fn without_the_scrubber_values_are_exported_as_set() {
    let memory = tracekit::export::Memory::new();
    let tracer = tracekit::Tracer::builder().exporter(memory.clone()).build();
    tracer
        .span("signup")
        .start()
        .set_tag("note", "bob@example.com");
    tracer.flush().unwrap();
    assert_eq!(
        memory.spans()[0].tag("note"),
        Some(&TagValue::from("bob@example.com"))
    );
}

/// Past the 48 arguments a call site's mask covers, names are checked at
/// each call.
#[allow(clippy::too_many_arguments)]
#[traced]
fn wide(
    a0: u8,
    a1: u8,
    a2: u8,
    a3: u8,
    a4: u8,
    a5: u8,
    a6: u8,
    a7: u8,
    a8: u8,
    a9: u8,
    a10: u8,
    a11: u8,
    a12: u8,
    a13: u8,
    a14: u8,
    a15: u8,
    a16: u8,
    a17: u8,
    a18: u8,
    a19: u8,
    a20: u8,
    a21: u8,
    a22: u8,
    a23: u8,
    a24: u8,
    a25: u8,
    a26: u8,
    a27: u8,
    a28: u8,
    a29: u8,
    a30: u8,
    a31: u8,
    a32: u8,
    a33: u8,
    a34: u8,
    a35: u8,
    a36: u8,
    a37: u8,
    a38: u8,
    a39: u8,
    a40: u8,
    a41: u8,
    a42: u8,
    a43: u8,
    a44: u8,
    a45: u8,
    a46: u8,
    a47: u8,
    a48: u8,
    api_token: &str,
    plain: &str,
) {
}

#[test]
fn an_argument_past_the_masks_bits_is_still_redacted() {
    let (_, spans) = testing::capture(|| {
        wide(
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, "t0k3n", "kept",
        )
    });
    assert_eq!(
        spans[0].tag("api_token"),
        Some(&TagValue::from("[redacted]"))
    );
    assert_eq!(spans[0].tag("plain"), Some(&TagValue::from("kept")));
    assert_eq!(spans[0].tag("a48"), Some(&TagValue::I64(0)));
}
