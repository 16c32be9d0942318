#!/usr/bin/env bash
# Validates docs/openapi.json (or the file given) against the OpenAPI 3.1 specification
# with openapi-spec-validator, an implementation independent of the one that wrote it.
# That the file is what the server serves is a test (crates/server/tests/openapi.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-api-tools.sh
target/api-tools/bin/openapi-spec-validator "${1:-docs/openapi.json}"
