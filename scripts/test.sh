#!/usr/bin/env bash
# `make test`: the same bootstrap as `make run`, the checks, then the whole suite against PostgreSQL and Redis.
. "$(dirname "$0")/lib.sh"
bash scripts/bootstrap.sh
bash scripts/check
bash scripts/ensure-redis.sh
bash scripts/ensure-postgres.sh
for extra in scripts/test.d/*.sh; do [ -e "$extra" ] && bash "$extra"; done
export ALERTING_TEST_REDIS_URL="${ALERTING_TEST_REDIS_URL:-$ALERTING_REDIS_URL}"
exec "$PY" -m pytest "$@"
