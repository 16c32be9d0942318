#!/usr/bin/env bash
# Property-based API tests: Schemathesis, driven by the document the server serves
# (GET /openapi.json, the same as docs/openapi.json), against the real server built from
# this checkout, on a free loopback port over a temporary SQLite file. Seeds an account,
# an API key and credits (admin CLI), then an app, licenses, an access rule, a webhook
# (Developer API) and a session (/auth/validate), and lets Schemathesis use them besides
# the values it makes up.
# Fails on a 5xx, a body off its schema, an undeclared status or a wrong content type.
#
#   scripts/schemathesis.sh                      # about 2 minutes
#   MAX_EXAMPLES=10 scripts/schemathesis.sh      # quicker
#   SEED=1234 scripts/schemathesis.sh            # replay a run (its seed is printed)
#   ST_ARGS="--report har" scripts/schemathesis.sh   # more Schemathesis options
#
# Bounded: MAX_EXAMPLES test cases per operation and phase, and the whole run is cut at
# TIME_LIMIT seconds (default 240), which fails it.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MAX_EXAMPLES="${MAX_EXAMPLES:-40}"
TIME_LIMIT="${TIME_LIMIT:-240}"

bash scripts/install-api-tools.sh
PY="$ROOT/target/api-tools/bin/python"

cargo build -p keyward-server --bin keyward-server
BIN="$ROOT/target/debug/keyward-server"

WORK="$(mktemp -d)"
DB="$WORK/keyward.db"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"

"$BIN" admin --db "$DB" --create create-account schemathesis >/dev/null
"$BIN" admin --db "$DB" add-credits schemathesis 1000000000 >/dev/null
API_KEY="$("$BIN" admin --db "$DB" issue-api-key schemathesis 2>/dev/null | sed -n 's/^api key: //p')"
export KEYWARD_API_KEY="$API_KEY"

# No limit on failed API-key checks: Schemathesis sends bad keys on purpose, and the
# limit would then refuse its good ones too (from the same address).
KEYWARD_LOG=warn "$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" --api-key-failure-burst 0 \
    2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fs "$BASE/health" >/dev/null 2>&1 && break
    sleep 0.1
done

# POSTs JSON with the API key; prints the answer, fails on an error status.
api_post() { # path body
    curl -fsS -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
        -d "$2" "$BASE$1"
}
field() { # JSON-pointer-ish path, e.g. licenses.0.key
    "$PY" -c 'import json, sys
value = json.load(sys.stdin)
for part in sys.argv[1].split("."):
    value = value[int(part)] if isinstance(value, list) else value[part]
print(value)' "$1"
}

APP="$(api_post /v1/apps '{"name":"schemathesis","hwidSlots":2,"variables":{"tier":"pro"}}')"
APP_ID="$(echo "$APP" | field appId)"
APP_SECRET="$(echo "$APP" | field appSecret)"
LICENSE="$(api_post "/v1/apps/$APP_ID/licenses" '{"count":3,"durationDays":30,"note":"seed"}' | field licenses.0.key)"
RULE_ID="$(api_post "/v1/apps/$APP_ID/access-rules" '{"list":"deny","kind":"ip","value":"203.0.113.0/24"}' | field id)"
WEBHOOK_ID="$(api_post /v1/webhooks '{"url":"https://example.com/hook"}' | field id)"
# A session of one device, so that heartbeats can succeed too.
HWID="4f2c0e9b7d1a5c3e8f6b2d4a9c7e1f3b5d8a2c4e6f9b1d3a5c7e9f2b4d6a8c0e"
VALIDATE="$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"appId\":\"$APP_ID\",\"appSecret\":\"$APP_SECRET\",\"licenseKey\":\"$LICENSE\",\"hwid\":\"$HWID\",\"nonce\":\"0123456789abcdef0123456789abcdef\"}" \
    "$BASE/auth/validate")"
