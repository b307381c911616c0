#!/usr/bin/env bash
# Runs a command, and runs it again whenever it exits with a failure, until it exits 0 or this
# script is told to stop (TERM or INT, passed on to the command). `make run` keeps its worker under
# it: a worker that loses its broker exits non-zero and comes back here, as docker-compose's
# `restart:` brings it back in production. A command failing at once is retried every second.
set -u
[ $# -gt 0 ] || { echo "usage: supervise.sh COMMAND [ARG...]" >&2; exit 2; }
child=""
stop() {
  trap - TERM INT
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
  exit 0
}
trap stop TERM INT
while true; do
  "$@" &
  child=$!
  wait "$child"
  rc=$?
  child=""
  [ "$rc" -eq 0 ] && exit 0
  echo "supervise: '$*' exited with status $rc; starting it again" >&2
  sleep 1 &
  wait $!
done
