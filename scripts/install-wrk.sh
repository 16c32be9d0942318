#!/usr/bin/env bash
# Installs wrk (the HTTP load generator used by scripts/bench-server.sh) from Debian's
# packages. Idempotent: does nothing when wrk is already on PATH.
set -euo pipefail
command -v wrk >/dev/null 2>&1 || (apt-get update && apt-get install -y wrk)
wrk --version 2>&1 | head -n 1 || true
