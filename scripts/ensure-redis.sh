#!/usr/bin/env bash
# Redis at ALERTING_REDIS_URL, or a local one started with its data (AOF) under ./var/redis.
. "$(dirname "$0")/lib.sh"
host="$(url_host "$ALERTING_REDIS_URL")"; port="$(url_port "$ALERTING_REDIS_URL" 6379)"
ping() { "$PY" -c 'import sys,redis; redis.Redis(host=sys.argv[1], port=int(sys.argv[2]), socket_timeout=1).ping()' "$host" "$port" 2>/dev/null; }
ping && exit 0
case "$host" in 127.0.0.1|localhost|::1) ;; *) die "Redis at $host:$port does not answer";; esac
command -v redis-server >/dev/null || { say "installing redis-server"; apt_install redis-server; }
say "starting redis-server on $host:$port (data in var/redis)"
mkdir -p var/redis
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --dir "$ROOT/var/redis" --appendonly yes \
  --logfile "$ROOT/var/redis/redis.log" --pidfile "$ROOT/var/redis/redis.pid" >/dev/null
for _ in $(seq 50); do ping && exit 0; sleep 0.1; done
die "redis-server did not start; see var/redis/redis.log"
