"""Helpers of the conformance suite (``test_conformance_*``); this module holds no tests.

The expected bodies are written out from spec section 1.2, not built with mockquay's own
serialisers, so that a change in ``mockquay.quay_api.answers`` cannot pass unnoticed.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mockquay.domain import audit
from mockquay.extension import emulator_of
from support.world import SETUP_MIRROR, auth, build_app, org_mirrored, quay_test_world

JSON = "application/json"
HTML = "text/html; charset=utf-8"

#: Quay's ``return "", 201``: the JSON string ``""`` and a newline.
CREATED = b'""\n'

CSRF_403 = b'{"error": "CSRF token was invalid or missing."}'

BAD_REQUEST = "The browser (or proxy) sent a request that this server could not understand."
NOT_JSON = (
    "Did not attempt to load JSON data because the request Content-Type was not 'application/json'."
)
NOT_ALLOWED = "The method is not allowed for the requested URL."

#: The repositories of Quay's test world (``quay_test_world``).
SIMPLE = "devtable/simple"
ORGREPO = "buynlarge/orgrepo"

#: Texts of Quay's mirror answers (spec sections 2.2 to 2.5).
LOCATION_NOT_ALLOWED = "The provided registry location is not allowed"
SPARSE_OFF = "Architecture filtering requires FEATURE_SPARSE_INDEX to be enabled."
BAD_DATE = "Incorrect DateTime format for sync_start_date."
PASSWORD_ALONE = "Unable to set a new password without also specifying a username."
DELETE_USERNAME = "Unable to delete username while setting a password."
EMPTY_RULE = "validation failed: rule_value for TAG_GLOB_CSV must be a list with at least one rule"
NO_ROBOT = "Could not find robot with specified username"
ORG_MIRROR_CONFLICT = (
    "Repository mirror configuration cannot be managed when organization-level mirroring is "
    "configured"
)

#: gunicorn's page for an exception Quay does not handle (the emulated 500s).
GUNICORN_500 = (
    b"<html>\n  <head>\n    <title>Internal Server Error</title>\n  </head>\n  <body>\n"
    b"    <h1><p>Internal Server Error</p></h1>\n    \n  </body>\n</html>\n"
)

#: The headers Quay's ``crossorigin`` puts on every answer of an API resource (spec section 1).
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "DELETE, GET, HEAD, OPTIONS, POST, PUT",
    "Access-Control-Max-Age": "21600",
    "Access-Control-Allow-Headers": "AUTHORIZATION, CONTENT-TYPE, X-REQUESTED-WITH",
}

#: An audit entry's ``resolved_ip`` for a loopback caller (Quay's six keys).
RESOLVED_IP = {
    "provider": "internet",
    "service": None,
    "sync_token": "1645662201",
    "country_iso_code": None,
    "aws_region": None,
    "continent": None,
}

_DEFAULT_ERRORS = {
    400: ("invalid_request", None),
    401: ("invalid_token", "Requires authentication"),
    403: ("insufficient_scope", "Unauthorized"),
    404: ("not_found", "Not Found"),
}


def mirror_path(repository: str, action: str = "") -> str:
    """``/api/v1/repository/<repository>/mirror[/<action>]``."""
    return f"/api/v1/repository/{repository}/mirror" + (f"/{action}" if action else "")


def api_error(status: int, detail: str | None = None, *, host: str = "localhost") -> bytes:
    """An ApiError body (spec section 1.2): keys in Quay's order, ``json.dumps`` plus newline."""
    error_type, default_detail = _DEFAULT_ERRORS[status]
    detail = default_detail if detail is None else detail
    body = {
        "detail": detail,
        "error_message": detail,
        "error_type": error_type,
        "title": error_type,
        "type": f"http://{host}/api/v1/error/{error_type}",
        "status": status,
    }
    return (json.dumps(body) + "\n").encode()