TOKEN="$(echo "$VALIDATE" | field payload | base64 -d | field sessionToken)"
# An app that signs with Ed25519, with a license, a session and a retired key, so that
# its answers and the signing-key routes can succeed too.
ED_APP="$(api_post /v1/apps '{"name":"schemathesis-ed25519","hwidSlots":2,"signing":"ed25519"}')"
ED_APP_ID="$(echo "$ED_APP" | field appId)"
ED_APP_SECRET="$(echo "$ED_APP" | field appSecret)"
ED_LICENSE="$(api_post "/v1/apps/$ED_APP_ID/licenses" '{"count":2}' | field licenses.0.key)"
ED_KEY_ID="$(api_post "/v1/apps/$ED_APP_ID/signing-keys/rotate" '' | field signingKeys.1.keyId)"
ED_VALIDATE="$(curl -fsS -H 'Content-Type: application/json' \
    -d "{\"appId\":\"$ED_APP_ID\",\"appSecret\":\"$ED_APP_SECRET\",\"licenseKey\":\"$ED_LICENSE\",\"hwid\":\"$HWID\",\"nonce\":\"0123456789abcdef0123456789abcdef\"}" \
    "$BASE/auth/validate")"
ED_TOKEN="$(echo "$ED_VALIDATE" | field payload | base64 -d | field sessionToken)"

# The seeded values, offered to Schemathesis beside the ones it generates.
cat >"$WORK/schemathesis.toml" <<TOML
[dictionaries.apps]
values = ["$APP_ID", "$ED_APP_ID"]
[dictionaries.secrets]
values = ["$APP_SECRET", "$ED_APP_SECRET"]
[dictionaries.licenses]
values = ["$LICENSE", "$ED_LICENSE"]
[dictionaries.signing_keys]
values = ["$ED_KEY_ID"]
[dictionaries.rules]
values = [$RULE_ID]
[dictionaries.webhooks]
values = [$WEBHOOK_ID]
[dictionaries.hwids]
values = ["$HWID"]
[dictionaries.tokens]
values = ["$TOKEN", "$ED_TOKEN"]

[parameters]
"path.appId" = { dictionary = "apps", probability = 0.7 }
"path.key" = { dictionary = "licenses", probability = 0.7 }
"path.ruleId" = { dictionary = "rules", probability = 0.3 }
"path.id" = { dictionary = "webhooks", probability = 0.3 }
"path.keyId" = { dictionary = "signing_keys", probability = 0.3 }
"body.appId" = { dictionary = "apps", probability = 0.7 }
"body.appSecret" = { dictionary = "secrets", probability = 0.7 }
"body.licenseKey" = { dictionary = "licenses", probability = 0.7 }
"body.hwid" = { dictionary = "hwids", probability = 0.7 }
"body.sessionToken" = { dictionary = "tokens", probability = 0.7 }

[auth.openapi.apiKey]
bearer = "\${KEYWARD_API_KEY}"
TOML

SEED_ARGS=()
if [ -n "${SEED:-}" ]; then SEED_ARGS=(--seed "$SEED"); fi

status=0
# Schemathesis keeps a cache in its working directory: the temporary one.
cd "$WORK"
timeout "$TIME_LIMIT" "$ROOT/target/api-tools/bin/st" --config-file "$WORK/schemathesis.toml" \
    run "$BASE/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "$MAX_EXAMPLES" \
    --workers 1 \
    --rate-limit 40/s \
    --request-timeout 10 \
    --no-color \
    "${SEED_ARGS[@]}" ${ST_ARGS:-} || status=$?
if [ "$status" -ne 0 ]; then
    if [ "$status" -eq 124 ]; then echo "schemathesis: cut at ${TIME_LIMIT}s" >&2; fi
    echo "schemathesis: failed (exit $status); server log:" >&2
    tail -n 50 "$WORK/server.log" >&2
    exit "$status"
fi
