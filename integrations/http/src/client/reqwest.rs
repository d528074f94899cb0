//! The client middleware for reqwest, through `reqwest-middleware`.

use std::sync::Arc;

use http::Extensions;
use reqwest_middleware::{Middleware, Next};
use tracekit_runtime::CarriedSpan;

use super::{Answer, ClientConfig, Target};

/// A `reqwest-middleware` middleware that traces every request (what the
/// Python original did by wrapping `requests.Session.send`).
///
/// Each request gets a `client` span as [`ClientLayer`](super::ClientLayer)
/// describes, its context injected into the request's headers. Placed
/// after a retry middleware (`reqwest-retry`), it sees every attempt: each
/// gets its own span, the resent ones tagged `http.request.resend_count`.
/// An attempt counts as a resend when an attempt before it failed or
/// answered other than 2xx, what retry strategies retry; a strategy that
/// retries after a 2xx answer gets its attempts without the count. The
/// span also carries `network.protocol.version` and the address that
/// answered (`network.peer.address`, `network.peer.port`, from reqwest's
/// `Response::remote_addr`). A request whose future is dropped before the
/// answer came (a timeout around it) ends its span tagged
/// `cancelled = true`.
///
/// ```
/// use reqwest_middleware::ClientBuilder;
/// use tracekit_http::TracingMiddleware;
///
/// let client = ClientBuilder::new(reqwest::Client::new())
///     .with(TracingMiddleware::new())
///     .build();
/// # drop(client);
/// ```
#[derive(Clone, Debug, Default)]
pub struct TracingMiddleware {
    config: Arc<ClientConfig>,
}

impl TracingMiddleware {
    /// A middleware that records with the global tracer.
    pub fn new() -> TracingMiddleware {
        TracingMiddleware::default()
    }

    client_options!();
}

/// How many attempts of a request went through this middleware before
/// (each counted when it did not succeed): kept in the extensions, which
/// a retry middleware hands to every attempt.
#[derive(Clone, Copy)]
struct Sends(u32);

#[async_trait::async_trait]
impl Middleware for TracingMiddleware {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let resend_count = extensions.get::<Sends>().map_or(0, |sends| sends.0);
        // The headers are set aside while the URL is read: the context is
        // written into them.
        let mut headers = std::mem::take(request.headers_mut());
        let url = request.url();
        let target = Target {
            scheme: Some(url.scheme()),
            host: url.host_str(),
            port: url.port(),
            path: url.path(),
            query: url.query(),
        };
        let span = self
            .config
            .start(request.method(), &target, &mut headers, resend_count);
        *request.headers_mut() = headers;
        let Some(span) = span else {
            return next.run(request, extensions).await;
        };
        // Marks the span cancelled if this future is dropped before the
        // answer (a timeout around the call), as the client layer does.
        let mut pending = Pending {
            span,
            answered: false,
        };
        // The span is active while the rest of the chain runs: spans made
        // there are its children.
        let result = {
            let mut sending = std::pin::pin!(next.run(request, &mut *extensions));
            let span = &mut pending.span;
            std::future::poll_fn(|cx| span.in_scope(|| sending.as_mut().poll(cx))).await
        };
        pending.answered = true;
        let span = &mut pending.span;
        match &result {
            Ok(response) => self.config.answered(
                span,
                Answer {
                    status: response.status(),
                    version: response.version(),
                    headers: response.headers(),
                    peer: response.remote_addr(),
                },
            ),
            Err(error) => self.config.failed(span, error_type(error), error),
        }
        // The span ends here.
        drop(pending);
        // Counted for the next attempt, if a retry middleware makes one. A
        // retry follows a failure: after a 2xx answer (most requests) there
        // is none, and nothing is inserted (inserting allocates).
        if !matches!(&result, Ok(response) if response.status().is_success()) {
            extensions.insert(Sends(resend_count.saturating_add(1)));
        }
        result
    }
}

/// A request's span, finished when this is dropped: tagged cancelled if
/// that happens before the answer came.
struct Pending {
    span: CarriedSpan,
    answered: bool,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.answered {
            self.span.set_tag("cancelled", true);
        }
    }
}

/// `error.type` of a request that got no response.
fn error_type(error: &reqwest_middleware::Error) -> &'static str {
    match error {
        reqwest_middleware::Error::Reqwest(error) if error.is_timeout() => "timeout",
        reqwest_middleware::Error::Reqwest(error) if error.is_connect() => "connect",
        reqwest_middleware::Error::Reqwest(_) => "transport",
        reqwest_middleware::Error::Middleware(_) => "middleware",
    }
}
