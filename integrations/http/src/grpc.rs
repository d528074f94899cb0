//! gRPC (tonic) through the server layer: a call is named
//! `package.Service/Method` and tagged `rpc.system`, `rpc.service`,
//! `rpc.method`, as OpenTelemetry's RPC conventions say; its outcome is the
//! `grpc-status` of its trailers (or of the headers of a trailers-only
//! answer), not the HTTP status, which is 200 either way.

use http::HeaderMap;
use http::header::CONTENT_TYPE;
use tracekit_runtime::SpanRef;

/// Whether a request or response with these headers is gRPC.
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc"))
}

/// The service and the method a gRPC path (`/package.Service/Method`)
/// names.
pub(crate) fn service_and_method(path: &str) -> Option<(&str, &str)> {
    let (service, method) = path.strip_prefix('/')?.split_once('/')?;
    let plain = |part: &str| !part.is_empty() && !part.contains('/');
    (plain(service) && plain(method)).then_some((service, method))
}

/// The status codes that make a server's span an error (OpenTelemetry's
/// RPC conventions: the others are the client's doing).
const SERVER_ERRORS: [u8; 6] = [2, 4, 12, 13, 14, 15];

/// Records the `grpc-status` among `headers` (headers or trailers) on
/// `span`, if there is one.
pub(crate) fn record_status(headers: &HeaderMap, span: &SpanRef) {
    let Some(code) = headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u8>().ok())
    else {
        return;
    };
    span.set_tag("rpc.grpc.status_code", i64::from(code));
    if SERVER_ERRORS.contains(&code) {
        span.set_tag("error", true);
        span.set_tag("error.type", status_name(code));
    }
}

fn status_name(code: u8) -> &'static str {
    match code {
        0 => "OK",
        1 => "CANCELLED",
        2 => "UNKNOWN",
        3 => "INVALID_ARGUMENT",
        4 => "DEADLINE_EXCEEDED",
        5 => "NOT_FOUND",
        6 => "ALREADY_EXISTS",
        7 => "PERMISSION_DENIED",
        8 => "RESOURCE_EXHAUSTED",
        9 => "FAILED_PRECONDITION",
        10 => "ABORTED",
        11 => "OUT_OF_RANGE",
        12 => "UNIMPLEMENTED",
        13 => "INTERNAL",
        14 => "UNAVAILABLE",
        15 => "DATA_LOSS",
        16 => "UNAUTHENTICATED",
        _ => "_OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grpc_path_names_its_service_and_method() {
        assert_eq!(
            service_and_method("/grpc.health.v1.Health/Check"),
            Some(("grpc.health.v1.Health", "Check"))
        );
        for odd in ["/", "/onlyservice", "//Check", "/a/b/c", "no-slash"] {
            assert_eq!(service_and_method(odd), None, "{odd}");
        }
    }
}
