#!/usr/bin/env bash
# `make test`: the same bootstrap as `make run`, the checks, then the whole suite against PostgreSQL and Redis.
. "$(dirname "$0")/lib.sh"
bash scripts/bootstrap.sh
bash scripts/check
bash scripts/ensure-redis.sh
bash scripts/ensure-postgres.sh
export ALERTING_TEST_BROKER_URL="${ALERTING_TEST_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672//}"
bash scripts/ensure-rabbitmq.sh "$ALERTING_TEST_BROKER_URL"  # the cluster test's broker
# The cluster test starts its own three redis-server processes, whatever Redis the rest uses.
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || apt_install redis-server
for extra in scripts/test.d/*.sh; do [ -e "$extra" ] && bash "$extra"; done
export ALERTING_TEST_REDIS_URL="${ALERTING_TEST_REDIS_URL:-$ALERTING_REDIS_URL}"
exec "$PY" -m pytest "$@"
