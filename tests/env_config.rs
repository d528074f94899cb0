//! `tracekit::from_env` reads the standard `OTEL_*` variables; a bad
//! value is reported and its default kept, never a panic.
//!
//! One test per binary: it changes the process environment.

use tracekit::Sampler;

fn set(name: &str, value: &str) {
    // SAFETY: this binary runs a single test, so no other thread reads the
    // environment while it changes.
    unsafe { std::env::set_var(name, value) }
}

#[test]
fn otel_variables_configure_the_tracer_and_bad_values_fall_back() {
    set("OTEL_SERVICE_NAME", "checkout-api");
    set("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
    set("OTEL_TRACES_SAMPLER_ARG", "0.25");
    set("OTEL_TRACES_EXPORTER", "none");
    let tracer = tracekit::from_env().build();
    assert_eq!(tracer.service_name(), "checkout-api");
    assert_eq!(
        tracer.sampler(),
        &Sampler::parent_based(Sampler::ratio(0.25))
    );

    set("OTEL_TRACES_SAMPLER", "traceidratio");
    set("OTEL_TRACES_SAMPLER_ARG", "two");
    let tracer = tracekit::from_env().build();
    assert_eq!(
        tracer.sampler(),
        &Sampler::default(),
        "an unreadable ratio keeps the default"
    );

    set("OTEL_TRACES_SAMPLER", "sometimes");
    let tracer = tracekit::from_env().build();
    assert_eq!(
        tracer.sampler(),
        &Sampler::default(),
        "an unknown sampler keeps the default"
    );

    set("OTEL_PROPAGATORS", "b3multi,jaeger");
    let tracer = tracekit::from_env().build();
    let context = tracekit::SpanContext::new(
        tracekit::TraceId::from_u128(1),
        tracekit::SpanId::new(2).unwrap(),
        true,
    );
    let mut headers = std::collections::HashMap::new();
    tracer.inject(&context, &mut headers);
    let mut names: Vec<&str> = headers.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "uber-trace-id",
            "x-b3-sampled",
            "x-b3-spanid",
            "x-b3-traceid"
        ]
    );

    set("OTEL_PROPAGATORS", "tracecontext,carrier-pigeon");
    let tracer = tracekit::from_env().build();
    let mut headers = std::collections::HashMap::new();
    tracer.inject(&context, &mut headers);
    assert!(
        headers.contains_key("traceparent"),
        "an unknown name keeps the default"
    );

    // OTEL_SERVICE_NAME wins over a `service.name` among the attributes;
    // a member that cannot be read is left out, the others kept.
    set(
        "OTEL_RESOURCE_ATTRIBUTES",
        "service.name=from-attributes, team=pay%20ments,broken",
    );
    let tracer = tracekit::from_env().build();
    assert_eq!(tracer.service_name(), "checkout-api");
    let team = tracer.resource().get("team").and_then(|v| v.as_str());
    assert_eq!(team, Some("pay ments"));
    assert!(tracer.resource().get("broken").is_none());
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var("OTEL_SERVICE_NAME") };
    let tracer = tracekit::from_env().build();
    assert_eq!(tracer.service_name(), "from-attributes");

    set("OTEL_SDK_DISABLED", "true");
    let guard = tracekit::init();
    assert!(!guard.is_enabled(), "a disabled SDK installs nothing");
    assert!(!tracekit::is_installed());
}
