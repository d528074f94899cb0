//! `tracekit-view [--listen ADDR] [--store FILE] [--max-mb N] [FILE.jsonl ...]`

use std::net::SocketAddr;
use std::path::PathBuf;

const USAGE: &str =
    "usage: tracekit-view [--listen ADDR:PORT] [--store FILE] [--max-mb MEGABYTES] [FILE.jsonl ...]

  --listen   where OTLP/HTTP and the page are served (default 127.0.0.1:4318;
             an address other than loopback must be given here)
  --store    the SQLite file the spans are kept in (default tracekit-view.db)
  --max-mb   the most the store keeps; past it the oldest traces go (default 256)
  FILE.jsonl tracekit JSON-lines files to read in at start";

fn main() {
    let mut config = tracekit_view::Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{name} needs a value\n\n{USAGE}");
                std::process::exit(2)
            })
        };
        match arg.as_str() {
            "--listen" => {
                let text = value("--listen");
                config.listen = text.parse::<SocketAddr>().unwrap_or_else(|_| {
                    eprintln!("--listen: {text:?} is not an address:port\n\n{USAGE}");
                    std::process::exit(2)
                });
            }
            "--store" => config.store = PathBuf::from(value("--store")),
            "--max-mb" => {
                let text = value("--max-mb");
                let mb: u64 = text.parse().unwrap_or_else(|_| {
                    eprintln!("--max-mb: {text:?} is not a number\n\n{USAGE}");
                    std::process::exit(2)
                });
                config.max_bytes = mb << 20;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            file if !file.starts_with('-') => config.import.push(PathBuf::from(file)),
            other => {
                eprintln!("unknown option {other}\n\n{USAGE}");
                std::process::exit(2)
            }
        }
    }
    let viewer = tracekit_view::start(config).unwrap_or_else(|error| {
        eprintln!("tracekit-view: {error}");
        std::process::exit(1)
    });
    println!(
        "tracekit-view: send OTLP/HTTP to http://{}/v1/traces; open {}",
        viewer.address(),
        viewer.url()
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let _ = runtime.block_on(tokio::signal::ctrl_c());
    viewer.stop();
}
