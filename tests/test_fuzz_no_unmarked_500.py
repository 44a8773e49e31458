"""Arbitrary JSON bodies and query values, sent to every route in process: no unmarked 500.

A 500 is either Quay's own failure, emulated and marked ``X-Mockquay-Emulated``, or a mockquay
bug. Hypothesis draws bodies that are deep (past the parser's recursion limit), wide, full of odd
Unicode (lone surrogates, control characters), huge numbers and near-valid Quay bodies with one
bad value. The runs are derandomized and bounded, so CI sees the same examples every time.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from support.fuzz import bounded
from werkzeug.test import EnvironBuilder

from mockquay.app import create_app
from mockquay.document_fields import LONE_SURROGATE
from mockquay.quay_api.answers import EMULATED_HEADER
from mockquay.quay_api.routing import operation_for
from mockquay.settings import Settings

FUZZ = bounded(15)

#: A value for each path argument of the routes.
PATH_VALUES = {
    "repository": "acme/etcd",
    "orgname": "acme",
    "robot_shortname": "mirrorbot",
    "prefix": "ac",
    "error_type": "not_found",
    "rule_id": "fault-1",
    "uuid": "0a1b2c3d-0000-4000-8000-000000000000",
    "username": "dev",
    "teamname": "developers",
    "membername": "dev",
    "policy_uuid": "some-uuid",
}
#: Path arguments that differ by route: a file each blueprint serves.
ENDPOINT_PATH_VALUES = {
    "mockquay_swagger_ui.asset": {"filename": "swagger-ui.css"},
    "mockquay_dashboard.static": {"filename": "dashboard.js"},
}

#: Near-valid bodies: each route's fuzzing also draws these with keys replaced or added.
BASES: list[dict[str, Any]] = [
    {
        "external_reference": "quay.io/a/b",
        "sync_interval": 3600,
        "sync_start_date": "2026-01-01T00:00:00Z",
        "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v1"]},
        "robot_username": "acme+mirrorbot",
        "skopeo_timeout_interval": 300,
    },
    {"repository": "new", "namespace": "acme", "visibility": "private", "description": ""},
    {"description": "a robot", "unstructured_metadata": {}},
    {"state": "MIRROR"},
    {"repository": "acme/etcd", "at": "2026-01-01T00:00:00Z"},
    {"match": {"operation": "getRepoMirrorConfig"}, "status": 503},
    {"robots": [{"name": "acme+fuzz"}], "repositories": [{"name": "acme/fuzz"}]},
    {"settings": {"features": {"REPO_MIRROR": True}}, "mirrors": []},
    {
        "event": "repo_push",
        "method": "webhook",
        "config": {"url": "http://a.test/"},
        "eventConfig": {},
    },
    {"notifications": [{"repository": "acme/etcd", "event": "repo_push", "method": "slack"}]},
]

KEYS = sorted(
    {key for base in BASES for key in base}
    | {"external_registry_config", "external_registry_username", "external_registry_password",
       "is_enabled", "architecture_filter", "proxy", "verify_tls", "headers", "body",
       "transport", "delay_ms", "phase", "times", "after", "probability", "id", "users",
       "organizations", "tokens", "faults", "name", "permissions", "token", "scopes",
       "url", "target", "kind", "email", "title", "uuid", "number_of_failures"}
)  # fmt: skip

ODD_TEXT = ["", "acme", "acme+mirrorbot", "acme+\ud800", "x\ud800", "\udfff", "\u2603", "\x00",
            "\r\n", "../..", "acme/etcd", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
            "12/31/9999", "PULL", "SYNC_NOW", "tag_glob_csv", "a" * 300]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**18, max_value=10**400),
    st.floats(),
    st.sampled_from(ODD_TEXT),
    st.text(st.characters(exclude_categories=()), max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=6),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6),
    ),
    max_leaves=20,
)
#: Wide but flat: pprint, which Quay's schema errors use, is slow on wide nested values.
wide_values = st.one_of(
    st.lists(scalars, min_size=50, max_size=150),
    st.dictionaries(st.text(max_size=8), scalars, min_size=50, max_size=150),
)


def _deep(depth: int, kind: str) -> str:
    """A JSON value nested ``depth`` levels deep, as text (json.dumps would recurse)."""
    opening, closing = ("[", "]") if kind == "list" else ('{"a":', "}")
    return opening * depth + "1" + closing * depth


def _embed(base: dict[str, Any], key: str, text: str) -> str:
    """``base`` with ``key`` set to the JSON ``text``."""
    rest = json.dumps({k: v for k, v in base.items() if k != key})
    return rest[:-1] + (", " if len(rest) > 2 else "") + f"{json.dumps(key)}: {text}}}"


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8, lone surrogates as the bytes UTF-8 forbids."""
    return text.encode("utf-8", "surrogatepass")


