#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: unit, doc, ui
# (trybuild), integration, and the main example checked end to end.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test --workspace (unit, integration, ui, doc)"
cargo test --workspace --locked

echo "== the quickstart example prints its traces"
output=$(cargo run --quiet --locked --example quickstart)
for expected in \
    "checkout " \
    "├── load_cart " \
    "! error quickstart::PaymentError: card declined (code 51)" \
    "└── inventory.lookup " \
    "! error panic: quantity must be a number"; do
    if ! grep -qF -- "$expected" <<<"$output"; then
        echo "quickstart output lacks: $expected" >&2
        echo "$output" >&2
        exit 1
    fi
done
echo "quickstart: ok"
