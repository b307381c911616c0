#!/usr/bin/env bash
# `make run`: everything up on this machine, the API and a worker in the foreground until Ctrl-C.
# The worker runs under scripts/supervise.sh: when it exits with a failure (it lost Redis under
# it), it is started again.
. "$(dirname "$0")/lib.sh"
bash scripts/bootstrap.sh
bash scripts/ensure-redis.sh
bash scripts/ensure-rabbitmq.sh "${ALERTING_BROKER_URL:-redis://}"  # only when the broker is RabbitMQ
for extra in scripts/run.d/*.sh; do [ -e "$extra" ] && bash "$extra"; done
export ALERTING_DATABASE_URL="${ALERTING_DATABASE_URL:-sqlite:///var/alerting.db}"
export ALERTING_ENV="${ALERTING_ENV:-development}"  # a laptop: keys generated into var/, plain http
PORT="${PORT:-8000}"
"$PY" -m alerting migrate
"$PY" -m alerting demo
pids=()
cleanup() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT
bash scripts/supervise.sh "$PY" -m alerting worker --concurrency 2 > var/worker.log 2>&1 & pids+=($!)
"$PY" -m alerting serve --host 127.0.0.1 --port "$PORT" & pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
cat <<MSG

  API          http://127.0.0.1:$PORT          (OpenAPI docs at /docs)
  console      http://127.0.0.1:$PORT/admin    (sign in as demo.admin@example.org, password in var/demo-credentials.json)
  responder    http://127.0.0.1:$PORT/responder (sign in with a demo responder token)
  worker log   var/worker.log
  credentials  var/demo-credentials.json

  Post a demo incident:
  $("$PY" -m alerting demo-curl --base-url "http://127.0.0.1:$PORT")

  Play a CAD and twenty responders for a minute:
  .venv/bin/python -m alerting simulate --responders 20 --bbox 53.79,-1.56,53.81,-1.53 --rate 0.5 --duration 60

  Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
