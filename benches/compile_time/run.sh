#!/usr/bin/env bash
# Compile time of traced code, as a user sees it: a crate of 300 sync
# functions (3 arguments, a `Result`) and 100 async functions (2 arguments),
# built once with `#[tracekit::traced]` on each, once with
# `#[tracing::instrument]`, and once with no attribute. Dependencies are
# built first; then only the crate itself is rebuilt and timed, in release
# and in debug. Run from anywhere: `benches/compile_time/run.sh` (or name
# the crates to time: `benches/compile_time/run.sh tracekit`).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$root/target/compile-time"
mkdir -p "$work"

generate() { # name attribute-for-sync attribute-for-async
    local dir="$work/$1"
    mkdir -p "$dir/src"
    cat > "$dir/Cargo.toml" <<TOML
[package]
name = "traced-$1"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
tracekit = { path = "$root" }
tracing = "0.1"
TOML
    {
        echo "#![allow(unused)]"
        echo "#[derive(Debug)] pub struct Oops(pub u32);"
        echo "impl std::fmt::Display for Oops { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, \"oops {}\", self.0) } }"
        for i in $(seq 1 300); do
            echo "$2"
            echo "pub fn sync_$i(user: u64, name: &str, flag: bool) -> Result<u64, Oops> {"
            echo "    if flag { Err(Oops($i)) } else { Ok(user + name.len() as u64 + $i) }"
            echo "}"
        done
        for i in $(seq 1 100); do
            echo "$3"
            echo "pub async fn async_$i(user: u64, name: &str) -> u64 { user + name.len() as u64 + $i }"
        done
    } > "$dir/src/lib.rs"
}

generate tracekit "#[tracekit::traced]" "#[tracekit::traced]"
generate tracing "#[tracing::instrument]" "#[tracing::instrument]"
generate plain "" ""

seconds() { # dir profile-flag
    (cd "$1" && cargo build --quiet $2 >/dev/null 2>&1) # dependencies
    touch "$1/src/lib.rs"
    local start end
    start=$(date +%s%N)
    (cd "$1" && cargo build --quiet $2)
    end=$(date +%s%N)
    awk "BEGIN { print ($end - $start) / 1e9 }"
}

printf "%-10s %10s %10s\n" "crate" "release" "debug"
for name in ${@:-plain tracing tracekit}; do
    release=$(seconds "$work/$name" --release)
    debug=$(seconds "$work/$name" "")
    printf "%-10s %9.1fs %9.1fs\n" "$name" "$release" "$debug"
done
