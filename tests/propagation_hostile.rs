//! Whatever arrives in headers is hostile: every extractor takes valid
//! values mutated byte by byte, repeated headers and inputs grown to a
//! megabyte without panicking, in time that grows with the input's size
//! (not its square), and whatever it extracted injects again only as valid
//! header names and values. The loops are bounded; the time bound is far
//! above what a linear parser needs even unoptimised, and far below what a
//! quadratic one takes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tracekit::propagation::{Composite, Propagator, extract_binary, inject_binary};
use tracekit::{Baggage, SpanContext, SpanId, TraceId};

/// Far above a linear pass over a megabyte, even in a debug build.
const TIME_PER_INPUT: Duration = Duration::from_secs(2);

fn every_format() -> Composite {
    Composite::from_names("tracecontext,baggage,b3,b3multi,jaeger,ottrace").expect("known formats")
}

fn one_format(name: &str) -> Composite {
    Composite::from_names(name).expect("a known format")
}

/// A valid header set of every format, baggage included.
fn valid_headers() -> Vec<(String, String)> {
    let context = SpanContext::new(
        TraceId::from_u128(0x0af7_6519_16cd_43dd_8448_eb21_1c80_319c),
        SpanId::new(0xb7ad_6b71_6920_3331).unwrap(),
        true,
    )
    .with_baggage(Baggage::new().with("tenant", "acme").with("user", "ada l"));
    let mut headers = HashMap::new();
    every_format().inject(&context, &mut headers);
    headers.insert(
        "tracestate".to_owned(),
        "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7".to_owned(),
    );
    let mut headers: Vec<(String, String)> = headers.into_iter().collect();
    headers.sort();
    headers
}

/// Extracts with every format, one at a time and together, then injects
/// what came out; fails on a panic (the test dies), a slow input, or an
/// invalid header written.
fn survives(carrier: &Vec<(String, String)>) {
    let started = Instant::now();
    let names = [
        "tracecontext",
        "baggage",
        "b3",
        "b3multi",
        "jaeger",
        "ottrace",
    ];
    let mut extracted: Vec<SpanContext> = names
        .iter()
        .filter_map(|name| one_format(name).extract(carrier))
        .collect();
    extracted.extend(every_format().extract(carrier));
    assert!(
        started.elapsed() < TIME_PER_INPUT,
        "extraction took {:?} for {} bytes",
        started.elapsed(),
        carrier
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum::<usize>()
    );
    for context in extracted {
        let mut out: HashMap<String, String> = HashMap::new();
        every_format().inject(&context, &mut out);
        for (name, value) in &out {
            assert!(
                http::HeaderName::from_bytes(name.as_bytes()).is_ok(),
                "invalid header name written: {name:?}"
            );
            assert!(
                http::HeaderValue::from_str(value).is_ok(),
                "invalid value written for {name}: {value:?}"
            );
        }
        let mut map = http::HeaderMap::new();
        every_format().inject(&context, &mut map);
    }
}

