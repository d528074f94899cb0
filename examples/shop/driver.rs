//! The driver: starts both services, sends them a handful of requests,
//! stops them with SIGTERM, and prints what the three processes recorded.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tracekit::FutureExt;

/// A service running as a child process of the driver.
struct Service {
    name: &'static str,
    child: Child,
    address: String,
}

impl Service {
    /// Starts this program as `name`, appending spans to `spans`, and waits
    /// for the address it announces.
    fn start(name: &'static str, spans: &Path, env: &[(&str, String)]) -> Service {
        let program = std::env::current_exe().expect("this program's path");
        let mut child = Command::new(program)
            .arg(name)
            .env("TRACEKIT_JSONL_PATH", spans)
            .envs(env.iter().map(|(key, value)| (key, value)))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("starting {name}: {error}"));
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the service's address");
        assert!(!line.is_empty(), "{name} exited before it listened");
        Service {
            name,
            child,
            address: line.trim().to_owned(),
        }
    }

    /// Asks the service to stop, as `docker stop` would (SIGTERM), and
    /// waits until it has flushed its spans and exited.
    fn stop(mut self) {
        #[cfg(unix)]
        {
            let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
            // SAFETY: `kill` has no memory-safety preconditions; `pid` is
            // our own child, not yet waited for.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        #[cfg(not(unix))]
        let _ = self.child.kill();
        let status = self.child.wait().expect("the service exited");
        assert!(status.success(), "{} stopped with {status}", self.name);
    }
}

/// Runs the shop; with `view`, also shows its traces in tracekit-view:
/// one already running at `view`'s address, or (`view` empty) one started
/// here.
pub fn run(view: Option<String>) {
    let spans = span_file();
    let viewer = view
        .as_deref()
        .filter(|url| url.is_empty())
        .map(|_| start_viewer(&spans));
    let view_url = match (&viewer, view) {
        (Some(viewer), _) => Some(format!("http://{}", viewer.address())),
        (None, Some(url)) => Some(url),
        (None, None) => None,
    };
    // The services learn the viewer's address from their environment.
    let mut env: Vec<(&str, String)> = Vec::new();
    if let Some(url) = &view_url {
        env.push((crate::service::VIEW_VARIABLE, url.clone()));
    }
    let inventory = Service::start("inventory", &spans, &env);
    env.push(("INVENTORY_URL", format!("http://{}", inventory.address)));
    let gateway = Service::start("gateway", &spans, &env);
    println!(
        "inventory on {}, gateway on {}\n",
        inventory.address, gateway.address
    );

    let (tracer, runtime) = crate::service::traced_process("driver", &spans, view_url.as_deref());
    runtime.block_on(send_requests(&gateway.address, &inventory.address));
    let _ = tracer.flush();

    gateway.stop();
    inventory.stop();
    println!();
    crate::tree::print(&spans);
    let log = crate::service::log_file(&spans);
    println!("\nThe services' log lines, each with the ids of its span:");
    for line in std::fs::read_to_string(&log).unwrap_or_default().lines() {
        println!("  {line}");
    }
    let _ = std::fs::remove_file(&spans);
    let _ = std::fs::remove_file(&log);
    if let Some(url) = view_url {
        show_in_viewer(&url, viewer);
    }
}

/// A viewer in this process, its store next to the span file.
fn start_viewer(spans: &Path) -> tracekit_view::Viewer {
    let store = spans.with_extension("view.db");
    let _ = std::fs::remove_file(&store);
    tracekit_view::start(tracekit_view::Config {
        listen: "127.0.0.1:0".parse().expect("an address"),
        store,
        ..tracekit_view::Config::default()
    })
    .expect("tracekit-view starts")
}

/// Says what the viewer at `url` holds and where to open it; a viewer of
/// this process's own serves until Enter (or the end of input).
fn show_in_viewer(url: &str, viewer: Option<tracekit_view::Viewer>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let stats: serde_json::Value = runtime
        .block_on(async { reqwest::get(format!("{url}/api/stats")).await?.text().await })
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    println!(
        "\ntracekit-view holds {} traces ({} spans): open {url}/",
        stats["traces"], stats["spans"]
    );
    if let Some(viewer) = viewer {
        println!("(press Enter to stop it)");
        let _ = std::io::stdin().read_line(&mut String::new());
        viewer.stop();
    }
}

/// A fresh file for this run's spans.
fn span_file() -> PathBuf {
    let path = std::env::temp_dir().join(format!("tracekit-shop-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(crate::service::log_file(&path));
    path
}

async fn send_requests(gateway: &str, inventory: &str) {
    let client = crate::service::traced_client();
    let requests = [
        ("buy an apple", format!("http://{gateway}/shop/buy/apple")),
        (
            "buy a durian (the slow path)",
            format!("http://{gateway}/shop/buy/durian"),
        ),
        (
            "buy a kiwi (the failing path)",
            format!("http://{gateway}/shop/buy/kiwi"),
        ),
        (
            "read the audit log (a nested router)",
            format!("http://{inventory}/admin/audit/apple"),
        ),
    ];
    for (what, url) in requests {
        let span = tracekit::global().span(what).start();
        // Baggage travels with the trace to every service it reaches.
        span.set_baggage_item("customer", "ada");
        let answer = async {
            match client.get(&url).send().await {
                Ok(response) => {
                    let status = response.status();
                    format!("{status}: {}", response.text().await.unwrap_or_default())
                }
                Err(error) => format!("failed: {error}"),
            }
        }
        .in_span(span)
        .await;
        println!("{what} -> {answer}");
    }
}
