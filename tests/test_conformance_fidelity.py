"""Fidelity against a running Quay (issue 11): each answer here was checked against Quay's own
server (gunicorn, with and without its bundled nginx) with byte-identical requests.

Where the HTTP server is involved (``%2F`` in paths, paths no route matches, bodies over
1 MiB), the case runs both through cheroot (``mockquay.server.Server``) and in process.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from support.conformance import (
    CREATED,
    GUNICORN_500,
    HTML,
    JSON,
    RESOLVED_IP,
    SIMPLE,
    api_error,
    assert_answer,
    changes,
    client_for,
    http_abort,
    mirror_path,
    state,
    view,
)
from support.world import CREATE_BODY, org_mirrored, quay_test_world

from mockquay.app import create_app
from mockquay.server import Server
from mockquay.settings import Settings

DEVTABLE = {"Authorization": "Bearer devtable-token"}


class Answer:
    """Status, headers and body of an HTTP answer, read the same from http.client or Flask."""

    def __init__(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.data = data


class HTTP:
    """Raw requests to a served app with http.client: the path goes out exactly as written."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Answer:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()


class InProcess:
    """The same requests through Flask's test client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Answer:
        response = self.client.open(path, method=method, data=body, headers=headers or {})
        return Answer(response.status_code, dict(response.headers), response.data)


@pytest.fixture(params=["served", "in-process"])
def quay(request):
    """``(sender, app)``: Quay's test world, sent to over HTTP (cheroot) or in process."""
    client = client_for(quay_test_world())
    if request.param == "in-process":
        yield InProcess(client), client.application
        return
    server = Server(client.application, "127.0.0.1", 0).start()
    try:
        yield HTTP(server.url), client.application
    finally:
        server.stop()