#[test]
fn valid_values_mutated_byte_by_byte_never_break_extraction() {
    let valid = valid_headers();
    let replacements = [
        "\0", "\r", "\n", "\r\n", " ", "\t", "-", ":", ",", ";", "=", "%", "%zz", "z", "Z", "0",
        "é", "\u{7f}", "\u{feff}", "",
    ];
    for index in 0..valid.len() {
        let (key, value) = &valid[index];
        let positions: Vec<usize> = value.char_indices().map(|(i, _)| i).collect();
        for &at in &positions {
            for with in replacements {
                let mut mutated = valid.clone();
                let end = value[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                mutated[index].1 = format!("{}{with}{}", &value[..at], &value[end..]);
                survives(&mutated);
            }
        }
        // The key mutated too: cut, cased, extended with junk.
        for bad_key in [
            key.to_uppercase(),
            format!("{key}é"),
            format!("é{key}"),
            format!("{key}\r\nx-injected: 1"),
            key[..key.len() / 2].to_owned(),
        ] {
            let mut mutated = valid.clone();
            mutated[index].0 = bad_key;
            survives(&mutated);
        }
    }
}

#[test]
fn repeated_headers_with_other_values_are_malformed_not_a_panic() {
    let valid = valid_headers();
    let mut doubled = valid.clone();
    for (key, value) in &valid {
        doubled.push((key.to_uppercase(), format!("{value}0")));
        doubled.push((key.clone(), value.clone()));
    }
    survives(&doubled);
    let context = every_format().extract(&doubled);
    assert!(
        context.is_none_or(|c| !c.is_valid() || c.trace_id().to_u128() != 0),
        "no half context"
    );
}

#[test]
fn inputs_grown_to_a_megabyte_extract_in_linear_time() {
    const MEGABYTE: usize = 1 << 20;
    let mut inputs: Vec<Vec<(String, String)>> = Vec::new();
    // One huge value per header.
    for (key, value) in valid_headers() {
        let grown = value.repeat(MEGABYTE / value.len().max(1) + 1);
        inputs.push(vec![(key.clone(), grown)]);
        inputs.push(vec![(key, format!("{value}{}", ",".repeat(MEGABYTE)))]);
    }
    // Many items: baggage headers, `uberctx-*` and `ot-baggage-*` keys.
    let trace = (
        "uber-trace-id".to_owned(),
        "0af7651916cd43dd8448eb211c80319c:b7ad6b7169203331:0:1".to_owned(),
    );
    let ot = [
        (
            "ot-tracer-traceid".to_owned(),
            "0af7651916cd43dd8448eb211c80319c".to_owned(),
        ),
        ("ot-tracer-spanid".to_owned(), "b7ad6b7169203331".to_owned()),
    ];
    let many = MEGABYTE / 64;
    let mut jaeger = vec![trace];
    jaeger.extend((0..many).map(|i| (format!("uberctx-item{i}"), format!("value{i}"))));
    inputs.push(jaeger);
    let mut opentracing = ot.to_vec();
    opentracing.extend((0..many).map(|i| (format!("ot-baggage-item{i}"), format!("v{i}"))));
    inputs.push(opentracing);
    let entries: Vec<String> = (0..many).map(|i| format!("k{i}=v{i}")).collect();
    inputs.push(vec![("baggage".to_owned(), entries.join(","))]);
    inputs.push(
        (0..many)
            .map(|i| ("baggage".to_owned(), format!("k{i}=v")))
            .collect(),
    );
    inputs.push(
        (0..many)
            .map(|i| ("tracestate".to_owned(), format!("k{i}=v")))
            .collect(),
    );
    for input in &inputs {
        survives(input);
    }
}

#[test]
fn a_header_map_past_its_limit_drops_what_it_cannot_hold() {
    let baggage: Baggage = (0..40_000).map(|i| (format!("k{i}"), "v")).collect();
    let context = SpanContext::new(TraceId::from_u128(1), SpanId::new(1).unwrap(), true)
        .with_baggage(baggage);
    // A map filled to just below its limit (`insert` panics past it).
    let mut map = http::HeaderMap::new();
    let mut filled = 0;
    while map
        .try_insert(
            http::HeaderName::from_bytes(format!("x-filler-{filled}").as_bytes()).unwrap(),
            http::HeaderValue::from_static("1"),
        )
        .is_ok()
    {
        filled += 1;
    }
    map.remove(format!("x-filler-{}", filled - 1));
    let before = tracekit::propagation::malformed_count();
    one_format("tracecontext,jaeger,ottrace").inject(&context, &mut map);
    assert!(map.len() < filled + 5, "{} entries", map.len());
    assert!(
        tracekit::propagation::malformed_count() > before,
        "what did not fit was counted"
    );
}

#[test]
fn arbitrary_bytes_never_break_the_binary_format() {
    let context = SpanContext::new(TraceId::from_u128(7), SpanId::new(9).unwrap(), true)
        .with_baggage(Baggage::new().with("k", "v"));
    let valid = inject_binary(&context);
    for index in 0..valid.len() {
        for byte in [0u8, 1, 0x7f, 0x80, 0xff] {
            let mut mutated = valid.clone();
            mutated[index] = byte;
            let _ = extract_binary(&mutated);
            let _ = extract_binary(&mutated[..index]);
        }
    }
    let mut grown = valid.clone();
    grown.resize(1 << 20, 0xff);
    let _ = extract_binary(&grown);
}
