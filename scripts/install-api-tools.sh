#!/usr/bin/env bash
# Installs the API test tools from PyPI into a virtual environment under
# target/api-tools: openapi-spec-validator (scripts/check-openapi.sh) and
# Schemathesis (scripts/schemathesis.sh), at pinned versions. Idempotent, and
# quick when the venv already has these versions. Prints nothing on success
# unless it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/api-tools
# Bump together with docs/api-testing.md.
PINS=(openapi-spec-validator==0.9.0 schemathesis==4.32.5)
STAMP="$VENV/.pins"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "${PINS[*]}" ]; then
    exit 0
fi

echo "install-api-tools: creating $VENV with ${PINS[*]}"
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
echo "${PINS[*]}" >"$STAMP"
