"""Checking an answer against mockquay's OpenAPI document (``/__mockquay__/openapi.json``)."""

from __future__ import annotations

import re
from typing import Any

import jsonschema

from mockquay.fixtures.json_schema import to_json_schema

_DEFS: dict[int, Any] = {}
_FLASK_RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
#: Paths under the admin prefix that the OpenAPI document does not describe.
_NOT_ADMIN_API = (
    "/__mockquay__/openapi.json",
    "/__mockquay__/swagger-ui",
    "/__mockquay__/ui/static",
)


def described(request: Any) -> bool:
    """Whether the OpenAPI document describes the request's answers: admin API and Quay API
    requests that reached a route (HEAD and OPTIONS are Flask's own)."""
    if request.url_rule is None or request.method in ("HEAD", "OPTIONS"):
        return False
    if request.path.startswith("/__mockquay__"):
        return not request.path.startswith(_NOT_ADMIN_API)
    return request.path.startswith("/api/v1/")


def openapi_problem(document: dict[str, Any], request: Any, response: Any) -> str | None:
    """Why ``response`` is not an answer the OpenAPI document gives to ``request``, or None."""
    path = _FLASK_RULE_ARGUMENT.sub(r"{\1}", request.url_rule.rule)
    where = f"{request.method} {request.path} answered {response.status_code}"
    operation = document["paths"].get(path, {}).get(request.method.lower())
    if operation is None:
        return f"{where}: {request.method} {path} is not in the OpenAPI document"
    answer = operation["responses"].get(str(response.status_code))
    if answer is None:
        return f"{where}: the status is not in the OpenAPI document"
    if "content" not in answer and not response.get_data():
        return None
    schema = answer.get("content", {}).get(response.mimetype, {}).get("schema")
    if schema is None:
        return f"{where}: no {response.mimetype} body is documented"
    body = response.get_data(as_text=True) if response.mimetype == "text/html" else response.json
    if id(document) not in _DEFS:
        _DEFS[id(document)] = to_json_schema(document["components"]["schemas"])
    validator = jsonschema.Draft202012Validator(
        {**to_json_schema(schema), "$defs": _DEFS[id(document)]}
    )
    errors = [error.message for error in validator.iter_errors(body)]
    return f"{where}: {'; '.join(errors)}" if errors else None
