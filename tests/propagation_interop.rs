//! Interoperability with a peer nobody here wrote: OpenTelemetry's Python
//! propagators (`interop/peer.py`, pinned in `interop/requirements.txt`).
//! Headers written by tracekit must be read by Python to the same trace id,
//! span id, sampled flag and baggage, and the other way round.
//!
//! The test command (`scripts/test-all.sh`) creates the virtualenv and sets
//! `TRACEKIT_PYTHON`. Without the peer these tests fail; they never skip.

#[path = "support/formats.rs"]
mod support;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use tracekit::{Baggage, SpanContext, SpanId, TraceId};

fn python() -> PathBuf {
    let path = std::env::var_os("TRACEKIT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/interop-venv/bin/python")
        });
    assert!(
        path.exists(),
        "the Python interop peer is not set up ({}): run scripts/test-all.sh, which creates it",
        path.display()
    );
    path
}

/// Sends `requests` to the peer in one run; returns its answer lines.
fn ask_peer(requests: &str) -> Vec<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop/peer.py");
    let mut child = Command::new(python())
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the Python peer starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(requests.as_bytes())
        .expect("requests sent");
    let output = child.wait_with_output().expect("the Python peer ran");
    assert!(
        output.status.success(),
        "the Python peer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn encode_baggage(baggage: &Baggage) -> String {
    let items: Vec<String> = baggage
        .iter()
        .map(|(k, v)| format!("{}={}", query(k), query(v)))
        .collect();
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join("&")
    }
}

fn query(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn decode_baggage(text: &str) -> Baggage {
    if text == "-" {
        return Baggage::new();
    }
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (unquery(k), unquery(v)))
        .collect()
}

fn unquery(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn contexts() -> Vec<SpanContext> {
    vec![
        SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            true,
        )
        .with_baggage_item("tenant", "acme")
        .with_baggage_item("user", "Ada Lovelace, née Byron; 50% + more"),
        SpanContext::new(TraceId::from_u128(0xabcd), SpanId::new(1).unwrap(), false),
        SpanContext::new(
            TraceId::from_u128(u128::MAX),
            SpanId::new(u64::MAX).unwrap(),
            true,
        )
        .with_baggage_item("k", "v"),
    ]
}

#[test]
fn python_reads_what_tracekit_writes() {
    let mut requests = String::new();
    let mut expected = Vec::new();
    for (names, format, carries_baggage) in support::formats() {
        for context in contexts() {
            let mut headers: Vec<(String, String)> = Vec::new();
            format.inject(&context, &mut headers);
            requests.push_str(&format!("extract {names} {}\n", headers.len()));
            for (key, value) in &headers {
                requests.push_str(&format!("{key}\t{value}\n"));
            }
            expected.push((names, context, carries_baggage));
        }
    }
    let answers = ask_peer(&requests);
    assert_eq!(answers.len(), expected.len(), "{answers:?}");
    for (answer, (names, context, carries_baggage)) in answers.iter().zip(expected) {
        let fields: Vec<&str> = answer.split(' ').collect();
        assert_eq!(fields[0], "context", "{answer}");
        assert_eq!(
            fields[1], "1",
            "{names}: Python found no valid context in {answer}"
        );
        assert_eq!(
            fields[2],
            context.trace_id().to_string(),
            "{names} trace id"
        );
        assert_eq!(fields[3], context.span_id().to_string(), "{names} span id");
        assert_eq!(fields[4] == "1", context.is_sampled(), "{names} sampled");
        if carries_baggage {
            assert_eq!(
                &decode_baggage(fields[5]),
                context.baggage(),
                "{names} baggage"
            );
        }
    }
}

#[test]
fn tracekit_reads_what_python_writes() {
    let mut requests = String::new();
    let mut expected = Vec::new();
    for (names, format, carries_baggage) in support::formats() {
        for context in contexts() {
            requests.push_str(&format!(
                "inject {names} {} {} {} {}\n",
                context.trace_id(),
                context.span_id(),
                u8::from(context.is_sampled()),
                encode_baggage(context.baggage())
            ));
            expected.push((names, format.clone(), context, carries_baggage));
        }
    }
    let answers = ask_peer(&requests);
    let mut lines = answers.iter();
    for (names, format, context, carries_baggage) in expected {
        let header = lines.next().expect("an answer");
        let count: usize = header
            .strip_prefix("headers ")
            .expect("headers N")
            .parse()
            .unwrap();
        let headers: HashMap<String, String> = (0..count)
            .map(|_| {
                let (key, value) = lines.next().unwrap().split_once('\t').unwrap();
                (key.to_owned(), value.to_owned())
            })
            .collect();
        let back = format
            .extract(&headers)
            .unwrap_or_else(|| panic!("{names}: tracekit found no context in {headers:?}"));
        assert_eq!(
            back.trace_id(),
            context.trace_id(),
            "{names} trace id from {headers:?}"
        );
        assert_eq!(back.span_id(), context.span_id(), "{names} span id");
        assert_eq!(
            back.is_sampled(),
            context.is_sampled(),
            "{names} sampled from {headers:?}"
        );
        assert!(back.is_remote());
        if carries_baggage {
            assert_eq!(
                back.baggage(),
                context.baggage(),
                "{names} baggage from {headers:?}"
            );
        }
    }
    assert!(lines.next().is_none());
}
