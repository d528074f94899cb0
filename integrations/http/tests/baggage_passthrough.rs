//! Baggage that arrives at a server behind `ServerLayer` and leaves
//! through the reqwest middleware: whatever bytes the caller sent, what the
//! next hop receives is W3C baggage it can parse, and every valid member
//! the caller sent is in it.

mod support;

#[path = "../../../tests/support/baggage_grammar.rs"]
mod grammar;

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use proptest::prelude::*;
use support::{client, serve};
use tracekit_http::ServerLayer;

/// The front service (its handler calls the back one with the traced
/// client and answers with what the back one received) and a runtime
/// that serves both for every case.
fn front() -> &'static (tokio::runtime::Runtime, SocketAddr) {
    static FRONT: OnceLock<(tokio::runtime::Runtime, SocketAddr)> = OnceLock::new();
    FRONT.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let address = runtime.block_on(async {
            let back = serve(Router::new().route(
                "/back",
                get(|headers: HeaderMap| async move {
                    match headers.get("baggage") {
                        Some(value) => {
                            format!("baggage: {}", value.to_str().expect("visible ASCII"))
                        }
                        None => "none".to_owned(),
                    }
                }),
            ))
            .await;
            serve(
                Router::new()
                    .route(
                        "/front",
                        get(move || async move {
                            let response = client()
                                .get(format!("http://{back}/back"))
                                .send()
                                .await
                                .expect("the back service answers");
                            response.text().await.expect("a body")
                        }),
                    )
                    .layer(ServerLayer::new()),
            )
            .await
        });
        (runtime, address)
    })
}

/// Sends `baggage` as raw bytes to the front service: what the back one got.
fn relayed(baggage: &[u8]) -> String {
    let (runtime, address) = front();
    let value = http::HeaderValue::from_bytes(baggage).expect("a header value");
    runtime.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a client")
            .get(format!("http://{address}/front"))
            .header("baggage", value)
            .send()
            .await
            .expect("the front service answers")
            .text()
            .await
            .expect("a body")
    })
}

#[test]
fn odd_properties_are_left_out_and_the_member_goes_on() {
    let received = relayed(b"user=ada;note=\"hi there\";;x\\y,b=2;p;q=1");
    assert_eq!(received, "baggage: b=2;p;q=1,user=ada");
    let received = relayed("tenant=acme;\u{1F642};ok".as_bytes());
    assert_eq!(received, "baggage: tenant=acme;ok");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn what_goes_on_is_grammatical_and_keeps_every_valid_member(
        valid in prop::collection::vec(
            (any::<String>(), prop::collection::vec(prop::collection::vec(any::<u8>(), 0..6), 0..3)),
            1..4,
        ),
        garbage in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 0..3),
    ) {
        let mut header: Vec<u8> = Vec::new();
        for (i, (value, properties)) in valid.iter().enumerate() {
            if i > 0 {
                header.push(b',');
            }
            header.extend(format!("valid{i}x={}", grammar::percent_encoded(value)).bytes());
            for property in properties {
                header.push(b';');
                // Anything a header value may hold, but a comma (which
                // would end the member).
                header.extend(property.iter().filter(|b| **b != b',' && **b != b'\n' && **b != b'\r' && **b != 0x7f && (**b >= 0x20 || **b == b'\t')));
            }
        }
        for bytes in &garbage {
            header.push(b',');
            header.extend(bytes.iter().filter(|b| **b != 0x7f && (**b >= 0x20 || **b == b'\t')));
        }
        let received = relayed(&header);
        let out = received.strip_prefix("baggage: ");
        prop_assert!(out.is_some(), "nothing went on from {:?}", String::from_utf8_lossy(&header));
        let out = out.unwrap();
        prop_assert!(grammar::is_grammatical(out), "{:?}", out);
        let members: Vec<(&str, &str)> = out
            .split(',')
            .filter_map(|member| member.split(';').next()?.split_once('='))
            .collect();
        for (i, (value, _)) in valid.iter().enumerate() {
            let key = format!("valid{i}x");
            let sent = members.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
            prop_assert!(sent.is_some(), "{} missing from {:?}", key, out);
            let decoded = percent_decode(sent.unwrap());
            prop_assert_eq!(decoded.as_deref(), Some(value.as_str()));
        }
    }
}

/// A percent-encoded value decoded (the check's own, not tracekit's).
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(text.get(i + 1..i + 3)?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
