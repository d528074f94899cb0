//! What OpenTelemetry's HTTP semantic conventions make of a request and a
//! response: the method as a tag and as a span name, the protocol version,
//! the host and port, the error type of a status.

#[cfg(feature = "server")]
use http::{HeaderMap, Uri};
use http::{Method, StatusCode, Version};
use tracekit_runtime::{TagValue, Text};

/// A tag of borrowed text: kept inline when short (no allocation).
pub(crate) fn text(text: &str) -> TagValue {
    TagValue::Str(Text::new(text))
}

/// An IP address as a tag, written without the formatting's `String`
/// (an IPv4 address, and most IPv6 ones, then stay inline).
pub(crate) fn ip_text(ip: std::net::IpAddr) -> TagValue {
    use std::io::Write;
    // The longest form, an IPv6 address ending in an IPv4 one, is 45 bytes.
    let mut buffer = [0; 45];
    let mut rest = &mut buffer[..];
    let written = write!(rest, "{ip}").map(|()| 45 - rest.len());
    match written.map(|written| std::str::from_utf8(&buffer[..written])) {
        Ok(Ok(written)) => text(written),
        _ => TagValue::from(ip.to_string()),
    }
}

/// The method as `http.request.method` records it: one of the methods HTTP
/// defines, or `_OTHER` (a method is free text; a tag of any text a client
/// sends would let it create as many values as it likes).
pub(crate) fn method_tag(method: &Method) -> &'static str {
    known_method(method).unwrap_or("_OTHER")
}

/// The method in a span name: a known method, or `HTTP`.
pub(crate) fn method_name(method: &Method) -> &'static str {
    known_method(method).unwrap_or("HTTP")
}

fn known_method(method: &Method) -> Option<&'static str> {
    Some(match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::CONNECT => "CONNECT",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::PATCH => "PATCH",
        _ => return None,
    })
}

/// `network.protocol.version`.
pub(crate) fn protocol_version(version: Version) -> Option<&'static str> {
    Some(match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => return None,
    })
}

/// The host a request names and its port, if it names one: from the URI's
/// authority (HTTP/2, a client's absolute URI), else from `Host`.
#[cfg(feature = "server")]
pub(crate) fn host_and_port<'a>(
    uri: &'a Uri,
    headers: &'a HeaderMap,
) -> Option<(&'a str, Option<u16>)> {
    if let Some(authority) = uri.authority() {
        return Some((unbracketed(authority.host()), authority.port_u16()));
    }
    host_header(headers.get(http::header::HOST)?.to_str().ok()?)
}

/// The bytes a registered host name may hold (RFC 3986's unreserved and
/// sub-delims, and `%` of percent-encoding).
#[cfg(feature = "server")]
const HOST_BYTES: [bool; 256] = {
    let mut allowed = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        allowed[byte] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'%'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            );
        byte += 1;
    }
    allowed
};

/// A `Host` header's host (without an IPv6 address's brackets) and port;
/// `None` when it is not one. Read in place: parsing it as an `Authority`
/// would copy it, for every request.
#[cfg(feature = "server")]
fn host_header(value: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = match value.strip_prefix('[') {
        Some(bracketed) => {
            let (address, after) = bracketed.split_once(']')?;
            let port = match after {
                "" => None,
                after => Some(after.strip_prefix(':')?),
            };
            if address.is_empty()
                || !address
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            {
                return None;
            }
            (address, port)
        }
        None => {
            // One pass: every byte of the host is allowed, and one colon
            // at most ends it (the port's digits are read below).
            let bytes = value.as_bytes();
            let mut end = bytes.len();
            for (at, &byte) in bytes.iter().enumerate() {
                if byte == b':' {
                    if end != bytes.len() {
                        return None;
                    }
                    end = at;
                } else if end == bytes.len() && !HOST_BYTES[usize::from(byte)] {
                    return None;
                }
            }
            if end == 0 {
                return None;
            }
            let port = (end < bytes.len()).then(|| &value[end + 1..]);
            (&value[..end], port)
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => Some(port.parse().ok()?),
        Some(_) => return None,
    };
    Some((host, port))
}

/// An IPv6 address without the brackets a URI puts around it.
pub(crate) fn unbracketed(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host)
}

/// The port a scheme implies.
pub(crate) fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// `error.type` for a status that is an error on this side: a server's
/// 5xx, or a client's 4xx and 5xx.
pub(crate) fn status_error(status: StatusCode, client: bool) -> Option<String> {
    let failed = status.is_server_error() || (client && status.is_client_error());
    failed.then(|| status.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_outside_the_standard_ones_is_other() {
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_tag(&odd), "_OTHER");
        assert_eq!(method_name(&odd), "HTTP");
        assert_eq!(method_tag(&Method::PATCH), "PATCH");
    }

    #[cfg(feature = "server")]
    #[test]
    fn addresses_are_written_as_their_display_says() {
        for address in [
            "127.0.0.1",
            "::1",
            "2001:db8:85a3::8a2e:370:7334",
            "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
        ] {
            let ip: std::net::IpAddr = address.parse().unwrap();
            assert_eq!(ip_text(ip), TagValue::from(ip.to_string()), "{address}");
        }
    }

    #[cfg(feature = "server")]
    #[test]
    fn the_host_comes_from_the_authority_or_the_host_header() {
        let mut headers = HeaderMap::new();
        let uri: Uri = "/cart?id=3".parse().unwrap();
        assert_eq!(host_and_port(&uri, &headers), None);
        headers.insert("host", "shop.example:8080".parse().unwrap());
        assert_eq!(
            host_and_port(&uri, &headers),
            Some(("shop.example", Some(8080)))
        );
        headers.insert("host", "shop.example:".parse().unwrap());
        assert_eq!(host_and_port(&uri, &headers), Some(("shop.example", None)));
        headers.insert("host", "[::1]".parse().unwrap());
        assert_eq!(host_and_port(&uri, &headers), Some(("::1", None)));
        headers.insert("host", "[::1]:8443".parse().unwrap());
        assert_eq!(host_and_port(&uri, &headers), Some(("::1", Some(8443))));
        for bad in [
            "bad host/",
            "a@b",
            "[::1",
            "[zz]",
            "host:99999",
            "host:8x",
            ":80",
            "a:b:80",
            "",
        ] {
            headers.insert("host", bad.parse().unwrap());
            assert_eq!(host_and_port(&uri, &headers), None, "{bad:?}");
        }
        let absolute: Uri = "http://api.example:81/x".parse().unwrap();
        assert_eq!(
            host_and_port(&absolute, &headers),
            Some(("api.example", Some(81)))
        );
    }

    #[test]
    fn a_server_errs_on_5xx_and_a_client_on_4xx_too() {
        assert_eq!(status_error(StatusCode::NOT_FOUND, false), None);
        assert_eq!(
            status_error(StatusCode::NOT_FOUND, true),
            Some("404".to_owned())
        );
        assert_eq!(
            status_error(StatusCode::BAD_GATEWAY, false),
            Some("502".to_owned())
        );
        assert_eq!(status_error(StatusCode::OK, true), None);
    }
}
