//! The client middleware for reqwest, through `reqwest-middleware`.

use std::sync::Arc;

use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use super::{ClientConfig, Target};

/// A `reqwest-middleware` middleware that traces every request (what the
/// Python original did by wrapping `requests.Session.send`).
///
/// Each request gets a `client` span as [`ClientLayer`](super::ClientLayer)
/// describes, its context injected into the request's headers. Placed
/// after a retry middleware (`reqwest-retry`), it sees every attempt: each
/// gets its own span, the resent ones tagged `http.request.resend_count`.
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

/// How many times a request went through this middleware before: kept in
/// the extensions, which a retry middleware hands to every attempt.
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
        let Some(mut span) = span else {
            return next.run(request, extensions).await;
        };
        // Counted only for traced requests: inserting is an allocation.
        extensions.insert(Sends(resend_count.saturating_add(1)));
        // The span is active while the rest of the chain runs: spans made
        // there are its children.
        let mut sending = std::pin::pin!(next.run(request, extensions));
        let result = std::future::poll_fn(|cx| span.in_scope(|| sending.as_mut().poll(cx))).await;
        match &result {
            Ok(response) => self
                .config
                .answered(&mut span, response.status(), response.headers()),
            Err(error) => self.config.failed(&mut span, error_type(error), error),
        }
        span.finish();
        result
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
