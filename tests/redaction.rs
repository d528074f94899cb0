//! Arguments whose names look like secrets are never recorded as given.

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
