"""`python -m alerting replay`: the what-if replay from the command line, with the API's numbers."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alerting.settings import get_settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    replay_cmd = sub.add_parser("replay", help="what-if replay: a draft policy against past incidents")
    replay_cmd.add_argument("--trust", required=True, help="trust id")
    replay_cmd.add_argument("--policy", required=True, help="JSON file holding the draft policy")
    replay_cmd.add_argument("--from", dest="start", help="RFC 3339 start (default: 30 days before --to)")
    replay_cmd.add_argument("--to", help="RFC 3339 end, exclusive (default: now)")
    replay_cmd.add_argument("--plot", default="replay.png", help="PNG of arrival times to write ('' for none)")
    replay_cmd.add_argument("--json", action="store_true", help="print the API's JSON instead of the table")
    replay_cmd.set_defaults(fn=run)


def _when(text: str | None, default: datetime) -> datetime:
    if text is None:
        return default
    parsed = datetime.fromisoformat(text)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def run(args: argparse.Namespace) -> int:
    """Prints the comparison table (or the API's JSON) and writes the arrival plot; exit 2 on bad input."""
    # Imported here so other commands (serve, worker) do not load the database stack and matplotlib.
    from pydantic import ValidationError

    from alerting.domain.policy_document import PolicyIn
    from alerting.replay.plot import arrival_plot
    from alerting.replay.summary import arrivals, table
    from alerting.services import replay
    from alerting.services.context import build_services
    from alerting.services.errors import Invalid, NotFound

    try:
        draft = json.loads(Path(args.policy).read_text())
        end = _when(args.to, datetime.now(UTC))
        start = _when(args.start, end - timedelta(days=30))
    except (OSError, ValueError) as exc:  # unreadable file, bad JSON, bad RFC 3339 time
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        draft = PolicyIn.model_validate(draft).model_dump(exclude_none=True)  # the API's own type checks
    except ValidationError as exc:
        print(f"error: the policy file is not a policy: {exc}", file=sys.stderr)
        return 2

    async def compare():
        services = build_services(get_settings())
        try:
            return await replay.compare(services, trust_id=args.trust, draft=draft, start=start, end=end)
        finally:
            await services.aclose()

    try:
        result = asyncio.run(compare())
    except Invalid as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        for e in exc.extra.get("errors", []):
            print(f"  {e['loc']}: {e['msg']}", file=sys.stderr)
        return 2
    except NotFound:
        print(f"error: no trust {args.trust!r}", file=sys.stderr)
        return 2
    report = result.report
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print(f"replay of trust {report['trust']}: {report['period']['from']} to {report['period']['to']}")
        print(table(report["current"], report["draft"]))
        a = report["actual"]
        print(
            f"what happened: {a['incidents']} incidents, {a['with_alert']} with a responder alerted, "
            f"{a['with_accept']} with one accepted ({a['alerts']} alerts, {a['accepts']} accepted)"
        )
    if args.plot:
        arrival_plot(
            arrivals(result.current),
            arrivals(result.draft),
            Path(args.plot),
            title=f"First arrival, current vs draft ({report['period']['days']:g} days)",
        )
        print(f"plot written to {args.plot}", file=sys.stderr)
    return 0
