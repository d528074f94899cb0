#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: unit, doc, ui
# (trybuild), integration, interop against OpenTelemetry's Python
# propagators, OTLP classes and instrumented FastAPI (set up here in a
# virtualenv), and the examples checked end to end.
set -euo pipefail
cd "$(dirname "$0")/.."

# expect NAME OUTPUT LINE...: each LINE is in OUTPUT, or the script fails
# showing it.
expect() {
    local name=$1 output=$2
    shift 2
    for expected in "$@"; do
        if ! grep -qF -- "$expected" <<<"$output"; then
            echo "$name output lacks: $expected" >&2
            echo "$output" >&2
            exit 1
        fi
    done
    echo "$name: ok"
}

echo "== the Python interop peers (OpenTelemetry's propagators, OTLP classes, FastAPI and requests instrumentation, pinned)"
venv=target/interop-venv
peers="import opentelemetry.propagators.b3, opentelemetry.propagators.jaeger"
peers="$peers, opentelemetry.proto.collector.trace.v1.trace_service_pb2, grpc, google.rpc.error_details_pb2"
peers="$peers, fastapi, uvicorn, requests, opentelemetry.instrumentation.fastapi, opentelemetry.instrumentation.requests"
peers="$peers, playwright.sync_api, opentelemetry.exporter.otlp.proto.http.trace_exporter"
if ! "$venv/bin/python" -c "$peers" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r interop/requirements.txt
fi
export TRACEKIT_PYTHON="$PWD/$venv/bin/python"

echo "== the servers the integration tests start (Redis, PostgreSQL and MariaDB) and the viewer's browser (Chromium), from the distribution's packages when missing"
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    missing+=(mariadb-server)
fi
[ -x "${TRACEKIT_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
redis-server --version
"$(command -v mariadbd || echo /usr/sbin/mariadbd)" --version

echo "== cargo test --workspace (unit, integration, ui, doc, interop)"
cargo test --workspace --locked

echo "== the OTLP exporter over gRPC (feature grpc)"
cargo test --locked -p tracekit-otlp --features grpc

echo "== the quickstart example prints its traces"
output=$(cargo run --quiet --locked --example quickstart)
expect "quickstart" "$output" \
    "Checkout::checkout " \
    "├── Checkout::load_cart " \
    "user.tier=gold card=[redacted]" \
    "! error quickstart::PaymentError: card declined (code 51)" \
    "└── inventory.lookup " \
    "! error panic: quantity must be a number"

echo "== the shop example: one trace across three processes"
output=$(cargo run --quiet --locked --example shop)
expect "shop" "$output" \
    "35 spans from 3 processes (driver, gateway, inventory)" \
    "buy a kiwi (the failing path) -> 502 Bad Gateway" \
    "    └── GET /shop/buy/{item} (gateway, server) " \
    "                    └── GET /stock/{item} (inventory, server) " \
    "check_stock (inventory, internal) " \
    "InventoryClient::place_order (gateway, internal) " \
    "order.item=kiwi order.quantity=1" \
    "customer=ada" \
    "error.type=shop::inventory::StockError ERROR" \
    "                        └── request (inventory, internal) " \
    "                                └── SELECT stock (inventory, client) " \
    "└── SELECT crates crates (inventory, client) " \
    "└── GET /admin/audit/{item} (inventory, server) " \
    "INFO request{method=GET uri=/stock/apple version=HTTP/1.1}: shop::inventory: stock counted item=apple count=5" \
    "WARN request{method=GET uri=/stock/kiwi version=HTTP/1.1}: shop::inventory: none left item=kiwi"

echo "== the shop's traces in tracekit-view, started in-process"
output=$(echo | cargo run --quiet --locked --example shop -- --view)
expect "shop with the viewer" "$output" \
    "tracekit-view holds 4 traces (35 spans): open http://127.0.0.1:"

echo "== the shop on PostgreSQL behind a Redis cache: servers of its own on loopback"
servers=$(mktemp -d)
as_unprivileged() { # PostgreSQL refuses to run as root
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown nobody "$servers"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_bin=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
pg_port=$(free_port)
redis_port=$(free_port)
as_unprivileged "$pg_bin/initdb" -D "$servers/pg" -A trust -U postgres --no-sync >/dev/null
as_unprivileged "$pg_bin/pg_ctl" -D "$servers/pg" -l "$servers/pg.log" -w start \
    -o "-p $pg_port -k $servers -c listen_addresses=127.0.0.1 -c fsync=off" >/dev/null
pg_pid=$(head -1 "$servers/pg/postmaster.pid")
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null &
redis_pid=$!
stop_servers() { kill -QUIT "$pg_pid" 2>/dev/null || true; kill "$redis_pid" 2>/dev/null || true; sleep 0.5; rm -rf "$servers"; }
trap stop_servers EXIT
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break; sleep 0.05; done
output=$(SHOP_POSTGRES_URL="host=127.0.0.1 port=$pg_port user=postgres dbname=postgres" \
    SHOP_REDIS_URL="redis://127.0.0.1:$redis_port/" cargo run --quiet --locked --example shop)
expect "shop on PostgreSQL and Redis" "$output" \
    "buy a kiwi (the failing path) -> 502 Bad Gateway" \
    "                                ├── GET (inventory, client) " \
    "├── SELECT stock (inventory, client) " \
    "├── SELECT crates crates (inventory, client) " \
    "db.system.name=postgresql" \
    "└── SETEX (inventory, client) " \
    "db.system.name=redis"
stop_servers
trap - EXIT

