#!/usr/bin/env bash
# Where the server's CPU goes on one auth endpoint: runs wrk (one prepared body, as in the
# "static" rows of bench-server.sh) against a seeded server built with frame pointers,
# samples the server with perf, and splits the samples into the steps of a request
# (scripts/bench/breakdown.py), in shares and in microseconds per request.
#
#   scripts/profile-server.sh                               # heartbeat, 64 connections, 5 s
#   ENDPOINT=validate CONNECTIONS=512 scripts/profile-server.sh
#   ENDPOINT=health scripts/profile-server.sh                # the baseline endpoint
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ENDPOINT="${ENDPOINT:-heartbeat}"
CONNECTIONS="${CONNECTIONS:-64}"
DURATION="${DURATION:-5}"
PORT="${PORT:-18090}"
export KW_BENCH_DIR="$ROOT/scripts/bench"

bash "$ROOT/scripts/install-bench-tools.sh" >/dev/null
command -v perf >/dev/null 2>&1 || { apt-get update && apt-get install -y linux-perf; } >/dev/null
# Frame pointers give perf whole call chains; a target dir of its own keeps the normal
# release build as it is.
CARGO_TARGET_DIR="$ROOT/target/profiling" RUSTFLAGS="-C force-frame-pointers=yes" \
  cargo build --release -p keyward-server --manifest-path "$ROOT/Cargo.toml" >&2
BIN="$ROOT/target/profiling/release/keyward-server"

source "$KW_BENCH_DIR/seeded-server.sh"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
perf record -F 4000 --call-graph fp -p "$SERVER_PID" -o "$WORK/perf.data" -- sleep "$DURATION" 2>/dev/null &
PERF_PID=$!
before="$(cpu_ticks)"
if [ "$ENDPOINT" = health ]; then path=/health script=health.lua
else path="/auth/$ENDPOINT" script="${ENDPOINT}_static.lua"; fi
out="$(wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$KW_BENCH_DIR/$script" "$BASE$path" |
  sed -n 's/^RESULT //p')"
after="$(cpu_ticks)"
wait "$PERF_PID"
requests="$(echo "$out" | tr ' ' '\n' | sed -n 's/^requests=//p')"
us="$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
echo "$path, $CONNECTIONS connections: $out server_us_per_req=$us"
perf script -i "$WORK/perf.data" -F comm,ip,sym 2>/dev/null | python3 "$KW_BENCH_DIR/breakdown.py" "$us"
