#!/usr/bin/env bash
# Installs the PostgreSQL binaries the PostgreSQL tests run (`initdb`, `pg_ctl`,
# `postgres`: the throwaway clusters of keyward_server::TestPostgres) from Debian's
# `postgresql` package. Does nothing where they are found already (on PATH or in
# /usr/lib/postgresql/*/bin, where the tests look), so it is safe to re-run. Prints
# nothing unless it installs.
set -euo pipefail

found() {
    command -v initdb >/dev/null 2>&1 && return 0
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] && return 0
    done
    return 1
}

if found; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-postgres: no PostgreSQL binaries and no apt-get: install PostgreSQL" \
        "(initdb, pg_ctl, postgres) yourself, or the PostgreSQL tests report themselves ignored" >&2
    exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi

echo "install-postgres: installing Debian's postgresql"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null

if ! found; then
    echo "install-postgres: postgresql is installed but initdb is still not found" >&2
    exit 1
fi
