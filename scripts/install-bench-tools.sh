#!/usr/bin/env bash
# Installs the benchmark tools from Debian's packages: wrk (HTTP load) and
# hyperfine (wall time of whole commands). Idempotent.
set -euo pipefail
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v hyperfine >/dev/null 2>&1 || missing+=(hyperfine)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update
  apt-get install -y "${missing[@]}"
fi
