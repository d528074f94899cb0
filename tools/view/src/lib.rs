//! tracekit-view: a trace viewer with nothing else to install. One
//! process receives OTLP over HTTP (protobuf or JSON, from tracekit's
//! exporter or any OpenTelemetry SDK) and tracekit's JSON-lines files,
//! keeps the spans in one SQLite file (bounded by a size you set: whole
//! traces go, oldest first, and are counted; kept across restarts), and
//! serves a page on the same loopback port: the recent traces, searched;
//! one trace as a waterfall with its critical path and errors marked; two
//! traces compared.
//!
//! `cargo run -p tracekit-view` listens on `127.0.0.1:4318`; point an
//! exporter at it (`OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318`)
//! and open the address it prints.
//!
//! ```no_run
//! let viewer = tracekit_view::start(tracekit_view::Config::default())?;
//! println!("traces at {}", viewer.url());
//! # Ok::<(), std::io::Error>(())
//! ```

#![warn(missing_docs)]

mod analysis;
mod http;
pub mod jsonl;
pub mod model;
pub mod otlp;
pub mod store;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// How the viewer runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where it listens (OTLP/HTTP and the page): loopback unless you say
    /// otherwise. Port 0 takes a free one.
    pub listen: SocketAddr,
    /// The store's file.
    pub store: PathBuf,
    /// The most the store keeps, in bytes of span data.
    pub max_bytes: u64,
    /// The largest request body taken (after gzip), in bytes.
    pub max_body: usize,
    /// JSON-lines files (tracekit's `tracekit.span/1`) read in at start.
    pub import: Vec<PathBuf>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 4318)),
            store: PathBuf::from("tracekit-view.db"),
            max_bytes: 256 << 20,
            max_body: 16 << 20,
            import: Vec::new(),
        }
    }
}

/// A running viewer; [`stop`](Self::stop) (or dropping it) ends it.
pub struct Viewer {
    address: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Viewer {
    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The page's address.
    pub fn url(&self) -> String {
        format!("http://{}/", self.address)
    }

    /// Stops it and waits until it has.
    pub fn stop(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Viewer {
    fn drop(&mut self) {
        self.shut_down();
    }
}

/// Opens the store, reads the files to import, and serves on a thread of
/// its own (with a runtime of its own, so any program may embed it).
pub fn start(config: Config) -> std::io::Result<Viewer> {
    let mut store = store::Store::open(&config.store, config.max_bytes).map_err(io_error)?;
    for path in &config.import {
        let text = std::fs::read_to_string(path)?;
        let (spans, skipped) = jsonl::read(&text);
        store.insert(&spans).map_err(io_error)?;
        if skipped > 0 {
            eprintln!(
                "tracekit-view: {skipped} lines of {} are not tracekit spans, left out",
                path.display()
            );
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("tracekit-view")
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(config.listen))?;
    let address = listener.local_addr()?;
    let shared = http::Shared {
        store: Arc::new(Mutex::new(store)),
        max_body: config.max_body,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("tracekit-view".into())
        .spawn(move || {
            runtime.block_on(async move {
                let served = axum::serve(listener, http::router(shared))
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
                if let Err(error) = served {
                    eprintln!("tracekit-view: {error}");
                }
            });
        })?;
    Ok(Viewer {
        address,
        stop: Some(stop),
        thread: Some(thread),
    })
}

fn io_error(error: rusqlite::Error) -> std::io::Error {
    std::io::Error::other(format!("the store: {error}"))
}
