"""`python -m alerting zones import|export`: the zone file endpoints, for scripts and operators.

Runs the same service as the API against the configured database, so a file refused here is
refused there with the same per-placemark problems.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from alerting.settings import get_settings

_FORMATS = {".kml": "kml", ".kmz": "kmz", ".geojson": "geojson", ".json": "geojson"}


def _format_of(path: Path, given: str | None) -> str:
    fmt = given or _FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SystemExit(f"cannot tell the format of {path.name}; name it .kml, .kmz or .geojson, or pass --format")
    return fmt


async def _run(fn, *, write: bool, **kwargs):
    """The command's one unit of work (or read session), as a route would open it."""
    from alerting.services.context import build_services
    from alerting.services.unit_of_work import reading, unit_of_work

    services = build_services(get_settings())
    try:
        if write:
            async with unit_of_work(services) as uow:
                return await fn(uow, **kwargs)
        async with reading(services) as session:
            return await fn(session, **kwargs)
    finally:
        await services.aclose()


def _import(args: argparse.Namespace) -> int:
    from alerting.services.errors import ServiceError
    from alerting.services.zones import import_zones

    path = Path(args.file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        print(f"cannot read {path}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(
            _run(
                import_zones,
                write=True,
                trust_id=args.trust,
                content=content,
                fmt=_format_of(path, args.format),
                actor="cli",
                dry_run=args.dry_run,
                name_property=args.name_property,
                default_phases=args.default_phases,
            )
        )
    except ServiceError as exc:
        print(exc.detail, file=sys.stderr)
        for e in exc.extra.get("errors", []):
            name = f" {e['name']!r}" if e.get("name") else ""
            print(f"  {e['loc']}{name}: {e['msg']}", file=sys.stderr)
        return 1
    for w in result["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    names = ", ".join(z["name"] for z in result["zones"])
    if result["dry_run"]:
        print(f"{len(result['zones'])} zone(s) would be imported: {names} (nothing changed)")
    else:
        print(f"policy v{result['version']}: {len(result['zones'])} zone(s): {names}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from alerting.services.errors import ServiceError
    from alerting.services.zones import export_zones

    try:
        _, body = asyncio.run(_run(export_zones, write=False, trust_id=args.trust, fmt=args.format))
    except ServiceError as exc:
        print(exc.detail, file=sys.stderr)
        return 1
    data = body if isinstance(body, bytes) else json.dumps(body, indent=2).encode() + b"\n"
    if args.output:
        Path(args.output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    zones = sub.add_parser("zones", help="import or export a trust's policy zones (KML, KMZ, GeoJSON)")
    cmds = zones.add_subparsers(dest="zones_command", required=True)
    imp = cmds.add_parser("import", help="replace the zones from a file; nothing is imported if any placemark is bad")
    imp.add_argument("file")
    imp.add_argument("--trust", required=True)
    imp.add_argument("--format", choices=["kml", "kmz", "geojson"], help="default: from the file name")
    imp.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    imp.add_argument(
        "--name-property", help="the GeoJSON property or KML ExtendedData field naming each zone (e.g. NHSER22NM)"
    )
    imp.add_argument(
        "--default-phases",
        choices=["trust"],
        help="zones with no phases and no zone of their name start with the trust-wide phases",
    )
    imp.set_defaults(fn=_import)
    exp = cmds.add_parser("export", help="write the current zones as GeoJSON or KML")
    exp.add_argument("--trust", required=True)
    exp.add_argument("--format", choices=["geojson", "kml"], default="geojson")
    exp.add_argument("--output", "-o", help="file to write; default standard output")
    exp.set_defaults(fn=_export)
