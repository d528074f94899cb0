//! The spans the OTLP tests encode.

#![allow(dead_code)]

use std::collections::HashMap;

use tracekit_runtime::export::Memory;
use tracekit_runtime::{SpanKind, SpanRecord, Tracer, TracerBuilder};

/// The spans of a server handling a request that carried W3C headers: a
/// failing child with tags of every type and a log, and a job that
/// follows from the request.
pub fn spans() -> Vec<SpanRecord> {
    spans_through(Tracer::builder())
}

/// [`spans`], through a tracer `builder` makes (with its own exporters).
pub fn spans_through(builder: TracerBuilder) -> Vec<SpanRecord> {
    let memory = Memory::new();
    let tracer = builder.exporter(memory.clone()).build();
    {
        let headers: HashMap<String, String> = [
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
            ),
            ("tracestate", "congo=t61rcWkgMzE"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let remote = tracer.extract(&headers).expect("the headers carry a trace");
        let server = tracer
            .span("GET /cart")
            .child_of(&remote)
            .kind(SpanKind::Server)
            .start();
        let query = tracer
            .span("query")
            .child_of(server.context())
            .kind(SpanKind::Client)
            .tag("ok", false)
            .tag("rows", -3)
            .tag("bytes", u64::MAX)
            .tag("ratio", 0.5)
            .tag("db", "carts")
            .start();
        query.log([("event", "retry"), ("attempt", "2")]);
        query.record_error("Timeout", "no answer in 2 s");
        let request = server.context();
        query.finish();
        server.finish();
        tracer
            .span("job")
            .ignore_active()
            .follows_from(&request)
            .kind(SpanKind::Consumer)
            .start()
            .finish();
    }
    tracer.flush().expect("flushed");
    memory.spans()
}
