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
#
# Backends and instances (seeded-server.sh):
#   BACKEND=postgres scripts/bench-server.sh               # one server on PostgreSQL
#   BACKEND=postgres INSTANCES=2 scripts/bench-server.sh   # two servers on one database
# BACKEND=postgres starts a throwaway PostgreSQL cluster (scripts/bench/throwaway-postgres.sh:
# fsync on, synchronous_commit off like SQLite's synchronous=NORMAL; PG_SYNCHRONOUS_COMMIT=on
# to fsync every commit; PG_PORT, default 18190) and adds a column: the database's CPU per
# request (every postgres process of the cluster), beside the servers'.
# With INSTANCES=2 each row runs one wrk per instance at the same time, each with one
# thread and half the connections (the same total as one instance's row), and sums them:
# req/s, requests and errors are the sums, p50 and p99 the worse of the two (a wrk's
# percentiles cannot be merged; the rows are the same load split evenly, so the two are
# close). No proxy sits in front: one would spend the shared cores and add its own hop.
# "server µs/req" is the CPU of all instances together per request; peak RSS is per
# instance.
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

run() { # endpoint script connections: one wrk per instance, summed (see the header)
  local n="${#BASES[@]}" base outs=()
  if [ "$n" -eq 1 ]; then
    wrk -t2 -c"$3" -d"${DURATION}s" --timeout 10s -s "$KW_BENCH_DIR/$2" "$BASE$1" | sed -n 's/^RESULT //p'
    return
  fi
  for base in "${BASES[@]}"; do
    outs+=("$(mktemp -p "$WORK")")
    wrk -t1 -c"$(($3 / n))" -d"${DURATION}s" --timeout 10s -s "$KW_BENCH_DIR/$2" "$base$1" >"${outs[-1]}" &
  done
  wait # run is called in $(...): the subshell's only jobs are these wrk processes
  sed -n 's/^RESULT //p' "${outs[@]}" | tr ' =' '\n ' | awk '
    { v[$1] = ($1 ~ /^p/) ? (v[$1] > $2 ? v[$1] : $2) : v[$1] + $2 }
    END { printf "rps=%.0f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d\n", v["rps"], v["p50_ms"], v["p99_ms"], v["requests"], v["errors"] }'
  rm -f "${outs[@]}"
}
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
ticks_of() { # pids: their CPU ticks (user + system) together
  local pid
  for pid in "$@"; do awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || true; done | awk '{ t += $1 } END { print t + 0 }'
}
cpu_ticks() { ticks_of "${SERVER_PIDS[@]}"; }
# The cluster's processes: the postmaster and its children (a backend per pooled
# connection, which lives as long as the connection).
db_ticks() { if [ -n "$PG_PID" ]; then ticks_of "$PG_PID" $(ps -o pid= --ppid "$PG_PID"); else echo 0; fi; }
TICK="$(getconf CLK_TCK)"

per_request() { # ticks requests: CPU µs per request
  awk -v t="$1" -v hz="$TICK" -v n="$2" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }'
}
# Runs one wrk row; sets RPS, P50, P99, CPU (servers' µs per request), DB_CPU (the
# database's, PostgreSQL only) and ERRORS.
measure() { # endpoint script connections
  local before after db_before db_after out
  before="$(cpu_ticks)" db_before="$(db_ticks)"
  out="$(run "$1" "$2" "$3")"
  after="$(cpu_ticks)" db_after="$(db_ticks)"
  RPS="$(field "$out" rps)" P50="$(field "$out" p50_ms)" P99="$(field "$out" p99_ms)"
  ERRORS="$(field "$out" errors)"
  CPU="$(per_request $((after - before)) "$(field "$out" requests)")"
  DB_CPU="$(per_request $((db_after - db_before)) "$(field "$out" requests)")"
}
DB_COLUMN=""
if [ "$BACKEND" = postgres ]; then DB_COLUMN="db µs/req"; fi
print_row() { # label connections ratio
  printf '%-31s %5s %10s %9s %9s %10s %12s %7s' "$1" "$2" "$RPS" "$P50" "$P99" "$3" "$CPU" "$ERRORS"
  if [ -n "$DB_COLUMN" ]; then printf ' %10s' "$DB_CPU"; fi
  printf '\n'
}

# Every auth row runs between two /health rows and is compared with their mean, so that
# the host getting faster or slower during the run (it is shared) does not show up as a
# difference between the endpoints.
echo "backend: $BACKEND, instances: $INSTANCES"
printf '%-31s %5s %10s %9s %9s %10s %12s %7s %10s\n' endpoint conns "req/s" "p50 ms" "p99 ms" "vs /health" "server µs/req" errors "$DB_COLUMN"
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
    auth=("$RPS" "$P50" "$P99" "$CPU" "$ERRORS" "$DB_CPU")
    label="$1${3:+ (${3//_/ })}"
    measure /health health.lua "$c"
    health=("$RPS" "$P50" "$P99" "$CPU" "$ERRORS" "$DB_CPU")
    ratio="$(awk -v a="${auth[0]}" -v b="$health_before" -v c="${health[0]}" 'BEGIN { printf "%.0f%%", 200 * a / (b + c) }')"
    RPS="${auth[0]}" P50="${auth[1]}" P99="${auth[2]}" CPU="${auth[3]}" ERRORS="${auth[4]}" DB_CPU="${auth[5]}"
    print_row "$label" "$c" "$ratio"
    RPS="${health[0]}" P50="${health[1]}" P99="${health[2]}" CPU="${health[3]}" ERRORS="${health[4]}" DB_CPU="${health[5]}"
    print_row /health "$c" ""
    health_before="${health[0]}"
  done
done
for pid in "${SERVER_PIDS[@]}"; do
  echo "peak RSS (VmHWM) of server $pid: $(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$pid/status")"
done
CREDITS="$("$BIN" admin --db "$DB" list-accounts | awk '$2 == "bench" { print $3 }')"
echo "credits left: $CREDITS of 100000000 (1 per license and validate, 1 per 10 heartbeats of a license)"
