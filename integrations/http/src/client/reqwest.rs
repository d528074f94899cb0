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
/// An attempt counts as a resend when an attempt before it failed or
/// answered other than 2xx, what retry strategies retry; a strategy that
/// retries after a 2xx answer gets its attempts without the count.
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
        let Some(mut span) = span else {
            return next.run(request, extensions).await;
        };
        // The span is active while the rest of the chain runs: spans made
        // there are its children.
        let result = {
            let mut sending = std::pin::pin!(next.run(request, &mut *extensions));
            std::future::poll_fn(|cx| span.in_scope(|| sending.as_mut().poll(cx))).await
        };
        match &result {
            Ok(response) => self
                .config
                .answered(&mut span, response.status(), response.headers()),
            Err(error) => self.config.failed(&mut span, error_type(error), error),
        }
        span.finish();
        // Counted for the next attempt, if a retry middleware makes one. A
        // retry follows a failure: after a 2xx answer (most requests) there
        // is none, and nothing is inserted (inserting allocates).
        if !matches!(&result, Ok(response) if response.status().is_success()) {
            extensions.insert(Sends(resend_count.saturating_add(1)));
        }
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
