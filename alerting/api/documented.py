"""The served OpenAPI document says what each operation really answers, errors included.

FastAPI documents a route's success and, for a route with parameters, a 422 in its own
validation shape. Here every error is RFC 9457 `application/problem+json` (`problems.py`), and
most of what an operation may answer follows from what the route is built from, so it is derived
rather than listed route by route (a new route is documented the same way without doing anything):

- every operation: 503, a backing service is not answering;
- parameters or a body: 422, and a body also 400 (not parseable) and 413 (larger than the limit);
  a body in another media type than JSON alone (files, KML, CAP) also 415;
- a path parameter: 404;
- each dependency the route uses adds what it may refuse with, declared on the dependency with
  `refuses(...)` (the credential check: 401 and 429, 403 for a change by session cookie; a trust
  route: 403 and 404; ...);
- what only the route knows (a 409 on a duplicate, a 410 on a spent invite) it declares with
  `responses=declare(409)`.

Each error response then gets the Problem schema under `application/problem+json`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute

from alerting.api.problems import MEDIA_TYPE

__all__ = ["PROBLEM_SCHEMA", "declare", "document", "refuses"]

F = TypeVar("F", bound=Callable[..., Any])
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})

WHY: dict[int, str] = {
    400: "The body cannot be parsed",
    401: "No credential, or not a valid one",
    403: "This credential may not do this: a staff role is missing, or a change sent with the session "
    "cookie lacks `X-CSRF-Token`",
    404: "Not found, or not yours (another trust's, or another kind of credential's)",
    409: "Conflicts with the current state; nothing was changed",
    410: "It existed and is spent or expired; asking again will not help",
    413: "The body is larger than this deployment accepts",
    415: "The content type is not one this operation accepts",
    422: "Invalid input; `errors` names each bad field (`loc`) and what is wrong with it (`msg`)",
    429: "Too many requests; retry after `Retry-After` seconds",
    503: "A backing service (database, Redis, identity provider) is not answering; nothing was changed, "
    "retry after `Retry-After` seconds",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "string"}}}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    429: RETRY_AFTER,
    503: RETRY_AFTER,
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details. Some problems carry more members: `errors` for invalid input, "
    "`code` for a refusal a client acts on (for example `invite_used`).",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "A URI reference naming the kind of problem"},
        "title": {"type": "string", "description": "The status in words"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What went wrong here, for a person"},
        "code": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object"},
            "description": "Each bad field: `{loc, msg}` (a file's bad entries: `{index, id, message}`)",
        },
    },
}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_REFUSES = "__refuses__"


def refuses(*statuses: int, changes: Iterable[int] = ()) -> Callable[[F], F]:
    """Marks a dependency with the problems it may answer; `changes` only for unsafe methods."""

    def mark(fn: F) -> F:
        setattr(fn, _REFUSES, (frozenset(statuses), frozenset(changes)))
        return fn

    return mark


def declare(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route's own problems; `document` gives them the Problem schema."""
    return {status: {"description": WHY[status]} for status in statuses}


def _dependencies(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _dependencies(sub)


def _derived(route: APIRoute, method: str, operation: dict[str, Any]) -> set[int]:
    statuses = {503}
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody")
    if parameters or body:
        statuses.add(422)
    if body:
        statuses |= {400, 413}
        if set(body.get("content", {})) != {"application/json"}:
            statuses.add(415)
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    for call in _dependencies(route.dependant):
        always, changes = getattr(call, _REFUSES, ((), ()))
        statuses |= set(always) | (set(changes) if method in UNSAFE else set())
    return statuses


def _problem_response(existing: dict[str, Any] | None, status: int) -> dict[str, Any]:
    description = (existing or {}).get("description")
    if not description or description == "Validation Error":
        description = WHY.get(status, "A problem")
    answer: dict[str, Any] = {"description": description, "content": {MEDIA_TYPE: {"schema": _PROBLEM_REF}}}
    if status in HEADERS:
        answer["headers"] = HEADERS[status]
    return answer


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, APIRoute]]:
    for context in iter_route_contexts(list(routes)):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and context.path_format:
            yield context.path_format, route


def document(schema: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """Adds every operation's problem answers to FastAPI's document, in place; idempotent."""
    paths = schema.get("paths", {})
    for path, route in _api_routes(routes):
        for method in route.methods or ():
            operation = paths.get(path, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in _derived(route, method, operation) | {int(s) for s in responses if s.isdigit()}:
                if status >= 400:
                    responses[str(status)] = _problem_response(responses.get(str(status)), status)
            operation["responses"] = dict(sorted(responses.items()))
    for webhook in schema.get("webhooks", {}).values():  # the receiver's answers: any 2xx acknowledges
        for operation in webhook.values():
            operation.get("responses", {}).pop("422", None)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
