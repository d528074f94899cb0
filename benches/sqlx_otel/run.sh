#!/usr/bin/env bash
# tracekit-sql against sqlx-otel, a published sqlx wrapper that makes
# OpenTelemetry spans (issue 23). sqlx-otel 0.5 needs OpenTelemetry 0.32,
# the bench package uses 0.33: so this is a project of its own, built under
# target/sqlx-otel with its own lock file, never by `cargo test` or the
# bench package. Three cases on one sqlx pool of one in-memory SQLite
# connection (one pool: with a pool each, sqlx's worker thread per pool
# made one case slower, a different one each run): sqlx alone,
# tracekit-sql's `Pool`, sqlx-otel's `Pool`; blocks of 20 queries timed by
# the CPU time of the whole process (every thread: sqlx's worker, both
# exporters), the cases taking turns; the overhead of each wrapper is its
# block less the plain block of the same round. Run twice: OpenTelemetry
# with a span processor that only counts (the cheapest it can be), then
# with the SDK's batch processor (what a service runs). Run from anywhere:
# `benches/sqlx_otel/run.sh [ROUNDS]` (600 by default).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$root/target/sqlx-otel"
mkdir -p "$work"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "sqlx-otel-bench"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[[bin]]
name = "sqlx-otel-bench"
path = "$root/benches/sqlx_otel/main.rs"

[dependencies]
tracekit = { path = "$root" }
tracekit-sql = { path = "$root/integrations/sql", features = ["sqlx-sqlite"] }
sqlx = { version = "0.9.1", default-features = false, features = ["runtime-tokio", "sqlite"] }
sqlx-otel = { version = "0.5", features = ["sqlite"] }
opentelemetry = "0.32"
opentelemetry_sdk = "0.32"
tokio = { version = "1", features = ["rt", "macros"] }
libc = "0.2"
TOML
cargo build --release --quiet --manifest-path "$work/Cargo.toml"
rounds="${1:-600}"
echo "OpenTelemetry with a span processor that only counts:"
"$work/target/release/sqlx-otel-bench" "$rounds"
echo "OpenTelemetry with the SDK's batch span processor:"
OTEL_BATCH=1 "$work/target/release/sqlx-otel-bench" "$rounds"
