"""Responder CSV files: parsed and checked row by row, pure, so every rule is unit-tested.

Columns: `id`, `name`, `groups` (separated by `;`), optional `skills` (separated by `;`). A group
is named by its id or by its name as the console shows it (`Community responders`, any case): a
spreadsheet kept by people holds names. A bad row is reported with its line number and does not
stop the others; a file that cannot be read as such a table at all is refused whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from alerting.api.schemas import ResponderIn

REQUIRED = ("id", "name", "groups")


class CsvFileError(ValueError):
    """The file as a whole is unusable: nothing is imported."""


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    responder_id: str | None
    body: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _split(cell: str | None) -> list[str]:
    return [part.strip() for part in (cell or "").split(";") if part.strip()]


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFileError(f"the file is not UTF-8 text (byte {exc.start})") from None


def parse(text: str, *, max_rows: int, groups: Mapping[str, str] | None = None) -> list[Row]:
    """Every data row, valid or not, in file order. Raises CsvFileError for a wrong header or size.
    `groups` (the trust's ids to names) lets rows name groups by name (`group_ids`)."""
    reader = csv.DictReader(io.StringIO(text, newline=""), skipinitialspace=True)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise CsvFileError("the file is empty; the first line must be a header: id,name,groups[,skills]")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvFileError(f"the header lacks column(s) {', '.join(missing)}; expected id,name,groups[,skills]")
    reader.fieldnames = header
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        for record in reader:
            if len(rows) >= max_rows:
                raise CsvFileError(f"the file has more than {max_rows} rows; split it")
            if not any((v or "").strip() for k, v in record.items() if k is not None):
                continue  # a blank line
            rows.append(_row(reader.line_num, record, seen, groups or {}))
    except csv.Error as exc:
        raise CsvFileError(f"line {reader.line_num}: {exc}") from None
    if not rows:
        raise CsvFileError("the file has a header but no rows")
    return rows


def _row(line: int, record: dict[str | None, Any], seen: dict[str, int], groups: Mapping[str, str]) -> Row:
    rid = (record.get("id") or "").strip() or None
    if record.get(None):
        return Row(line, rid, errors=["more cells than header columns"])
    ids, named_badly = group_ids(_split(record.get("groups")), groups)
    if named_badly:
        return Row(line, rid, errors=named_badly)
    body = {
        "id": rid or "",
        "name": (record.get("name") or "").strip(),
        "groups": ids,
        "skills": _split(record.get("skills")),
    }
    try:
        valid = ResponderIn.model_validate(body)
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors()]
        return Row(line, rid, errors=errors)
    if valid.id in seen:  # validated, so the id is there
        return Row(line, rid, errors=[f"id: {valid.id!r} already appears on line {seen[valid.id]}"])
    seen[valid.id] = line
    return Row(line, rid, body=valid.model_dump(exclude_none=True))


def group_ids(given: list[str], groups: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Groups given by id or by name (`groups` maps the trust's ids to names) as ids, and errors.

    An id wins over a name; a name is matched ignoring case and surrounding spaces; a name two
    groups share is an error (which one was meant cannot be guessed); anything else stays as
    written, for validation or the responder's creation to refuse."""
    by_name: dict[str, list[str]] = {}
    for gid, name in groups.items():
        by_name.setdefault(name.strip().casefold(), []).append(gid)
    ids: list[str] = []
    errors: list[str] = []
    for g in given:
        found = [g] if g in groups else by_name.get(g.casefold(), [g])
        if len(found) > 1:
            errors.append(f"groups: {g!r} is the name of several groups ({', '.join(sorted(found))}); use the id")
        ids += found[:1]
    return list(dict.fromkeys(ids)), errors
