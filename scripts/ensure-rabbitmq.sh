#!/usr/bin/env bash
# RabbitMQ at the amqp:// URL given (or ALERTING_BROKER_URL, or a local one on 5672), started from
# Debian's rabbitmq-server when it is local and not running. Nothing to do for a Redis broker.
. "$(dirname "$0")/lib.sh"
url="${1:-${ALERTING_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672//}}"
case "$url" in amqp://*|amqps://*|pyamqp://*) ;; *) exit 0;; esac
host="$(url_host "$url")"; port="$(url_port "$url" 5672)"
ping() { python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()' "$host" "$port" 2>/dev/null; }
ping && exit 0
case "$host" in 127.0.0.1|localhost|::1) ;; *) die "RabbitMQ at $host:$port does not answer";; esac
command -v rabbitmq-server >/dev/null || { say "installing rabbitmq-server"; apt_install rabbitmq-server; }
say "starting rabbitmq-server on $host:$port"
is_root || die "RabbitMQ is not running on $host:$port — start it (e.g. sudo rabbitmq-server -detached) and run again"
RABBITMQ_NODE_PORT="$port" rabbitmq-server -detached >/dev/null 2>&1
timeout 120 rabbitmqctl await_startup >/dev/null 2>&1 || die "rabbitmq-server did not start; see /var/log/rabbitmq/"
ping || die "rabbitmq-server started but does not answer on $host:$port"
