#!/usr/bin/env bash
# The PostgreSQL the tests use (ALERTING_TEST_DATABASE_URL), started or installed when it is local.
. "$(dirname "$0")/lib.sh"
url="${ALERTING_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test}"
host="$(url_host "$url")"; port="$(url_port "$url" 5432)"
ready() { pg_isready -q -h "$host" -p "$port" 2>/dev/null || "$PY" -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)' "$host" "$port" 2>/dev/null; }
ready && exit 0
case "$host" in 127.0.0.1|localhost|::1) ;; *) die "PostgreSQL at $host:$port does not answer";; esac
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  say "installing postgresql"; apt_install postgresql
  conf="$(ls -d /etc/postgresql/*/main | head -1)"
  sed -ri 's/^(local|host)(\s+all\s+all\s+.*)\s(peer|scram-sha-256|md5)$/\1\2 trust/' "$conf/pg_hba.conf"
fi
is_root || die "PostgreSQL is not running at $host:$port — start it and run again"
say "starting PostgreSQL"
pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
for _ in $(seq 100); do ready && break; sleep 0.1; done
ready || die "PostgreSQL did not start"
db="${url##*/}"
su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 || su postgres -c "createdb $db"
