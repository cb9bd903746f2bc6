#!/usr/bin/env bash
# A private PostgreSQL server for the tests, from Debian's postgresql:
#   postgres_server.sh start DIR   a new cluster, started on a free loopback port;
#                                  prints postgresql://rivulet@127.0.0.1:PORT/postgres?gssencmode=disable
#   postgres_server.sh stop DIR    fast shutdown; the cluster's files are removed
# As root the server runs as the `postgres` user (PostgreSQL refuses root),
# so its files live in a directory of their own under /tmp that this user
# can reach; DIR/pgdir names it.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "postgres_server.sh: no PostgreSQL server under /usr/lib/postgresql (run scripts/install-deps.sh)" >&2
  exit 2
fi
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"
    pg=$(mktemp -d /tmp/rivulet-pg.XXXXXX)
    echo "$pg" >"$dir/pgdir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres "$pg"; fi
    as_owner "$bin/initdb" -D "$pg/data" -A trust -U rivulet -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    for attempt in 1 2 3 4 5; do
      port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      if as_owner "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 \
          -o "-p $port -k $pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50" start >/dev/null; then
        # gssencmode=disable: libpq would otherwise try GSSAPI first and set
        # up Kerberos, whose exit-time teardown races with connections closed
        # at exit (seen once under ASan: "k5_mutex_unlock: Received error 22"
        # after a passing test). The private server speaks no GSSAPI anyway.
        echo "postgresql://rivulet@127.0.0.1:$port/postgres?gssencmode=disable"
        exit 0
      fi
    done
    echo "postgres_server.sh: the server did not start:" >&2
    tail -20 "$pg/server.log" >&2
    exit 1
    ;;
  stop)
    pg=$(cat "$dir/pgdir")
    as_owner "$bin/pg_ctl" -D "$pg/data" -w -m fast stop >/dev/null || true
    rm -rf "$pg"
    ;;
  *)
    echo "postgres_server.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
