# with_postgres CMD...: run CMD with DATABASE_URL pointing at a real PostgreSQL server.
# Order: $DATABASE_URL if set; the local server at 127.0.0.1:5432 (user postgres, trust auth);
# otherwise a throw-away cluster in .data/pg on port 55432 (installing Debian's postgresql if needed).

pg_ready() { .venv/bin/python - "$1" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001
    print(f"  not reachable: {exc}".splitlines()[0], file=sys.stderr)
    sys.exit(1)
PY
}

with_postgres() {
  local url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/careconductor}"
  if pg_ready "$url"; then
    DATABASE_URL="$url" "$@"; return
  fi
  if [ -n "${DATABASE_URL:-}" ]; then
    echo "DATABASE_URL=$DATABASE_URL does not answer." >&2; return 1
  fi
  echo "No PostgreSQL at 127.0.0.1:5432: starting a throw-away cluster."
  apt_install postgresql
  local bin dir="$PWD/.data/pg" port=55432 as=""
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ "$(id -u)" = 0 ] && as="runuser -u postgres --"
  rm -rf "$dir"; mkdir -p "$dir/sock"; [ -n "$as" ] && chown -R postgres:postgres "$dir"
  $as "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  $as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o \
    "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null
  local rc=0
  DATABASE_URL="postgres://postgres@127.0.0.1:$port/careconductor" "$@" || rc=$?
  $as "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
  return $rc
}
