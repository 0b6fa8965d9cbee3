#!/usr/bin/env bash
# What the OTLP exporter costs lucid_http_hello, side by side in one run of
# ../shared/peers/run-all.sh (issue 13, "Bench"):
#   lucid-http-off       no exporter, no subscriber (the plain hello server)
#   lucid-http-otlp      OTEL_TRACES_EXPORTER=otlp at 100% sampling
#                        (OTEL_TRACES_SAMPLER=always_on): every request's
#                        http.request span is batched, encoded and POSTed
#   lucid-http-otlp-off  the exporter on, sampler always_off: spans are made
#                        and given ids, nothing is sent (the cost of the spans)
# The exporter posts to a local sink that accepts and discards
# (tests/exporters/otlp-decoder/receiver.js --sink, node), started here.
# Usage: bench/exporters_cost.sh [build dir, default build/release]
#   RUNS=3 bench/exporters_cost.sh    (any run-all.sh knob passes through)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B="$(cd "${1:-$ROOT/build/release}" && pwd)/bench"
PEERS="${PEERS:-$ROOT/../shared/peers}"
DEC="$ROOT/tests/exporters/otlp-decoder"
[[ -d "$DEC/node_modules" ]] || (cd "$DEC" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
PORT_FILE="$(mktemp)"
rm -f "$PORT_FILE"
(cd "$DEC" && exec node receiver.js --sink --port-file "$PORT_FILE") &
SINK=$!
trap 'kill "$SINK" 2>/dev/null || true; rm -f "$PORT_FILE"' EXIT
for _ in $(seq 100); do [[ -s "$PORT_FILE" ]] && break; sleep 0.1; done
SINK_PORT="$(cat "$PORT_FILE")"
OTLP="env OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$SINK_PORT OTEL_SERVICE_NAME=hello"
http="lucid-http-off|$B/lucid_http_hello {port} 2 {maxsecs};"
http+="lucid-http-otlp|$OTLP OTEL_TRACES_SAMPLER=always_on $B/lucid_http_hello {port} 2 {maxsecs};"
http+="lucid-http-otlp-off|$OTLP OTEL_TRACES_SAMPLER=always_off $B/lucid_http_hello {port} 2 {maxsecs}"
SKIP_BUILD="${SKIP_BUILD:-1}" SKIP_RT=1 SKIP_TRACE=1 PEER_FILTER="${PEER_FILTER:-lucid|hyper-mt2}" \
  EXTRA_HTTP_PEERS="$http" "$PEERS/run-all.sh"
