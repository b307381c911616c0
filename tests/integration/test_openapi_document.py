"""The served OpenAPI document describes the errors each operation answers, and every path answers
OPTIONS and a method it does not serve with the methods the document lists for it.

The fuzzer (tests/e2e/test_fuzz_api.py) checks each answer against the document; this checks the
document's own shape and the routing answers for every path at once."""

from __future__ import annotations

import re

import pytest

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


@pytest.fixture(scope="module")
async def document(stack):
    async with stack.client() as anyone:
        r = await anyone.get("/openapi.json")
    assert r.status_code == 200
    return r.json()


def operations(document):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            yield method.upper(), path, op


async def test_every_error_an_operation_declares_is_a_problem(document):
    wrong = [
        f"{method} {path} {status}"
        for method, path, op in operations(document)
        for status, answer in op["responses"].items()
        if int(status) >= 400 and answer.get("content") != PROBLEM
    ]
    assert wrong == []
    assert {"type", "title", "status", "detail"} <= set(document["components"]["schemas"]["Problem"]["required"])


async def test_each_operation_declares_what_its_parts_may_refuse(document):
    missing = []
    for method, path, op in operations(document):
        expected = {"503"}
        if "security" in op:
            expected.add("401")
        if {"APIKeyCookie": []} in op.get("security", []):
            expected.add("429")  # the shared credential check limits each key's rate
        if any(p["in"] == "path" for p in op.get("parameters", [])):
            expected.add("404")
        if "requestBody" in op:
            expected |= {"400", "413", "422"}
        if "/v1/trusts/{trust}" in path and {"APIKeyCookie": []} in op.get("security", []):
            expected.add("403")  # a signed-in person of the trust without the role
        if lacking := expected - set(op["responses"]):
            missing.append(f"{method} {path}: {sorted(lacking)}")
    assert missing == []


async def test_no_schema_is_referenced_that_the_document_lacks(document):
    text = str(document)
    referenced = set(re.findall(r"#/components/schemas/([A-Za-z0-9_.\-]+)", text))
    assert referenced - set(document["components"]["schemas"]) == set()
    assert "HTTPValidationError" not in text


async def test_options_and_unserved_methods_name_what_the_document_lists(stack, document):
    wrong = []
    async with stack.client() as anyone:
        for path, ops in document["paths"].items():
            url = re.sub(r"\{[^}]+\}", "x", path)
            listed = ", ".join(sorted({m.upper() for m in ops} | {"OPTIONS"}))
            options = await anyone.options(url)
            trace = await anyone.request("TRACE", url)
            if options.status_code != 204 or options.headers.get("allow") != listed:
                wrong.append(f"OPTIONS {path}: {options.status_code} {options.headers.get('allow')} (want {listed})")
            if trace.status_code != 405 or trace.headers.get("allow") != listed:
                wrong.append(f"TRACE {path}: {trace.status_code} {trace.headers.get('allow')} (want {listed})")
            elif trace.headers["content-type"] != "application/problem+json":
                wrong.append(f"TRACE {path}: {trace.headers['content-type']}")
    assert wrong == []