deep_values = st.builds(_deep, st.integers(1, 1200), st.sampled_from(["list", "dict"]))
bodies = st.one_of(
    json_values.map(json.dumps),
    json_values.map(lambda value: json.dumps(value, ensure_ascii=False)),
    wide_values.map(json.dumps),
    st.builds(
        lambda base, extra: json.dumps({**base, **extra}),
        st.sampled_from(BASES),
        st.dictionaries(st.sampled_from(KEYS), json_values | wide_values, max_size=3),
    ),
    deep_values,
    st.builds(_embed, st.sampled_from(BASES), st.sampled_from(KEYS), deep_values),
    st.sampled_from(["", "{", "nan", "1e400", '"\\ud800"', '{"a": "\\udc00"}', "\ufeff{}"]),
).map(_utf8)


def _routes(app: Flask) -> list[tuple[str, str]]:
    """Every ``(method, path)`` the app serves, its path arguments filled in."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {**PATH_VALUES, **ENDPOINT_PATH_VALUES.get(rule.endpoint, {})}
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, values=values: values[m.group(1)], rule.rule)
        routes.extend((method, path) for method in rule.methods - {"HEAD", "OPTIONS"})
    return sorted(routes)


def _query_routes(app: Flask) -> list[tuple[str, str, tuple[str, ...]]]:
    """``(method, path, query parameter names)`` of every Quay operation with query parameters."""
    routes = []
    for method, path in _routes(app):
        operation, _ = operation_for(app, EnvironBuilder(path, method=method).get_environ())
        if operation is not None and operation.query_params:
            routes.append((method, path, tuple(param.name for param in operation.query_params)))
    return routes


ROUTES = _routes(create_app(Settings()))
QUERY_ROUTES = _query_routes(create_app(Settings()))


@pytest.fixture(scope="module")
def fuzz_app() -> Flask:
    return create_app(Settings())


def _assert_marked(response) -> None:
    assert response.status_code != 500 or EMULATED_HEADER in response.headers, (
        response.status_code,
        dict(response.headers),
        response.data[:300],
    )


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_unmarked_500_for_any_json_body(fuzz_app: Flask, method: str, path: str) -> None:
    client = fuzz_app.test_client()

    @FUZZ
    @given(body=bodies, token=st.sampled_from(["admin-token", None]))
    def send(body: bytes, token: str | None) -> None:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        try:
            _assert_marked(client.open(path, method=method, data=body, headers=headers))
        finally:
            client.post("/__mockquay__/reset", headers={"Content-Type": "application/json"})

    send()


@pytest.mark.parametrize(("method", "path", "names"), QUERY_ROUTES)
def test_no_unmarked_500_for_any_query_value(
    fuzz_app: Flask, method: str, path: str, names: tuple[str, ...]
) -> None:
    client = fuzz_app.test_client()
    # A URL carries bytes, never a lone surrogate.
    odd = [text for text in ODD_TEXT if not LONE_SURROGATE.search(text)]
    values = st.sampled_from(odd + ["01/01/0001", "13/45/2020", "-1", "1e400"]) | st.text()

    @FUZZ
    @given(query=st.dictionaries(st.sampled_from(names), values, min_size=1))
    def send(query: dict[str, str]) -> None:
        headers = {"Authorization": "Bearer admin-token"}
        _assert_marked(client.open(path, method=method, query_string=query, headers=headers))

    send()
