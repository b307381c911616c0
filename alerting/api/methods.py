"""Which methods a path answers: the `Allow` of a 405 and the answer to `OPTIONS`.

A path served by several routes (GET and POST of a collection are two routes) would otherwise
answer a 405 with the methods of whichever route matched first; `Allow` names them all, from the
one routing table. Where a fixed path also fits a template (`/responders/import` and
`/responders/{rid}`), the fixed one is the resource meant, as the document lists it."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import compile_path

__all__ = ["allowed"]


Table = list[tuple[re.Pattern[str], int, frozenset[str]]]  # pattern, how many parameters, methods


def _table(app: FastAPI) -> Table:
    """Built on first use, once every router is included; kept on the app."""
    table: Table | None = getattr(app.state, "method_table", None)
    if table is None:
        table = []
        for context in iter_route_contexts(list(app.routes)):
            methods = getattr(context.original_route, "methods", None)
            if context.path and methods:
                pattern, _, parameters = compile_path(context.path)
                table.append((pattern, len(parameters), frozenset(methods)))
        app.state.method_table = table
    return table


def allowed(app: FastAPI, path: str) -> str:
    """`GET, OPTIONS, POST`: every method some route serves at `path`, and OPTIONS, which is always answered."""
    matching = [(parameters, methods) for pattern, parameters, methods in _table(app) if pattern.match(path)]
    fewest = min((parameters for parameters, _ in matching), default=0)
    methods = {"OPTIONS"}.union(*(methods for parameters, methods in matching if parameters == fewest))
    return ", ".join(sorted(methods))
