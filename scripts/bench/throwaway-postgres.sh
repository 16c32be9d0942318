# Sourced by seeded-server.sh when BACKEND=postgres: a throwaway PostgreSQL cluster, made
# as keyward_server::TestPostgres makes the tests' one (initdb into a temporary directory,
# `postgres` on 127.0.0.1:$PG_PORT with trust authentication on loopback only and its
# unix socket in that directory; as `nobody` through setpriv when run as root, since
# initdb refuses root), but with fsync on: the tests' cluster turns it off.
# Durability is matched to the SQLite backend's (WAL with synchronous=NORMAL: a commit
# is not fsynced on its own, checkpoints are): synchronous_commit=off by default;
# PG_SYNCHRONOUS_COMMIT=on fsyncs every commit's WAL before it is answered.
# Sets DB (the URL of the cluster's `postgres` database, which Keyward migrates), PG_DIR
# and PG_PID; stop_postgres stops the cluster and removes its directory.
PG_PORT="${PG_PORT:-18190}"
PG_SYNCHRONOUS_COMMIT="${PG_SYNCHRONOUS_COMMIT:-off}"

pg_bin_dir() { # PATH first, then the newest /usr/lib/postgresql/<version>/bin (Debian's)
  if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return; fi
  done
  echo "no PostgreSQL binaries (scripts/install-postgres.sh installs them)" >&2
  return 1
}
PG_BIN="$(pg_bin_dir)"
PG_AS=(setpriv --pdeathsig=QUIT --)
PG_DIR="$(mktemp -d)"
if [ "$(id -u)" -eq 0 ]; then
  PG_AS=(setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups --pdeathsig=QUIT --)
  chown nobody "$PG_DIR"
fi
PG_PID=""
stop_postgres() {
  if [ -n "$PG_PID" ]; then kill -INT "$PG_PID" 2>/dev/null || true; wait "$PG_PID" 2>/dev/null || true; fi
  rm -rf "$PG_DIR"
}

"${PG_AS[@]}" "$PG_BIN/initdb" --pgdata "$PG_DIR/data" --username postgres --auth=trust \
  --encoding=UTF8 --locale=C --no-instructions >/dev/null
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$PG_DIR/data/pg_hba.conf"
"${PG_AS[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories="$PG_DIR" \
  -c synchronous_commit="$PG_SYNCHRONOUS_COMMIT" >"$PG_DIR/postgres.log" 2>&1 &
PG_PID=$!
# Ready when postmaster.pid's 8th line says so (what `pg_ctl start -w` waits for).
for _ in $(seq 1 300); do
  [ "$(sed -n 8p "$PG_DIR/data/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ] && break
  if ! kill -0 "$PG_PID" 2>/dev/null; then cat "$PG_DIR/postgres.log" >&2; exit 1; fi
  sleep 0.1
done
DB="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
