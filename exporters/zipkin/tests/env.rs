//! `ZipkinBuilder::from_env` reads `OTEL_EXPORTER_ZIPKIN_ENDPOINT` and
//! `OTEL_EXPORTER_ZIPKIN_TIMEOUT`; a value that cannot be used is an error
//! naming its variable.
//!
//! One test per binary: it changes the process environment.

use std::time::Duration;

use tracekit_zipkin::ZipkinBuilder;

fn set(name: &str, value: &str) {
    // SAFETY: this binary runs a single test, so no other thread reads the
    // environment while it changes.
    unsafe { std::env::set_var(name, value) }
}

#[test]
fn the_zipkin_variables_configure_the_exporter() {
    set(
        "OTEL_EXPORTER_ZIPKIN_ENDPOINT",
        "http://zipkin:9411/api/v2/spans",
    );
    set("OTEL_EXPORTER_ZIPKIN_TIMEOUT", "2500");
    let builder = ZipkinBuilder::from_env().unwrap();
    assert!(format!("{builder:?}").contains(&format!("{:?}", Duration::from_millis(2500))));
    assert_eq!(
        builder.build().unwrap().url(),
        "http://zipkin:9411/api/v2/spans"
    );
    set("OTEL_EXPORTER_ZIPKIN_TIMEOUT", "soon");
    let err = ZipkinBuilder::from_env().unwrap_err();
    assert_eq!(err.source, "OTEL_EXPORTER_ZIPKIN_TIMEOUT");
}