def detail_answer(detail: str) -> bytes:
    """A handler's own ``{"detail": ...}`` body."""
    return (json.dumps({"detail": detail}) + "\n").encode()


def dme(message: str) -> bytes:
    """A ``DataModelException`` body: Flask's compact ``jsonify``."""
    return (json.dumps({"message": message}, separators=(",", ":")) + "\n").encode()


def werkzeug(message: str) -> bytes:
    """A Werkzeug HTTP error raised inside Quay's API, as Flask-RESTful serialises it."""
    return (json.dumps({"message": message}) + "\n").encode()


def http_abort(message: str) -> bytes:
    """``util.http.abort``: ``{"error": ...}``, no newline (served as text/html)."""
    return json.dumps({"error": message}).encode()


def assert_answer(response: TestResponse, status: int, body: bytes, content_type: str) -> None:
    """The response is exactly this, and is not one of mockquay's own crashes."""
    assert (response.status_code, response.headers.get("Content-Type"), response.data) == (
        status,
        content_type,
        body,
    )
    assert "X-Mockquay-Internal-Error" not in response.headers


def assert_schema_error(response: TestResponse, first_line: str) -> None:
    """A 400 ApiError whose ``detail`` is a jsonschema error starting with ``first_line``."""
    assert (response.status_code, response.headers.get("Content-Type")) == (400, JSON)
    body = json.loads(response.data)
    detail = body["detail"]
    assert detail.split("\n", 1)[0] == first_line
    assert "\n\nFailed validating " in detail
    assert response.data == api_error(400, detail)


def org_world(*, org_mirror: bool, repo_mirror: bool = False) -> dict[str, Any]:
    """Quay's test world without the ``devtable/simple`` mirror; ``buynlarge`` has an org-level
    mirror if ``org_mirror``, and ``buynlarge/orgrepo`` a repository mirror if ``repo_mirror``."""
    document = quay_test_world(mirror=False)
    if org_mirror:
        org_mirrored(document)
    if repo_mirror:
        mirror = copy.deepcopy(SETUP_MIRROR)
        mirror.update(repository=ORGREPO, robot_username="buynlarge+coolrobot")
        document["mirrors"].append(mirror)
    return document


def client_for(document: dict[str, Any], profile: str = "latest") -> FlaskClient:
    """A test client on an app holding ``document`` alone, as Quay ``profile``."""
    return build_app(document, profile=profile).test_client()


def state(client: FlaskClient) -> dict[str, Any]:
    """The whole state of the client's app, as a fixture document."""
    return emulator_of(client.application).export()


def stored(client: FlaskClient, kind: str, key: str) -> dict[str, Any] | None:
    """The raw stored document (mirrors keep their password and transaction id)."""
    with emulator_of(client.application).store.transaction() as tx:
        return tx.get(kind, key)


def audit_log(client: FlaskClient, repository: str) -> list[dict[str, Any]]:
    """The audit entries of ``repository``, oldest first."""
    with emulator_of(client.application).store.transaction() as tx:
        return list(audit.entries(tx, repository))


def changes(client: FlaskClient, repository: str) -> list[tuple[str, Any]]:
    """``(changed, to)`` of each ``repo_mirror_config_changed`` entry of ``repository``."""
    return [
        (entry["metadata"]["changed"], entry["metadata"]["to"])
        for entry in audit_log(client, repository)
        if entry["kind"] == "repo_mirror_config_changed"
    ]


def permission_of(client: FlaskClient, repository: str, who: str) -> str | None:
    """The role ``who`` (a user or robot) holds directly on ``repository``."""
    repo = stored(client, "repositories", repository)
    return None if repo is None else repo.get("permissions", {}).get(who)


def view(client: FlaskClient, repository: str, user: str = "devtable") -> dict[str, Any]:
    """``getRepoMirrorConfig`` of ``repository`` as ``user``; it must answer 200."""
    response = client.get(mirror_path(repository), headers=auth(user))
    assert response.status_code == 200, response.data
    return json.loads(response.data)
