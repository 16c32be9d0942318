# Sourced by the server benchmark scripts, with BIN (the server binary) and PORT set:
# starts the server on a fresh database (removed on exit), seeds an account with credits,
# an app, a license and one session through the admin CLI and the APIs, and exports what
# the wrk scripts read: KW_APP_ID, KW_APP_SECRET, KW_LICENSE, KW_HWID, KW_TOKEN,
# KW_TOKENS_FILE (one session on each of KW_SESSIONS=256 more licenses); also BASE (the
# first server's URL) and SERVER_PID, and BASES and SERVER_PIDS (arrays: every instance).
#
# BACKEND=sqlite (default: a file in a temp dir) or postgres (a throwaway cluster:
# throwaway-postgres.sh); INSTANCES=N (default 1; more needs BACKEND=postgres) starts N
# servers on the one database, on PORT, PORT+1, ...
BACKEND="${BACKEND:-sqlite}"
INSTANCES="${INSTANCES:-1}"
case "$BACKEND" in sqlite | postgres) ;; *) echo "BACKEND=$BACKEND: sqlite or postgres" >&2; exit 2 ;; esac
if [ "$INSTANCES" -gt 1 ] && [ "$BACKEND" != postgres ]; then
  # Each SQLite server answers heartbeats from its own memory: not a cluster.
  echo "INSTANCES=$INSTANCES needs BACKEND=postgres" >&2
  exit 2
fi
WORK="$(mktemp -d)"
SERVER_PIDS=()
PG_PID=""
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if declare -F stop_postgres >/dev/null; then stop_postgres; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

# Seed: account, key, credits, app, license (admin CLI and the Developer API). Builds
# before the admin CLI's --create made new databases unasked: compare with them too.
CREATE=""
if [ "$BACKEND" = postgres ]; then
  source "$KW_BENCH_DIR/throwaway-postgres.sh"
else
  DB="$WORK/bench.db"
  if "$BIN" admin --help 2>&1 | grep -q -- '--create'; then CREATE="--create"; fi
fi
"$BIN" admin --db "$DB" $CREATE create-account bench >/dev/null
"$BIN" admin --db "$DB" add-credits bench 100000000 >/dev/null
API_KEY="$("$BIN" admin --db "$DB" issue-api-key bench 2>/dev/null | sed -n 's/^api key: //p')"

# The auth limiter stays in the request path but is set far above what wrk can send.
BASES=()
for i in $(seq 0 $((INSTANCES - 1))); do
  KEYWARD_LOG=warn "$BIN" serve --db "$DB" --listen "127.0.0.1:$((PORT + i))" \
    --auth-burst 1000000000 --auth-rate 1000000000 &
  SERVER_PIDS+=($!)
  BASES+=("http://127.0.0.1:$((PORT + i))")
done
for base in "${BASES[@]}"; do
  for _ in $(seq 1 100); do curl -fs "$base/health" >/dev/null 2>&1 && break; sleep 0.1; done
done
BASE="${BASES[0]}"
SERVER_PID="${SERVER_PIDS[0]}"

APP="$(curl -fs -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d '{"name":"bench","hwidSlots":1}' "$BASE/v1/apps")"
export KW_APP_ID="$(echo "$APP" | json_field appId)"
export KW_APP_SECRET="$(echo "$APP" | json_field appSecret)"
LICENSES="$(curl -fs -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d '{"count":1}' "$BASE/v1/apps/$KW_APP_ID/licenses")"
export KW_LICENSE="$(echo "$LICENSES" | json_field key)"
export KW_HWID="4f2c0e9b7d1a5c3e8f6b2d4a9c7e1f3b5d8a2c4e6f9b1d3a5c7e9f2b4d6a8c0e"
VALIDATE="$(curl -fs -H 'Content-Type: application/json' -d "{\"appId\":\"$KW_APP_ID\",\"appSecret\":\"$KW_APP_SECRET\",\"licenseKey\":\"$KW_LICENSE\",\"hwid\":\"$KW_HWID\",\"nonce\":\"0123456789abcdef0123456789abcdef\"}" "$BASE/auth/validate")"
PAYLOAD="$(echo "$VALIDATE" | json_field payload)"
export KW_TOKEN="$(echo "$PAYLOAD" | base64 -d | json_field sessionToken)"
if [ -z "$KW_TOKEN" ]; then echo "seeding failed: $VALIDATE" >&2; exit 1; fi
# The same for an app that signs with Ed25519 (builds that have per-app signing), for the
# rows of an ed25519 app: KW_ED_APP_ID, KW_ED_APP_SECRET, KW_ED_LICENSE, KW_ED_TOKEN.
ED_APP="$(curl -fs -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
  -d '{"name":"bench-ed25519","hwidSlots":1,"signing":"ed25519"}' "$BASE/v1/apps" || true)"
export KW_ED_APP_ID="$(echo "$ED_APP" | json_field appId)"
if [ -n "$KW_ED_APP_ID" ] && echo "$ED_APP" | grep -q '"signing":"ed25519"'; then
  export KW_ED_APP_SECRET="$(echo "$ED_APP" | json_field appSecret)"
  export KW_ED_LICENSE="$(curl -fs -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
    -d '{"count":1}' "$BASE/v1/apps/$KW_ED_APP_ID/licenses" | json_field key)"
  ED_VALIDATE="$(curl -fs -H 'Content-Type: application/json' -d "{\"appId\":\"$KW_ED_APP_ID\",\"appSecret\":\"$KW_ED_APP_SECRET\",\"licenseKey\":\"$KW_ED_LICENSE\",\"hwid\":\"$KW_HWID\",\"nonce\":\"0123456789abcdef0123456789abcdef\"}" "$BASE/auth/validate")"
  export KW_ED_TOKEN="$(echo "$ED_VALIDATE" | json_field payload | base64 -d | json_field sessionToken)"
else
  KW_ED_APP_ID=""
fi
# Sessions on many licenses, for heartbeat_many.lua.
export KW_TOKENS_FILE="$WORK/tokens.txt"
python3 "$KW_BENCH_DIR/seed_sessions.py" "$BASE" "$API_KEY" "$KW_APP_ID" "$KW_APP_SECRET" \
  "$KW_HWID" "${KW_SESSIONS:-256}" "$KW_TOKENS_FILE"
export BASE SERVER_PID
