//! Extraction of hostile header sets of 64 KB, format by format: each
//! must take well under a millisecond, in time linear in its size.
//!
//! Run with `cargo bench --bench propagation`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use tracekit::propagation::{Composite, Propagator};

const SIZE: usize = 64 * 1024;

type Headers = Vec<(String, String)>;

fn header(key: &str, value: String) -> Headers {
    vec![(key.to_owned(), value)]
}

/// `count` headers `{prefix}{i}` that fill SIZE bytes, after `ids`.
fn many(ids: Headers, prefix: &str) -> Headers {
    let mut headers = ids;
    let mut i = 0;
    while headers
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum::<usize>()
        < SIZE
    {
        headers.push((format!("{prefix}{i}"), format!("value-{i}-padding-padding")));
        i += 1;
    }
    headers
}

fn cases() -> Vec<(&'static str, &'static str, Headers)> {
    let entries: Vec<String> = (0..SIZE / 4).map(|i| format!("k{i}=v{i}")).collect();
    let states: Vec<String> = (0..SIZE / 4).map(|i| format!("k{i}=v")).collect();
    vec![
        (
            "W3C baggage, one 64 KB header",
            "tracecontext,baggage",
            header("baggage", entries.join(",")[..SIZE].to_owned()),
        ),
        (
            "W3C tracestate, 64 KB",
            "tracecontext",
            vec![
                (
                    "traceparent".into(),
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".into(),
                ),
                ("tracestate".into(), states.join(",")[..SIZE].to_owned()),
            ],
        ),
        (
            "Jaeger, 64 KB of uberctx-* headers",
            "jaeger",
            many(
                header(
                    "uber-trace-id",
                    "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:1".into(),
                ),
                "uberctx-item",
            ),
        ),
        (
            "Jaeger, one 64 KB uber-trace-id",
            "jaeger",
            header("uber-trace-id", "%3A".repeat(SIZE / 3)),
        ),
        (
            "OpenTracing, 64 KB of ot-baggage-* headers",
            "ottrace",
            many(
                vec![
                    (
                        "ot-tracer-traceid".into(),
                        "0af7651916cd43dd8448eb211c80319c".into(),
                    ),
                    ("ot-tracer-spanid".into(), "b7ad6b7169203331".into()),
                ],
                "ot-baggage-item",
            ),
        ),
        (
            "B3, one 64 KB b3 header",
            "b3",
            header("b3", "-".repeat(SIZE)),
        ),
    ]
}

fn extraction(c: &mut Criterion) {
    let mut group = c.benchmark_group("extract 64 KB");
    for (name, formats, headers) in cases() {
        let propagator = Composite::from_names(formats).expect("known formats");
        group.bench_function(name, |b| {
            b.iter(|| black_box(propagator.extract(black_box(&headers))))
        });
        let mut map = http::HeaderMap::new();
        for (key, value) in &headers {
            if let (Ok(key), Ok(value)) = (
                http::HeaderName::from_bytes(key.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                map.append(key, value);
            }
        }
        group.bench_function(format!("{name} (http::HeaderMap)"), |b| {
            b.iter(|| black_box(propagator.extract(black_box(&map))))
        });
    }
    group.finish();
}

criterion_group!(benches, extraction);
criterion_main!(benches);
