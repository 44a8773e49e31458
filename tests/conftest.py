"""Shared test helpers: apps built on a fixture document, and Quay's own test world."""

from __future__ import annotations

import copy
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
from flask import Flask, request, request_finished
from flask.testing import FlaskClient

from mockquay.app import create_app
from mockquay.control.schemas import to_json_schema
from mockquay.settings import Settings

#: Every profile, oldest first.
ALL_PROFILES = ("3.8", "3.12", "3.15", "3.17", "latest")

FULL_SCOPES = ["repo:admin", "repo:write", "repo:read", "repo:create", "org:admin", "user:admin",
               "user:read", "super:user"]  # fmt: skip

#: Quay's ``_setup_mirror`` fixture (spec section 7), as a mockquay fixture document.
SETUP_MIRROR = {
    "repository": "devtable/simple",
    "external_reference": "quay.io/redhat/quay",
    "sync_interval": 5000,
    "sync_start_date": "2020-01-02T06:30:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest", "3.3*", "foo"]},
    "robot_username": "devtable+dtrobot",
    "skopeo_timeout_interval": 300,
    "is_enabled": True,
    "external_registry_username": "fakeUsername",
    "external_registry_password": "fakePassword",
    "external_registry_config": {
        "verify_tls": True,
        "unsigned_images": False,
        "proxy": {
            "http_proxy": "http://insecure.proxy.corp",
            "https_proxy": "https://secure.proxy.corp",
            "no_proxy": "mylocalhost",
        },
    },
}

#: Create body "B" of spec section 7 (robot filled in per test).
CREATE_BODY = {
    "external_reference": "quay.io/foobar/barbaz",
    "sync_interval": 100,
    "skopeo_timeout_interval": 300,
    "sync_start_date": "2019-08-20T17:51:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest"]},
    "robot_username": "devtable+dtrobot",
}


def quay_test_world(*, mirror: bool = True, **settings: Any) -> dict[str, Any]:
    """Quay's API test world (spec section 7): devtable, buynlarge, freshuser, reader, ...

    ``devtable`` is a superuser with FULL_ACCESS, owner of its namespace and admin of
    ``buynlarge``; ``freshuser`` has no permissions; ``reader`` reads ``devtable/simple``;
    ``globalreadonlysuperuser`` is a global read-only superuser. Each user's token is
    ``<user>-token`` with every scope. ``settings`` are merged into the document's settings.
    """
    document: dict[str, Any] = {
        "settings": {
            "super_users": ["devtable"],
            "global_readonly_super_users": ["globalreadonlysuperuser"],
            "features": {"SUPERUSERS_FULL_ACCESS": True},
            **settings,
        },
        "users": [
            {"username": name}
            for name in ("devtable", "freshuser", "reader", "globalreadonlysuperuser")
        ],
        "organizations": [
            {"name": "buynlarge", "teams": {"owners": {"role": "admin", "members": ["devtable"]}}}
        ],
        "robots": [
            {"name": "devtable+dtrobot"},
            {"name": "devtable+newmirrorbot"},
            {"name": "buynlarge+coolrobot"},
        ],
        "repositories": [
            {"name": "devtable/simple", "permissions": {"reader": "read"}},
            {"name": "buynlarge/orgrepo"},
        ],
        "tokens": [
            {"token": f"{name}-token", "user": name, "scopes": FULL_SCOPES}
            for name in ("devtable", "freshuser", "reader", "globalreadonlysuperuser")
        ],
        "mirrors": [copy.deepcopy(SETUP_MIRROR)] if mirror else [],
    }
    return document


def auth(user: str | None) -> dict[str, str]:
    """Headers of a request made with ``user``'s token (none for anonymous)."""
    return {} if user is None else {"Authorization": f"Bearer {user}-token"}


def build_app(document: dict[str, Any] | None = None, *, profile: str | None = None) -> Flask:
    """An app on ``document`` alone (no bundled fixtures), as Quay ``profile``."""
    app = create_app(Settings(profile=profile, default_fixtures=False))
    if document is not None:
        app.extensions["mockquay"].replace(document)
    return app


@pytest.fixture
def make_client() -> Callable[..., FlaskClient]:
    """``make_client(document=None, profile=None)``: a test client on a fresh app."""

    def make(document: dict[str, Any] | None = None, *, profile: str | None = None) -> FlaskClient:
        return build_app(document, profile=profile).test_client()

    return make


@pytest.fixture
def app() -> Flask:
    """A fresh app on the bundled default fixtures (pytest-flask's ``client`` serves it)."""
    return create_app(Settings())


@pytest.fixture
def default_client(client: FlaskClient) -> FlaskClient:
    """pytest-flask's test client on :func:`app`, the bundled default fixtures."""
    return client


class Served:
    """``mockquay serve --port 0`` in a subprocess, and the JSON ready line it printed."""

    def __init__(self, *arguments: str, env: dict | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"no ready line; stderr: {self.process.stderr.read()}")
        self.ready = json.loads(line)
        self.url = self.ready["url"]
        #: What the server printed on stderr, once it has stopped.
        self.stderr = ""

    def stop(self) -> int:
        """Stop the server with SIGTERM; its exit code (its stderr is kept in ``stderr``)."""
        self.process.send_signal(signal.SIGTERM)
        _, self.stderr = self.process.communicate(timeout=10)
        return self.process.returncode


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    """mockquay's OpenAPI document, as ``/__mockquay__/openapi.json`` serves it."""
    client = create_app(Settings(default_fixtures=False)).test_client()
    return client.get("/__mockquay__/openapi.json").get_json()


_DEFS: dict[int, Any] = {}
_FLASK_RULE_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_NOT_ADMIN_API = ("/__mockquay__/openapi.json", "/__mockquay__/swagger-ui", "/__mockquay__/ui")


def _described(request: Any) -> bool:
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


@pytest.fixture(autouse=True)
def answers_follow_the_openapi_document(openapi_document):
    """Every admin or Quay API answer a test produces must be one the OpenAPI document
    describes (status, content type and body)."""
    problems: list[str] = []

    def check(sender: Flask, response: Any, **extra: Any) -> None:
        if _described(request):
            problem = openapi_problem(openapi_document, request, response)
            if problem is not None:
                problems.append(problem)

    with request_finished.connected_to(check):
        yield
    assert problems == []


@pytest.fixture
def openapi_check(openapi_document) -> Callable[[Any, Any], str | None]:
    """``check(request, response)``: why the answer is not one the OpenAPI document describes."""
    return lambda request, response: openapi_problem(openapi_document, request, response)
