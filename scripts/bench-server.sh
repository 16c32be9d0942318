#!/usr/bin/env bash
# Load-tests keyward-server on loopback with wrk: /health (baseline), /auth/validate and
# /auth/heartbeat at 64 and 512 connections, in one run against one server process.
# Each auth endpoint runs twice: with a fresh nonce per request (wrk runs Lua for every
# request) and "static" with one prepared body (wrk sends it as it sends /health, so the
# load generator, which shares the 2 cores, costs the same on every row; a static
# validate is a replay, refused with `replay_detected`). Heartbeat runs a third time over
# the sessions of 256 licenses, as many devices beating would (all other rows use one
# session). Both endpoints run once more for an app that signs with Ed25519, beside the
# HMAC app of the other rows.
# Prints req/s, p50/p99 latency, the ratio to /health (the mean of the /health rows just
# before and after), and the server's peak RSS.
#
#   scripts/bench-server.sh            # 10 s per run
#   DURATION=5 scripts/bench-server.sh
#   BIN=target/release/keyward-server scripts/bench-server.sh   # use an existing build
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-64 512}"
PORT="${PORT:-18089}"
export KW_BENCH_DIR="$ROOT/scripts/bench"

bash "$ROOT/scripts/install-bench-tools.sh" >/dev/null
if [ -z "${BIN:-}" ]; then # BIN=/path/to/keyward-server skips the build
  cargo build --release -p keyward-server --manifest-path "$ROOT/Cargo.toml" >&2
  BIN="$ROOT/target/release/keyward-server"
fi

# Starts the server on a fresh database, seeds it and exports KW_* and BASE.
source "$KW_BENCH_DIR/seeded-server.sh"

run() { # endpoint script connections
  wrk -t2 -c"$3" -d"${DURATION}s" --timeout 10s -s "$KW_BENCH_DIR/$2" "$BASE$1" | sed -n 's/^RESULT //p'
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat"; }
TICK="$(getconf CLK_TCK)"

# Runs one wrk row; sets RPS, P50, P99, CPU (server µs per request) and ERRORS.
measure() { # endpoint script connections
  local before after out
  before="$(cpu_ticks)"
  out="$(run "$1" "$2" "$3")"
  after="$(cpu_ticks)"
  RPS="$(field "$out" rps)" P50="$(field "$out" p50_ms)" P99="$(field "$out" p99_ms)"
  ERRORS="$(field "$out" errors)"
  CPU="$(awk -v t=$((after - before)) -v hz="$TICK" -v n="$(field "$out" requests)" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
}
print_row() { # label connections ratio
  printf '%-31s %5s %10s %9s %9s %10s %12s %7s\n' "$1" "$2" "$RPS" "$P50" "$P99" "$3" "$CPU" "$ERRORS"
}

# Every auth row runs between two /health rows and is compared with their mean, so that
# the host getting faster or slower during the run (it is shared) does not show up as a
# difference between the endpoints.
printf '%-31s %5s %10s %9s %9s %10s %12s %7s\n' endpoint conns "req/s" "p50 ms" "p99 ms" "vs /health" "server µs/req" errors
for c in $CONNECTIONS; do
  measure /health health.lua "$c"
  print_row /health "$c" ""
  health_before="$RPS"
  for spec in "/auth/validate validate.lua" "/auth/heartbeat heartbeat.lua" \
    "/auth/validate validate_static.lua static" "/auth/heartbeat heartbeat_static.lua static" \
    "/auth/heartbeat heartbeat_many.lua 256_licenses" \
    "/auth/validate validate.lua ed25519_app" "/auth/heartbeat heartbeat.lua ed25519_app"; do
    set -- $spec
    if [ "${3:-}" = ed25519_app ]; then
      [ -n "$KW_ED_APP_ID" ] || continue # a build without per-app signing
      KW_APP_ID="$KW_ED_APP_ID" KW_APP_SECRET="$KW_ED_APP_SECRET" KW_LICENSE="$KW_ED_LICENSE" \
        KW_TOKEN="$KW_ED_TOKEN" measure "$1" "$2" "$c"
    else
      measure "$1" "$2" "$c"
    fi
    auth=("$RPS" "$P50" "$P99" "$CPU" "$ERRORS")
    label="$1${3:+ (${3//_/ })}"
    measure /health health.lua "$c"
    health=("$RPS" "$P50" "$P99" "$CPU" "$ERRORS")
    ratio="$(awk -v a="${auth[0]}" -v b="$health_before" -v c="${health[0]}" 'BEGIN { printf "%.0f%%", 200 * a / (b + c) }')"
    RPS="${auth[0]}" P50="${auth[1]}" P99="${auth[2]}" CPU="${auth[3]}" ERRORS="${auth[4]}"
    print_row "$label" "$c" "$ratio"
    RPS="${health[0]}" P50="${health[1]}" P99="${health[2]}" CPU="${health[3]}" ERRORS="${health[4]}"
    print_row /health "$c" ""
    health_before="${health[0]}"
  done
done
echo "peak RSS (VmHWM): $(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$SERVER_PID/status")"
CREDITS="$("$BIN" admin --db "$DB" list-accounts | awk '$2 == "bench" { print $3 }')"
echo "credits left: $CREDITS of 100000000 (1 per license and validate, 1 per 10 heartbeats of a license)"