def jwt(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """An unsigned JWT: base64url segments without padding."""

    def segment(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{segment(header)}.{segment(payload)}.c2lnbmF0dXJl"


# 1. A percent-encoded slash in the repository path routes as gunicorn routes it.

ENCODED = "devtable%2Fsimple"


def test_encoded_slash_get_mirror_is_the_mirror_of_the_repository(quay):
    sender, app = quay
    response = sender.request("GET", mirror_path(ENCODED), headers=DEVTABLE)
    expected = (json.dumps(view(app.test_client(), SIMPLE)) + "\n").encode()
    assert_answer(response, 200, expected, JSON)


@pytest.mark.parametrize("action", ["sync-now", "sync-cancel"])
def test_encoded_slash_sync_actions_reach_the_mirror(quay, action):
    sender, app = quay
    if action == "sync-cancel":
        sender.request("POST", mirror_path(ENCODED, "sync-now"), headers=DEVTABLE)
    response = sender.request("POST", mirror_path(ENCODED, action), headers=DEVTABLE)
    assert (response.status_code, response.data) == (204, b"")
    expected = "SYNC_NOW" if action == "sync-now" else "CANCEL"
    assert view(app.test_client(), SIMPLE)["sync_status"] == expected


def test_encoded_slash_put_changes_the_mirror(quay):
    sender, app = quay
    headers = {**DEVTABLE, "Content-Type": "application/json"}
    body = json.dumps({"sync_interval": 60}).encode()
    response = sender.request("PUT", mirror_path(ENCODED), body, headers)
    assert_answer(response, 201, CREATED, JSON)
    assert view(app.test_client(), SIMPLE)["sync_interval"] == 60


def test_lower_case_encoded_slash_routes_the_same(quay):
    sender, _ = quay
    response = sender.request("GET", mirror_path("devtable%2fsimple"), headers=DEVTABLE)
    assert response.status_code == 200


def test_encoded_percent_sign_stays_a_literal_percent_2f(quay):
    """``%252F`` is the text ``%2F``: one segment, so the path is getRepo of ``.../mirror``."""
    sender, app = quay
    response = sender.request("GET", mirror_path("devtable%252Fsimple"), headers=DEVTABLE)
    assert_answer(response, 404, api_error(404, host=_host(sender)), JSON)


def test_encoded_slash_request_is_journaled_under_its_operation_and_repository(quay):
    sender, app = quay
    sender.request("POST", mirror_path(ENCODED, "sync-now"), headers=DEVTABLE)
    entries = app.test_client().get("/__mockquay__/requests?operation=syncNow").get_json()
    assert [entry["repository"] for entry in entries["requests"]] == [SIMPLE]


def _host(sender: HTTP | InProcess) -> str:
    """The Host the sender's requests carry, as profile latest shows it in ``type`` URLs."""
    return f"{sender.host}:{sender.port}" if isinstance(sender, HTTP) else "localhost"


# 2. A bearer token that looks like a JWT is an SSO token: 401 before CSRF, reads and writes.

NO_ISSUER = jwt({"alg": "RS256", "typ": "JWT"}, {"sub": "devtable"})
WITH_ISSUER = jwt({"alg": "RS256", "typ": "JWT"}, {"iss": "https://sso.example.com", "sub": "x"})


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
@pytest.mark.parametrize(
    ("token", "message"),
    [
        (NO_ISSUER, "Token does not contain issuer"),
        (WITH_ISSUER, "Issuer https://sso.example.com not configured"),
    ],
    ids=["no-issuer", "issuer"],
)
def test_jwt_bearer_token_is_refused_as_an_unconfigured_sso_token(method, token, message):
    client = client_for(quay_test_world())
    response = client.open(
        mirror_path(SIMPLE), method=method, headers={"Authorization": f"Bearer {token}"}, json={}
    )
    assert_answer(response, 401, http_abort(message), HTML)


def test_jwt_bearer_token_is_refused_on_sync_now_too():
    client = client_for(quay_test_world())
    response = client.post(
        mirror_path(SIMPLE, "sync-now"), headers={"Authorization": f"Bearer {NO_ISSUER}"}
    )
    assert_answer(response, 401, http_abort("Token does not contain issuer"), HTML)


def test_jwt_header_type_is_compared_without_case():
    token = jwt({"alg": "RS256", "typ": "jwt"}, {})
    client = client_for(quay_test_world())
    response = client.get(mirror_path(SIMPLE), headers={"Authorization": f"Bearer {token}"})
    assert_answer(response, 401, http_abort("Token does not contain issuer"), HTML)


def test_token_with_another_jose_type_is_an_unknown_token():
    """Not an SSO token: an unknown app token, so the caller is anonymous (CSRF on writes)."""
    token = jwt({"alg": "RS256", "typ": "at+jwt"}, {"iss": "https://sso.example.com"})
    client = client_for(quay_test_world())
    headers = {"Authorization": f"Bearer {token}"}
    assert_answer(client.get(mirror_path(SIMPLE), headers=headers), 401, api_error(401), JSON)
    response = client.post(mirror_path(SIMPLE, "sync-now"), headers=headers)
    assert_answer(response, 403, http_abort("CSRF token was invalid or missing."), HTML)


# 11. A fixture token listed without scopes has every Quay OAuth scope.

ALL_SCOPES = [
    "repo:read", "repo:write", "repo:admin", "repo:create",
    "user:read", "user:admin", "org:admin", "super:user",
]  # fmt: skip


def _world_with_unscoped_token() -> dict[str, Any]:
    document = quay_test_world(mirror=False)
    document["tokens"].append({"token": "everything", "user": "devtable"})
    return document


def test_token_without_scopes_gets_every_quay_oauth_scope():
    client = client_for(_world_with_unscoped_token())
    tokens = {token["token"]: token for token in state(client)["tokens"]}
    assert tokens["everything"]["scopes"] == ALL_SCOPES


@pytest.mark.parametrize(
    "path", ["/api/v1/user/robots/dtrobot", "/api/v1/organization/buynlarge/robots/coolrobot"]
)
def test_token_without_scopes_may_look_up_robots(path):
    client = client_for(_world_with_unscoped_token())
    response = client.get(path, headers={"Authorization": "Bearer everything"})
    assert response.status_code == 200
    assert response.get_json()["name"] in ("devtable+dtrobot", "buynlarge+coolrobot")


# 4. Integral numbers are integers; a value PostgreSQL's integer cannot hold crashes Quay.

INTEGER_FIELDS = {"sync_interval": "5.0", "skopeo_timeout_interval": "300.0"}


def _create_raw(client, **raw_fields: str):
    """POST a create body whose ``raw_fields`` are written as raw JSON number text."""
    fields = {**CREATE_BODY, "robot_username": "devtable+newmirrorbot"}
    for key in raw_fields:
        fields.pop(key, None)
    text = json.dumps(fields)[:-1] + "".join(f', "{k}": {v}' for k, v in raw_fields.items()) + "}"
    return client.post(
        mirror_path(SIMPLE), data=text, headers=DEVTABLE, content_type="application/json"
    )


def _put_raw(client, field: str, raw: str):
    return client.put(
        mirror_path(SIMPLE),
        data=f'{{"{field}": {raw}}}',
        headers=DEVTABLE,
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("field", "raw", "shown"),
    [
        ("sync_interval", "5.0", 5),
        ("sync_interval", "1e2", 100),
        ("skopeo_timeout_interval", "300.0", 300),
        ("skopeo_timeout_interval", "3E2", 300),
    ],
)
def test_create_stores_an_integral_number_as_an_integer(field, raw, shown):
    client = client_for(quay_test_world(mirror=False))
    assert_answer(_create_raw(client, **{field: raw}), 201, CREATED, JSON)
    response = client.get(mirror_path(SIMPLE), headers=DEVTABLE)
    assert f'"{field}": {shown},'.encode() in response.data
    assert type(response.get_json()[field]) is int


@pytest.mark.parametrize(
    ("field", "raw", "shown"),
    [
        ("sync_interval", "5.0", 5),
        ("sync_interval", "1e2", 100),
        ("skopeo_timeout_interval", "300.0", 300),
    ],
)
def test_change_stores_an_integral_number_as_an_integer(field, raw, shown):
    client = client_for(quay_test_world())
    assert_answer(_put_raw(client, field, raw), 201, CREATED, JSON)
    response = client.get(mirror_path(SIMPLE), headers=DEVTABLE)
    assert f'"{field}": {shown},'.encode() in response.data
    # The audit log keeps the value as sent.
    assert changes(client, SIMPLE)[-1] == (field, float(raw))


@pytest.mark.parametrize("field", ["sync_interval", "skopeo_timeout_interval"])
def test_create_with_a_number_beyond_a_32_bit_column_is_quays_500(field):
    client = client_for(quay_test_world(mirror=False))
    response = _create_raw(client, **{field: "2147483648"})
    assert_answer(response, 500, GUNICORN_500, "text/html")
    assert response.headers["X-Mockquay-Emulated"] == (
        f"DataError: integer out of range ({field}=2147483648)"
    )
    assert client.get(mirror_path(SIMPLE), headers=DEVTABLE).status_code == 404


def test_create_with_the_largest_32_bit_integer_passes():
    client = client_for(quay_test_world(mirror=False))
    assert_answer(_create_raw(client, sync_interval="2147483647"), 201, CREATED, JSON)
    assert view(client, SIMPLE)["sync_interval"] == 2147483647


@pytest.mark.parametrize("field", ["sync_interval", "skopeo_timeout_interval"])
def test_change_with_a_number_beyond_a_32_bit_column_is_quays_500(field):
    client = client_for(quay_test_world())
    before = view(client, SIMPLE)[field]
    response = _put_raw(client, field, "2147483648")
    assert_answer(response, 500, GUNICORN_500, "text/html")
    assert response.headers["X-Mockquay-Emulated"] == (
        f"DataError: integer out of range ({field}=2147483648)"
    )
    assert view(client, SIMPLE)[field] == before


# 5. The rule a failed create leaves behind is the one a later PUT root_rule changes.


def test_put_root_rule_after_a_failed_create_changes_the_orphan_rule():
    client = client_for(quay_test_world(mirror=False))
    orphaned = {
        **CREATE_BODY,
        "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["orphan"]},
        "robot_username": "devtable+nosuchrobot",
    }
    response = client.post(mirror_path(SIMPLE), headers=DEVTABLE, json=orphaned)
    assert response.status_code == 400
    created = client.post(mirror_path(SIMPLE), headers=DEVTABLE, json=CREATE_BODY)
    assert_answer(created, 201, CREATED, JSON)
    new_rule = {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v2*"]}}
    assert_answer(
        client.put(mirror_path(SIMPLE), headers=DEVTABLE, json=new_rule), 201, CREATED, JSON
    )
    assert view(client, SIMPLE)["root_rule"] == {
        "rule_kind": "tag_glob_csv",
        "rule_value": ["latest"],
    }
    assert changes(client, SIMPLE)[-1] == ("mirror_rule", ["v2*"])


def test_put_root_rule_without_an_orphan_changes_the_mirrors_rule():
    client = client_for(quay_test_world(mirror=False))
    client.post(mirror_path(SIMPLE), headers=DEVTABLE, json=CREATE_BODY)
    new_rule = {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v2*"]}}
    client.put(mirror_path(SIMPLE), headers=DEVTABLE, json=new_rule)
    assert view(client, SIMPLE)["root_rule"]["rule_value"] == ["v2*"]


def test_a_create_refused_before_the_rule_exists_leaves_no_orphan():
    client = client_for(quay_test_world(mirror=False))
    bad_date = {**CREATE_BODY, "sync_start_date": "yesterday"}
    assert client.post(mirror_path(SIMPLE), headers=DEVTABLE, json=bad_date).status_code == 400
    client.post(mirror_path(SIMPLE), headers=DEVTABLE, json=CREATE_BODY)
    new_rule = {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v2*"]}}
    client.put(mirror_path(SIMPLE), headers=DEVTABLE, json=new_rule)
    assert view(client, SIMPLE)["root_rule"]["rule_value"] == ["v2*"]


# 6. Audit-log resolved_ip: Quay's six keys.


def test_audit_entry_resolved_ip_has_quays_six_keys():
    client = client_for(quay_test_world())
    client.post(mirror_path(SIMPLE, "sync-now"), headers=DEVTABLE)
    logs = client.get(f"/api/v1/repository/{SIMPLE}/logs", headers=DEVTABLE).get_json()["logs"]
    assert logs[0]["metadata"]["resolved_ip"] == RESOLVED_IP


# 7. Avatars: Quay's default AVATAR_KIND (local) hashes with sha256.


def test_user_avatar_hash_is_the_sha256_of_the_email():
    client = client_for(quay_test_world())
    avatar = client.get("/api/v1/user/", headers=DEVTABLE).get_json()["avatar"]
    assert avatar["hash"] == hashlib.sha256(b"devtable@example.com").hexdigest()
    assert len(avatar["hash"]) == 64


def test_log_performer_avatar_hash_is_sha256():
    client = client_for(quay_test_world())
    client.post(mirror_path(SIMPLE, "sync-now"), headers=DEVTABLE)
    logs = client.get(f"/api/v1/repository/{SIMPLE}/logs", headers=DEVTABLE).get_json()["logs"]
    assert (
        logs[0]["performer"]["avatar"]["hash"]
        == hashlib.sha256(b"devtable@example.com").hexdigest()
    )


# 10. FEATURE_ORG_MIRROR, off by default: only createRepo and changeRepoState depend on it.

ORGREPO_CHANGESTATE = "/api/v1/repository/buynlarge/orgrepo/changestate"


def _org_mirrored_world(org_mirror_feature: bool | None) -> dict[str, Any]:
    features = {"SUPERUSERS_FULL_ACCESS": True}
    if org_mirror_feature is not None:
        features["ORG_MIRROR"] = org_mirror_feature
    document = quay_test_world(mirror=False, features=features)
    return org_mirrored(document)


@pytest.mark.parametrize("feature", [None, False], ids=["default", "off"])
def test_create_repo_in_an_org_mirrored_org_passes_with_the_feature_off(feature):
    client = client_for(_org_mirrored_world(feature))
    body = {"repository": "x", "namespace": "buynlarge", "visibility": "private", "description": ""}
    response = client.post("/api/v1/repository", headers=DEVTABLE, json=body)
    expected = {"namespace": "buynlarge", "name": "x", "kind": "image"}
    assert_answer(response, 201, (json.dumps(expected) + "\n").encode(), JSON)


@pytest.mark.parametrize("feature", [None, False], ids=["default", "off"])
def test_change_repo_state_in_an_org_mirrored_org_passes_with_the_feature_off(feature):
    client = client_for(_org_mirrored_world(feature))
    response = client.put(ORGREPO_CHANGESTATE, headers=DEVTABLE, json={"state": "READ_ONLY"})
    assert_answer(response, 200, b'{"success": true}\n', JSON)


def test_create_repo_in_an_org_mirrored_org_is_refused_with_the_feature_on():
    client = client_for(_org_mirrored_world(True))
    body = {"repository": "x", "namespace": "buynlarge", "visibility": "private", "description": ""}
    response = client.post("/api/v1/repository", headers=DEVTABLE, json=body)
    detail = "Cannot create repository: organization is managed by organization-level mirroring"
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_change_repo_state_in_an_org_mirrored_org_is_refused_with_the_feature_on():
    client = client_for(_org_mirrored_world(True))
    response = client.put(ORGREPO_CHANGESTATE, headers=DEVTABLE, json={"state": "READ_ONLY"})
    detail = (
        "Repository state changes are not allowed in an organization managed by "
        "organization-level mirroring"
    )
    assert_answer(response, 400, (json.dumps({"detail": detail}) + "\n").encode(), JSON)


@pytest.mark.parametrize("feature", [None, False, True], ids=["default", "off", "on"])
def test_repo_mirror_create_in_an_org_mirrored_org_is_400_whatever_the_feature(feature):
    client = client_for(_org_mirrored_world(feature))
    body = {**CREATE_BODY, "robot_username": "buynlarge+coolrobot"}
    response = client.post(mirror_path("buynlarge/orgrepo"), headers=DEVTABLE, json=body)
    detail = (
        "Repository mirror configuration cannot be managed when organization-level mirroring "
        "is configured"
    )
    assert_answer(response, 400, api_error(400, detail), JSON)


# 8. Paths no API route matches: Quay's UI routes answer them.


def _base(sender: HTTP | InProcess) -> str:
    return f"http://{_host(sender)}"


def test_unrouted_api_path_is_a_308_to_the_slash_terminated_path(quay):
    sender, _ = quay
    response = sender.request("GET", "/api/v1/nonexistent")
    target = f"{_base(sender)}/api/v1/nonexistent/"
    assert (response.status_code, response.headers["Content-Type"]) == (
        308,
        "text/html; charset=utf-8",
    )
    assert response.headers["Location"] == target
    assert f'<a href="{target}">'.encode() in response.data
    assert "Access-Control-Allow-Origin" not in response.headers


def test_unrouted_redirect_keeps_the_query_string(quay):
    sender, _ = quay
    response = sender.request("GET", "/api/v1/nonexistent?namespace=acme")
    assert response.status_code == 308
    assert response.headers["Location"] == f"{_base(sender)}/api/v1/nonexistent/?namespace=acme"


def test_mirror_path_with_a_trailing_slash_is_an_html_404(quay):
    sender, _ = quay
    response = sender.request("GET", mirror_path(SIMPLE) + "/", headers=DEVTABLE)
    assert (response.status_code, response.headers["Content-Type"]) == (
        404,
        "text/html; charset=utf-8",
    )
    assert b"<title>404 Not Found</title>" in response.data
    assert "Location" not in response.headers
    assert "Access-Control-Allow-Origin" not in response.headers


# 9. Bodies over 1 MiB: Quay's bundled nginx answers with its own 413 page.

NGINX_413 = (
    b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    b"<center><h1>413 Request Entity Too Large</h1></center>\r\n"
    b"<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

TOO_LARGE = json.dumps({"external_reference": "x" * (1024 * 1024)}).encode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", mirror_path(SIMPLE)),
        ("POST", mirror_path(SIMPLE)),
        ("POST", mirror_path(SIMPLE, "sync-now")),
        ("POST", "/api/v1/nonexistent"),
    ],
)
def test_body_over_one_mebibyte_is_nginx_413_page(quay, method, path):
    sender, app = quay
    before = state(app.test_client())
    headers = {**DEVTABLE, "Content-Type": "application/json"}
    response = sender.request(method, path, TOO_LARGE, headers)
    assert (response.status_code, response.headers["Content-Type"], response.data) == (
        413,
        "text/html",
        NGINX_413,
    )
    assert response.headers["Connection"] == "close"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert state(app.test_client()) == before


def test_body_of_exactly_one_mebibyte_reaches_quay(quay):
    sender, _ = quay
    body = b'{"sync_interval": -1, "pad": "' + b"x" * (1024 * 1024 - 32) + b'"}'
    assert len(body) == 1024 * 1024
    headers = {**DEVTABLE, "Content-Type": "application/json"}
    response = sender.request("PUT", mirror_path(SIMPLE), body, headers)
    assert response.status_code == 400
    assert json.loads(response.data)["error_type"] == "invalid_request"


# A client generated from the Swagger document (openapi-generator 7.x, Python), as it sends:
# ``{repository}`` encoded as one segment, its User-Agent and Accept, bodies as its models
# serialise them (properties in the document's order, None left out). Quay's document declares
# no ``consumes``, so the client sends a body without Content-Type unless its caller passes
# ``_headers={"Content-Type": "application/json"}``; without it Quay answers 415.

GENERATED_CLIENT = {
    "Accept": "*/*",
    "User-Agent": "OpenAPI-Generator/1.0.0/python",
    "Authorization": "Bearer admin-token",
}
GENERATED_JSON = {**GENERATED_CLIENT, "Content-Type": "application/json"}
GENERATED_CREATE = (
    b'{"external_reference": "quay.io/coreos/etcd", "sync_start_date": "2026-01-01T00:00:00Z", '
    b'"sync_interval": 3600, "robot_username": "acme+mirrorbot", "root_rule": {"rule_kind": '
    b'"tag_glob_csv", "rule_value": ["v3.*"]}, "skopeo_timeout_interval": 300}'
)
GENERATED_MIRROR = "/api/v1/repository/acme%2Fapp/mirror"


@pytest.fixture
def bundled_server():
    server = Server(create_app(Settings()), "127.0.0.1", 0).start()
    try:
        yield HTTP(server.url)
    finally:
        server.stop()


def test_generated_client_creates_reads_updates_syncs_and_cancels_a_mirror(bundled_server):
    send = bundled_server.request
    created = send("POST", GENERATED_MIRROR, GENERATED_CREATE, GENERATED_JSON)
    assert (created.status_code, created.data) == (201, CREATED)
    read = send("GET", GENERATED_MIRROR, headers=GENERATED_CLIENT)
    assert read.status_code == 200
    assert json.loads(read.data)["external_reference"] == "quay.io/coreos/etcd"
    updated = send("PUT", GENERATED_MIRROR, b'{"sync_interval": 60}', GENERATED_JSON)
    assert (updated.status_code, updated.data) == (201, CREATED)
    synced = send("POST", GENERATED_MIRROR + "/sync-now", headers=GENERATED_CLIENT)
    assert (synced.status_code, synced.data) == (204, b"")
    cancelled = send("POST", GENERATED_MIRROR + "/sync-cancel", headers=GENERATED_CLIENT)
    assert (cancelled.status_code, cancelled.data) == (204, b"")
    view = json.loads(send("GET", GENERATED_MIRROR, headers=GENERATED_CLIENT).data)
    assert (view["sync_interval"], view["sync_status"], view["root_rule"]["rule_value"]) == (
        60,
        "CANCEL",
        ["v3.*"],
    )


def test_generated_client_body_without_content_type_is_quays_415(bundled_server):
    response = bundled_server.request("POST", GENERATED_MIRROR, GENERATED_CREATE, GENERATED_CLIENT)
    message = (
        "Did not attempt to load JSON data because the request Content-Type was not "
        "'application/json'."
    )
    assert (response.status_code, response.headers["Content-Type"], response.data) == (
        415,
        "application/json",
        (json.dumps({"message": message}) + "\n").encode(),
    )
