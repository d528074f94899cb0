//! Graceful shutdown: a future that resolves on Ctrl-C or SIGTERM.

/// Resolves when the process is asked to stop: Ctrl-C, or SIGTERM on Unix
/// (what `docker stop` and Kubernetes send). Give it to the server's
/// graceful shutdown, and let the tracer's guard flush after the server
/// has returned: no finished span is lost.
///
/// ```no_run
/// # use std::net::SocketAddr;
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// let _tracer = tracekit::init(); // flushes when dropped, after the server
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
///     .with_graceful_shutdown(tracekit_http::shutdown_signal())
///     .await
/// # }
/// ```
pub async fn shutdown_signal() {
    let ctrl_c = async {
        // Without a handler (it could not be installed) only SIGTERM stops.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
