//! `OtlpBuilder::from_env` reads the standard `OTEL_EXPORTER_OTLP_*`
//! variables: the traces-specific one wins, the base endpoint gets
//! `/v1/traces`, and a value that cannot be used is an error naming it.
//!
//! One test per binary: it changes the process environment.

use std::time::Duration;

use tracekit_otlp::{OtlpBuilder, Protocol};

fn set(name: &str, value: &str) {
    // SAFETY: this binary runs a single test, so no other thread reads the
    // environment while it changes.
    unsafe { std::env::set_var(name, value) }
}

fn remove(name: &str) {
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var(name) }
}

#[test]
fn the_otlp_variables_configure_the_exporter_and_bad_values_are_named() {
    let built = |builder: OtlpBuilder| builder.build().expect("valid").url().to_owned();
    assert_eq!(
        built(OtlpBuilder::from_env().unwrap()),
        "http://localhost:4318/v1/traces",
        "the default"
    );

    set("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/");
    assert_eq!(
        built(OtlpBuilder::from_env().unwrap()),
        "http://collector:4318/v1/traces"
    );
    set(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "http://tempo:4318/otlp/traces",
    );
    assert_eq!(
        built(OtlpBuilder::from_env().unwrap()),
        "http://tempo:4318/otlp/traces",
        "used as is"
    );

    set("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json");
    set("OTEL_EXPORTER_OTLP_TIMEOUT", "2500");
    set("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcret");
    set("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip");
    let builder = format!("{:?}", OtlpBuilder::from_env().unwrap());
    assert!(builder.contains("Gzip"), "{builder}");
    assert!(builder.contains("HttpJson"), "{builder}");
    assert!(builder.contains(&format!("{:?}", Duration::from_millis(2500))));
    assert!(builder.contains("\"api-key\""), "{builder}");
    assert!(
        !builder.contains("cret"),
        "no header value is shown: {builder}"
    );

    set("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf");
    assert!(format!("{:?}", OtlpBuilder::from_env().unwrap()).contains("HttpProtobuf"));
    remove("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");

    for (name, value) in [
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "ten seconds"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd"),
    ] {
        let kept = std::env::var(name).unwrap();
        set(name, value);
        let err = OtlpBuilder::from_env().expect_err(value);
        assert_eq!(err.source, name, "{err}");
        set(name, &kept);
    }
    assert_eq!(Protocol::from_name("http/json"), Ok(Protocol::HttpJson));

    // gRPC takes the base endpoint as is (default port 4317), and needs
    // its feature.
    set("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
    remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    let grpc = OtlpBuilder::from_env().unwrap().build();
    if cfg!(feature = "grpc") {
        assert_eq!(grpc.unwrap().url(), "http://collector:4318/");
    } else {
        let err = grpc.err().expect("gRPC is a feature");
        assert!(err.reason.contains("`grpc` feature"), "{err}");
    }
}
