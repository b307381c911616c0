"""`python -m dispatch_adapter.simulator`: a reference CAD against a running deployment.

Posts incidents at --rate for --duration inside the area, with a callback to its own webhook
receiver (which verifies every signature with the CAD key), closes filled incidents as a
dispatcher would, shows a progress bar, and prints a summary: posted, alerted, accepted, and the
median time from post to first accept. Exit status 1 if any post failed or a signature was bad.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path

from dispatch_adapter.simulator.demo_area import LEEDS
from dispatch_adapter.simulator.runner import SimulatorConfig, run
from dispatch_adapter.simulator.scenario import parse_ambulance_eta, parse_bbox, parse_flags

DEMO_CREDENTIALS = Path("var") / "demo-credentials.json"


def _cad_key(arg: str | None) -> str:
    if arg:
        return arg
    if os.environ.get("ALERTING_SIM_CAD_KEY"):
        return os.environ["ALERTING_SIM_CAD_KEY"]
    if DEMO_CREDENTIALS.exists():
        return json.loads(DEMO_CREDENTIALS.read_text())["cad_key"]
    raise SystemExit("no CAD key: pass --cad-key, set ALERTING_SIM_CAD_KEY, or run `python -m alerting demo` first")


def _demo(field: str, responders: int) -> str | None:
    if responders > 0 and DEMO_CREDENTIALS.exists():
        return json.loads(DEMO_CREDENTIALS.read_text())[field]
    return None


def _area(args: argparse.Namespace) -> dict:
    if args.bbox:
        try:
            return parse_bbox(args.bbox)
        except ValueError as exc:
            raise SystemExit(f"--bbox: {exc}") from exc
    if args.area:
        return json.loads(Path(args.area).read_text())
    return LEEDS


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dispatch_adapter.simulator",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--url",
        default=os.environ.get("ALERTING_SIM_URL", "http://127.0.0.1:8000"),
        help="the deployment's base URL (default %(default)s)",
    )
    p.add_argument(
        "--cad-key", help="the trust's CAD key (default: $ALERTING_SIM_CAD_KEY or var/demo-credentials.json)"
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--bbox", help="min_lat,min_lon,max_lat,max_lon to place incidents in")
    where.add_argument("--area", help="a GeoJSON Polygon file to place incidents in (default: the demo trust's area)")
    p.add_argument("--rate", type=float, default=1.0, help="incidents per second (default %(default)s)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of posting (default %(default)s)")
    p.add_argument(
        "--linger",
        type=float,
        default=60.0,
        help="seconds to wait after the last post for incidents to end (default %(default)s)",
    )
    p.add_argument(
        "--close-after",
        type=float,
        default=5.0,
        help="close a filled incident after this many seconds; negative: never (default %(default)s)",
    )
    p.add_argument(
        "--callback-host",
        default="127.0.0.1",
        help="address the deployment can reach this machine's webhook receiver on (default %(default)s)",
    )
    p.add_argument("--public-share", type=float, default=0.6, help="share of incidents in public places")
    p.add_argument(
        "--ambulance-eta",
        help="seconds until the crew arrives, N or LOW,HIGH: sent as ambulance_eta_s (the faster-than-ambulance rule)",
    )
    p.add_argument(
        "--flags",
        help="flags and the share of incidents carrying each, e.g. unsafe_scene=0.1,child=0.2 (exclude_flags rule)",
    )
    p.add_argument("--seed", type=int, help="random seed, for a repeatable run")
    p.add_argument(
        "--responders",
        type=int,
        default=0,
        help="simulate this many responders (registered as sim-NNN with the admin key) who answer alerts",
    )
    p.add_argument("--admin-key", help="the trust admin key, for --responders (default: the demo trust's)")
    p.add_argument("--trust", help="the trust id, for --responders (default: the demo trust's)")
    p.add_argument("--accept-share", type=float, default=0.7, help="share of alerts simulated responders accept")
    p.add_argument("--think", type=float, default=5.0, help="simulated responders answer within this many seconds")
    p.add_argument(
        "--travel",
        type=float,
        default=0.0,
        help="simulated responders who are assigned go to the scene in this many seconds, a position a second "
        "(responder.eta), then report on_scene, with_patient and cpr_started (responder.status); 0: they stay",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.rate <= 0 or args.duration <= 0 or args.linger < 0:
        raise SystemExit("--rate and --duration must be positive and --linger not negative")
    if args.responders < 0 or not 0 <= args.accept_share <= 1 or args.think < 0 or args.travel < 0:
        raise SystemExit("--responders, --think and --travel must not be negative, --accept-share is between 0 and 1")
    try:
        ambulance_eta = parse_ambulance_eta(args.ambulance_eta) if args.ambulance_eta else None
        flags = parse_flags(args.flags) if args.flags else ()
    except ValueError as exc:
        raise SystemExit(f"--ambulance-eta / --flags: {exc}") from exc
    cfg = SimulatorConfig(
        url=args.url,
        cad_key=_cad_key(args.cad_key),
        area=_area(args),
        rate=args.rate,
        duration_s=args.duration,
        linger_s=args.linger,
        close_after_s=None if args.close_after < 0 else args.close_after,
        callback_host=args.callback_host,
        public_share=args.public_share,
        ambulance_eta=ambulance_eta,
        flags=flags,
        seed=args.seed,
        progress=not args.no_progress,
        responders=args.responders,
        admin_key=args.admin_key or _demo("admin_key", args.responders),
        trust_id=args.trust or _demo("trust_id", args.responders),
        accept_share=args.accept_share,
        think_s=args.think,
        travel_s=args.travel,
    )
    if cfg.responders and not (cfg.admin_key and cfg.trust_id):
        raise SystemExit("--responders needs --admin-key and --trust (or the demo credentials in var/)")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would bury the progress bar
    summary = asyncio.run(run(cfg))
    if args.json:
        print(json.dumps(dataclasses.asdict(summary)))
    else:
        print("\n".join(summary.lines()))
    return 1 if summary.failed or summary.bad_signatures else 0


if __name__ == "__main__":
    sys.exit(main())
