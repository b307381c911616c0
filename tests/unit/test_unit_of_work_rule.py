"""The edge owns the transaction (docs/architecture.md): sessions are made only by
`alerting/services/unit_of_work.py`, and the edges (routes, the socket, the CAD's corner) hold no
SQL of their own: they call services, which query through the session they are given."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNIT_OF_WORK = ROOT / "alerting" / "services" / "unit_of_work.py"
EDGES = [ROOT / "alerting" / "api", ROOT / "alerting" / "realtime", ROOT / "dispatch_adapter"]
# The readiness probe asks the database itself whether it answers (`SELECT 1`): no data, no session.
READINESS = ROOT / "alerting" / "api" / "ops.py"

OPENS_SESSION = re.compile(r"\.sessions\(\)|\.begin\(\)|\.begin_nested\(\)|\.commit\(\)")
RUNS_SQL = re.compile(
    r"from sqlalchemy(\.\w+)* import .*\b(select|insert|update|delete|text)\b|alerting\.store\b|\.execute\("
)


def _sources(*roots: Path) -> list[Path]:
    return [
        p
        for root in roots
        for p in sorted(root.rglob("*.py"))
        if "node_modules" not in p.parts and "migrations" not in p.parts
    ]


def _hits(paths: list[Path], pattern: re.Pattern[str]) -> list[str]:
    return [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in paths
        for n, line in enumerate(p.read_text().splitlines(), start=1)
        if pattern.search(line) and not line.lstrip().startswith("#")
    ]


def test_sessions_are_opened_and_committed_only_by_the_unit_of_work():
    paths = [p for p in _sources(ROOT / "alerting", ROOT / "dispatch_adapter", ROOT / "geo") if p != UNIT_OF_WORK]
    assert _hits(paths, OPENS_SESSION) == [], "open a unit_of_work(services) or reading(services) at the edge instead"


def test_the_rule_is_seen_where_it_is_kept():
    assert _hits([UNIT_OF_WORK], OPENS_SESSION), "the pattern no longer matches how unit_of_work opens a session"


def test_edges_hold_no_sql():
    paths = [p for p in _sources(*EDGES) if p != READINESS]
    assert _hits(paths, RUNS_SQL) == [], "move the query into a service (or alerting/store) and call it"
