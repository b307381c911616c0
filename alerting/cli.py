"""Command line: serve, worker, beat, migrate, demo, audit verify, simulate."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
from pathlib import Path

from pydantic import ValidationError

from alerting import replay_cli, zones_cli
from alerting.logs import configure
from alerting.settings import get_settings


def _serve(args: argparse.Namespace) -> int:
    from alerting.app import create_app
    from alerting.serve import serve, server_config

    settings = get_settings()
    app = create_app(settings)
    config = server_config(
        app,
        host=args.host,
        port=args.port,
        ws_ping_interval_s=settings.ws_ping_interval_s,
        ws_max_size=64 * 1024,
        keep_alive_s=settings.http_keep_alive_s,
    )
    serve(app, config, gc_thresholds=settings.gc_thresholds)
    return 0


def _schedule_file(prefix: str) -> str:
    Path("var").mkdir(exist_ok=True)
    return str(Path("var") / f"beat-{re.sub(r'[^A-Za-z0-9]+', '_', prefix)}")


def _worker(args: argparse.Namespace) -> int:
    from celery.signals import worker_init

    from alerting.lifetime import bind_children_to
    from alerting.worker import make_celery

    settings = get_settings()
    argv = [
        "worker",
        "--loglevel",
        settings.log_level,
        "--concurrency",
        str(args.concurrency),
        "--without-gossip",
        "--without-mingle",
        # A name of its own: on RabbitMQ a worker's control queue is exclusive to its name, and a
        # second worker on the host under the default `celery@host` would be refused and stop.
        "--hostname",
        f"alerting-{os.getpid()}@%h",
    ]
    if not args.no_beat:
        argv += ["--beat", "--schedule", _schedule_file(settings.redis_prefix)]
    bind_children_to(os.getpid())
    started: list = []
    worker_init.connect(lambda sender, **_: started.append(sender), weak=False)
    make_celery(settings).worker_main(argv)
    # Celery returns nothing whatever happened. After an unrecoverable error (the broker lost under
    # it) the worker must exit non-zero, so that what runs it (scripts/run.sh, docker-compose) starts
    # it again; the sweep then fires whatever fell due meanwhile.
    return (started[0].exitcode or 0) if started else 1


def _beat(_: argparse.Namespace) -> int:
    from alerting.worker import make_celery

    settings = get_settings()
    make_celery(settings).start(
        ["beat", "--loglevel", settings.log_level, "--schedule", _schedule_file(settings.redis_prefix)]
    )
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from alerting.store.migrate import upgrade

    upgrade(get_settings().database_url)
    print("database schema is up to date")
    return 0


def _demo(_: argparse.Namespace) -> int:
    from alerting.demo import create_demo

    return asyncio.run(create_demo(get_settings()))


def _demo_curl(args: argparse.Namespace) -> int:
    from alerting.demo import demo_curl

    print(demo_curl(args.base_url))
    return 0


def _audit_verify(_: argparse.Namespace) -> int:
    from alerting.store import audit
    from alerting.store.db import create_engine, session_factory

    async def run() -> list[str]:
        engine = create_engine(get_settings().database_url)
        try:
            async with session_factory(engine)() as session:
                return await audit.verify(session)
        finally:
            await engine.dispose()

    problems = asyncio.run(run())
    for line in problems:
        print(line)
    print("audit log intact" if not problems else f"{len(problems)} problem(s) found")
    return 0 if not problems else 1


def _simulate(args: argparse.Namespace) -> int:
    from dispatch_adapter.simulator.__main__ import main as simulate

    return simulate(args.simulator_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m alerting", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the API and the responder sockets")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(fn=_serve)
    worker = sub.add_parser("worker", help="run the Celery worker (with the periodic sweep unless --no-beat)")
    worker.add_argument("--no-beat", action="store_true")
    worker.add_argument("--concurrency", type=int, default=2)
    worker.set_defaults(fn=_worker)
    sub.add_parser("beat", help="run the periodic sweep scheduler alone").set_defaults(fn=_beat)
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(fn=_migrate)
    sub.add_parser("demo", help="create the demo trust once and print its credentials").set_defaults(fn=_demo)
    demo_curl = sub.add_parser("demo-curl", help="print a curl that posts a demo incident")
    demo_curl.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the API listens")
    demo_curl.set_defaults(fn=_demo_curl)
    audit_cmd = sub.add_parser("audit", help="audit log tools").add_subparsers(dest="audit_command", required=True)
    audit_cmd.add_parser("verify", help="check the hash chain; exit 1 if any row was edited or deleted").set_defaults(
        fn=_audit_verify
    )
    zones_cli.add_commands(sub)
    replay_cli.add_commands(sub)
    simulate = sub.add_parser("simulate", add_help=False, help="run the reference CAD simulator (see simulate --help)")
    simulate.set_defaults(fn=_simulate)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)  # the simulator parses its own options
    if args.command == "simulate":
        args.simulator_args = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        settings = get_settings()
    except ValidationError as exc:  # a process that cannot be configured safely does not start
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise SystemExit(f"refusing to start: {reasons}") from None
    configure(settings.log_level, settings.log_json)
    return args.fn(args)
