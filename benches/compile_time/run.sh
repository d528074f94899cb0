#!/usr/bin/env bash
# Compile time of traced code, as a user sees it: a crate of 300 sync
# functions (3 arguments, a `Result`) and 100 async functions (2 arguments),
# built once with `#[tracekit::traced]` on each, once with
# `#[tracing::instrument]`, and once with no attribute; then the sync and
# the async functions alone, with each attribute (`tracekit-sync`,
# `tracing-async`, ...); then 200 methods in 20 impl blocks, traced with
# one `#[tracekit::traced]` per block against `#[tracing::instrument]` on
# each method, `skip(self)` as its users write (`tracekit-impl`,
# `tracing-impl`, `plain-impl`). Dependencies are built first; then only the crate
# itself is rebuilt and timed, in release and in debug, the crates taking
# turns for `ROUNDS` rounds (3 by default). Run from anywhere:
# `benches/compile_time/run.sh` (or name the crates to time:
# `benches/compile_time/run.sh tracekit tracing`).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$root/target/compile-time"
mkdir -p "$work"

generate() { # name attribute-for-sync attribute-for-async [sync-count async-count]
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
        for i in $(seq 1 "${4:-300}"); do
            echo "$2"
            echo "pub fn sync_$i(user: u64, name: &str, flag: bool) -> Result<u64, Oops> {"
            echo "    if flag { Err(Oops($i)) } else { Ok(user + name.len() as u64 + $i) }"
            echo "}"
        done
        for i in $(seq 1 "${5:-100}"); do
            echo "$3"
            echo "pub async fn async_$i(user: u64, name: &str) -> u64 { user + name.len() as u64 + $i }"
        done
    } > "$dir/src/lib.rs"
}

generate tracekit "#[tracekit::traced]" "#[tracekit::traced]"
generate tracing "#[tracing::instrument]" "#[tracing::instrument]"
generate plain "" ""
for attribute in tracekit::traced tracing::instrument; do
    name=${attribute%%::*}
    generate "$name-sync" "#[$attribute]" "" 300 0
    generate "$name-async" "" "#[$attribute]" 0 100
done

generate_blocks() { # name attribute-on-the-block attribute-on-each-method
    local dir="$work/$1"
    mkdir -p "$dir/src"
    sed "s/^name = .*/name = \"traced-$1\"/" "$work/plain/Cargo.toml" > "$dir/Cargo.toml"
    {
        echo "#![allow(unused)]"
        echo "#[derive(Debug)] pub struct Oops(pub u32);"
        echo "impl std::fmt::Display for Oops { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, \"oops {}\", self.0) } }"
        for block in $(seq 1 20); do
            echo "pub struct Service$block;"
            echo "$2"
            echo "impl Service$block {"
            for i in $(seq 1 10); do
                echo "    $3"
                echo "    pub fn call_$i(&self, user: u64, name: &str, flag: bool) -> Result<u64, Oops> {"
                echo "        if flag { Err(Oops($i)) } else { Ok(user + name.len() as u64 + $i) }"
                echo "    }"
            done
            echo "}"
        done
    } > "$dir/src/lib.rs"
}

# 200 methods in 20 impl blocks: one attribute per block against one per
# method (tracing's `instrument` cannot go on a block).
generate_blocks tracekit-impl "#[tracekit::traced]" ""
generate_blocks tracing-impl "" "#[tracing::instrument(skip(self))]"
generate_blocks plain-impl "" ""

seconds() { # dir profile-flag
    touch "$1/src/lib.rs"
    local start end
    start=$(date +%s%N)
    (cd "$1" && cargo build --quiet $2)
    end=$(date +%s%N)
    awk "BEGIN { print ($end - $start) / 1e9 }"
}

median() { # numbers...
    printf "%s\n" "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

crates=(${@:-plain tracing tracekit tracing-sync tracekit-sync tracing-async tracekit-async plain-impl tracing-impl tracekit-impl})
rounds=${ROUNDS:-3}
for name in "${crates[@]}"; do # dependencies first, untimed
    (cd "$work/$name" && cargo build --quiet --release >/dev/null 2>&1 && cargo build --quiet >/dev/null 2>&1)
done
# The crates take turns, round after round, so that a slow spell of the
# machine falls on all of them alike; each figure is the median of its
# rounds.
declare -A release debug
for round in $(seq 1 "$rounds"); do
    for name in "${crates[@]}"; do
        release[$name]+=" $(seconds "$work/$name" --release)"
        debug[$name]+=" $(seconds "$work/$name" "")"
    done
done
printf "%-15s %10s %10s   (median of %s rounds)\n" "crate" "release" "debug" "$rounds"
for name in "${crates[@]}"; do
    printf "%-15s %9.2fs %9.2fs\n" "$name" "$(median ${release[$name]})" "$(median ${debug[$name]})"
done
