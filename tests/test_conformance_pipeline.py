"""Conformance: the request pipeline every mirror operation passes (spec sections 1 to 1.4).

Rows whose answer is the same in every Quay line run in every profile; the others run in the
``latest`` profile only (the profile-specific sides belong to the profile tests).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from support.conformance import (
    BAD_REQUEST,
    CORS,
    CREATED,
    CSRF_403,
    HTML,
    JSON,
    NOT_ALLOWED,
    NOT_JSON,
    SIMPLE,
    api_error,
    assert_answer,
    assert_schema_error,
    client_for,
    http_abort,
    mirror_path,
    state,
    stored,
    werkzeug,
)
from support.world import ALL_PROFILES, CREATE_BODY, SETUP_MIRROR, auth, quay_test_world

#: What ``GET .../devtable/simple/mirror`` answers in Quay's test world (spec section 2.1).
SETUP_VIEW = {
    "is_enabled": True,
    "mirror_type": "PULL",
    "external_reference": "quay.io/redhat/quay",
    "external_registry_username": "fakeUsername",
    "external_registry_config": SETUP_MIRROR["external_registry_config"],
    "sync_interval": 5000,
    "sync_start_date": "2020-01-02T06:30:00Z",
    "sync_expiration_date": None,
    "sync_retries_remaining": 3,
    "sync_status": "NEVER_RUN",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest", "3.3*", "foo"]},
    "robot_username": "devtable+dtrobot",
    "skopeo_timeout_interval": 300,
    "architecture_filter": [],
}
SETUP_VIEW_BYTES = (json.dumps(SETUP_VIEW) + "\n").encode()

CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0"
SAFARI = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15"
)
XHR_400 = http_abort(
    "API calls must be invoked with an X-Requested-With header if called from a browser"
)
ANONYMOUS_401 = http_abort("Anonymous access is not allowed")
READ_ONLY_503 = (
    b'{"is_readonly":true,"message":"System is currently read-only. Pulls will succeed but all '
    b'write operations are currently suspended."}\n'
)

#: The four writes, each with a body that would succeed for devtable on the test world.
WRITES = {
    "createRepoMirrorConfig": ("post", mirror_path("devtable/simple"), CREATE_BODY),
    "changeRepoMirrorConfig": ("put", mirror_path(SIMPLE), {"sync_interval": 7}),
    "syncNow": ("post", mirror_path(SIMPLE, "sync-now"), None),
    "syncCancel": ("post", mirror_path(SIMPLE, "sync-cancel"), None),
}

#: Every method some route of a ``.../mirror`` path takes (the mirror and repository resources).
ALL_METHODS = {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"}


def world(**settings: Any) -> dict[str, Any]:
    return quay_test_world(**settings)


def write(client, nickname: str, headers: dict[str, str] | None = None, **kwargs: Any):
    method, path, body = WRITES[nickname]
    if body is not None and "data" not in kwargs:
        kwargs["json"] = body
    return getattr(client, method)(path, headers=headers or {}, **kwargs)


# Step 2: require_xhr_from_browser.


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize(
    "user_agent", [CHROME, FIREFOX, SAFARI], ids=["chrome", "firefox", "safari"]
)
@pytest.mark.parametrize("user", ["devtable", None], ids=["admin", "anonymous"])
def test_browser_get_without_xhr_header_is_400_error_as_html(profile, user_agent, user):
    client = client_for(world(), profile)
    response = client.get(mirror_path(SIMPLE), headers={**auth(user), "User-Agent": user_agent})
    assert_answer(response, 400, XHR_400, HTML)


def test_browser_get_with_xhr_header_passes():
    client = client_for(world())
    headers = {**auth("devtable"), "User-Agent": CHROME, "X-Requested-With": "XMLHttpRequest"}
    assert_answer(client.get(mirror_path(SIMPLE), headers=headers), 200, SETUP_VIEW_BYTES, JSON)


@pytest.mark.parametrize(
    "user_agent", ["curl/8.5.0", "python-requests/2.32.3", ""], ids=["curl", "requests", "none"]
)
def test_non_browser_get_without_xhr_header_passes(user_agent):
    client = client_for(world())
    headers = {**auth("devtable"), "User-Agent": user_agent}
    assert_answer(client.get(mirror_path(SIMPLE), headers=headers), 200, SETUP_VIEW_BYTES, JSON)


def test_browser_get_passes_when_browser_api_calls_xhr_only_is_off():
    client = client_for(world(features={"BROWSER_API_CALLS_XHR_ONLY": False}))
    headers = {**auth("devtable"), "User-Agent": CHROME}
    assert_answer(client.get(mirror_path(SIMPLE), headers=headers), 200, SETUP_VIEW_BYTES, JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_browser_post_without_xhr_header_is_not_checked(profile):
    client = client_for(world(), profile)
    headers = {**auth("devtable"), "User-Agent": CHROME}
    response = client.post(mirror_path(SIMPLE, "sync-now"), headers=headers)
    assert_answer(response, 204, b"", JSON)
    assert stored(client, "mirrors", SIMPLE)["sync_status"] == "SYNC_NOW"


# Step 3: process_oauth. An unknown token is no error: the request goes on as anonymous.


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "Bearer", "Basic ZGV2dGFibGU6cGFzc3dvcmQ=", "Token devtable-token"],
    ids=["unknown-token", "empty-bearer", "basic-auth", "other-scheme"],
)
def test_get_with_an_unusable_authorization_continues_as_anonymous(profile, authorization):
    client = client_for(world(), profile)
    response = client.get(mirror_path(SIMPLE), headers={"Authorization": authorization})
    assert_answer(response, 401, api_error(401), JSON)


def test_bearer_scheme_is_case_insensitive_and_extra_spaces_are_ignored():
    client = client_for(world())
    for header in ("bearer devtable-token", "Bearer  devtable-token"):
        response = client.get(mirror_path(SIMPLE), headers={"Authorization": header})
        assert_answer(response, 200, SETUP_VIEW_BYTES, JSON)


# Step 4: csrf_protect. A write without a valid token never reaches the 401.


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("nickname", WRITES)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic ZGV2dGFibGU6eA=="}],
    ids=["no-token", "bad-token", "basic-auth"],
)
def test_write_without_a_valid_token_is_403_csrf_and_changes_nothing(profile, nickname, headers):
    client = client_for(world(), profile)
    before = state(client)
    assert_answer(write(client, nickname, headers), 403, CSRF_403, HTML)
    assert state(client) == before


@pytest.mark.parametrize("nickname", ["createRepoMirrorConfig", "changeRepoMirrorConfig"])
def test_csrf_is_checked_before_the_json_body(nickname):
    client = client_for(world())
    response = write(client, nickname, data=b"{not json", content_type="application/json")
    assert_answer(response, 403, CSRF_403, HTML)


@pytest.mark.parametrize("nickname", WRITES)
def test_csrf_is_checked_before_the_repository_lookup(nickname):
    client = client_for(world())
    method, path, body = WRITES[nickname]
    response = getattr(client, method)(path.replace(SIMPLE, "devtable/unicorn"), json=body)
    assert_answer(response, 403, CSRF_403, HTML)


def test_csrf_is_checked_before_read_only_mode():
    client = client_for(world(registry_state="readonly"))
    assert_answer(write(client, "syncNow"), 403, CSRF_403, HTML)


def test_csrf_is_checked_before_anonymous_access_protection():
    client = client_for(world(features={"ANONYMOUS_ACCESS": False}))
    assert_answer(write(client, "syncNow"), 403, CSRF_403, HTML)


# Step 5: check_readonly.


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("nickname", WRITES)
def test_write_in_read_only_mode_is_503_and_changes_nothing(profile, nickname):
    client = client_for(world(registry_state="readonly"), profile)
    before = state(client)
    assert_answer(write(client, nickname, auth("devtable")), 503, READ_ONLY_503, JSON)
    assert state(client) == before


def test_read_only_mode_is_checked_before_permissions_and_the_body():
    client = client_for(world(registry_state="readonly"))
    response = write(client, "changeRepoMirrorConfig", auth("freshuser"), data=b"{")
    assert_answer(response, 503, READ_ONLY_503, JSON)


def test_get_in_read_only_mode_passes():
    client = client_for(world(registry_state="readonly"))
    response = client.get(mirror_path(SIMPLE), headers=auth("devtable"))
    assert_answer(response, 200, SETUP_VIEW_BYTES, JSON)


# Step 7: check_anon_protection.


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer not-a-token"}], ids=["anonymous", "unknown-token"]
)
def test_anonymous_get_with_anonymous_access_off_is_401_error_as_html(profile, headers):
    client = client_for(world(features={"ANONYMOUS_ACCESS": False}), profile)
    assert_answer(client.get(mirror_path(SIMPLE), headers=headers), 401, ANONYMOUS_401, HTML)


def test_authenticated_get_with_anonymous_access_off_passes():
    client = client_for(world(features={"ANONYMOUS_ACCESS": False}))
    response = client.get(mirror_path(SIMPLE), headers=auth("devtable"))
    assert_answer(response, 200, SETUP_VIEW_BYTES, JSON)


def test_anonymous_access_protection_comes_before_the_repository_lookup():
    client = client_for(world(features={"ANONYMOUS_ACCESS": False}))
    response = client.get(mirror_path("devtable/unicorn"))
    assert_answer(response, 401, ANONYMOUS_401, HTML)


def test_xhr_check_comes_before_anonymous_access_protection():
    client = client_for(world(features={"ANONYMOUS_ACCESS": False}))
    response = client.get(mirror_path(SIMPLE), headers={"User-Agent": FIREFOX})
    assert_answer(response, 400, XHR_400, HTML)


# Step 8: require_repo_admin (spec section 1.3).

FULL = ["repo:admin", "repo:write", "repo:read", "repo:create", "org:admin", "user:read"]
NO_REPO_ADMIN = ["repo:write", "repo:read", "repo:create", "org:admin", "user:read"]

MIRRORED = {"devtable": "devtable/simple", "buynlarge": "buynlarge/orgrepo"}
BARE = {"devtable": "devtable/bare", "buynlarge": "buynlarge/orgbare"}
ROBOTS = {"devtable": "devtable+dtrobot", "buynlarge": "buynlarge+coolrobot"}


def permission_world(*, full_access: bool) -> dict[str, Any]:
    """Every kind of caller of the section 1.3 table, on a user and an organization namespace.

    The mirrors are in SYNC_NOW, so that every operation has a success answer.
    """
    users = ["devtable", "reader", "writer", "repoadmin", "orgowner", "orgmember", "root"]
    users += ["rootadmin", "auditor"]
    direct = {"reader": "read", "writer": "write", "repoadmin": "admin", "rootadmin": "admin"}
    tokens = [
        {"token": f"{user}-token", "user": user, "scopes": FULL + ["super:user"]} for user in users
    ]
    tokens += [
        {"token": "repoadmin-noadmin-token", "user": "repoadmin", "scopes": NO_REPO_ADMIN},
        {"token": "devtable-noadmin-token", "user": "devtable", "scopes": NO_REPO_ADMIN},
        {"token": "orgowner-noadmin-token", "user": "orgowner", "scopes": NO_REPO_ADMIN},
        {"token": "root-nosuper-token", "user": "root", "scopes": FULL},
    ]
    mirrors = []
    for namespace, repository in MIRRORED.items():
        mirror = copy.deepcopy(SETUP_MIRROR)
        mirror.update(repository=repository, robot_username=ROBOTS[namespace])
        mirror.update(sync_status="SYNC_NOW")
        mirrors.append(mirror)
    return {
        "settings": {
            "super_users": ["root", "rootadmin"],
            "global_readonly_super_users": ["auditor"],
            "features": {"SUPERUSERS_FULL_ACCESS": full_access},
        },
        "users": [{"username": user} for user in users],
        "organizations": [
            {
                "name": "buynlarge",
                "teams": {
                    "owners": {"role": "admin", "members": ["orgowner"]},
                    "devs": {"role": "member", "members": ["orgmember"]},
                },
            }
        ],
        "robots": [{"name": robot} for robot in ROBOTS.values()],
        "repositories": [
            {"name": name, "permissions": dict(direct)}
            for name in (*MIRRORED.values(), *BARE.values())
        ],
        "tokens": tokens,
        "mirrors": mirrors,
    }


def permission_request(client, operation: str, namespace: str, token: str | None):
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    if operation == "GET":
        return client.get(mirror_path(MIRRORED[namespace]), headers=headers)
    if operation == "POST":
        body = {**CREATE_BODY, "robot_username": ROBOTS[namespace]}
        return client.post(mirror_path(BARE[namespace]), headers=headers, json=body)
    if operation == "PUT":
        return client.put(mirror_path(MIRRORED[namespace]), headers=headers, json={})
    action = {"syncNow": "sync-now", "syncCancel": "sync-cancel"}[operation]
    return client.post(mirror_path(MIRRORED[namespace], action), headers=headers)


OPERATIONS = ("GET", "POST", "PUT", "syncNow", "syncCancel")

#: (caller, token, namespace, FULL_ACCESS, outcome of GET, outcome of the four writes).
PERMISSION_TABLE = [
    ("anonymous", None, "devtable", False, "401", "csrf"),
    ("unknown-token", "nobody-token", "devtable", False, "401", "csrf"),
    ("read-role", "reader-token", "devtable", False, "403", "403"),
    ("write-role", "writer-token", "devtable", False, "403", "403"),
    ("write-role-org", "writer-token", "buynlarge", False, "403", "403"),
    ("admin-role", "repoadmin-token", "devtable", False, "pass", "pass"),
    ("admin-role-org", "repoadmin-token", "buynlarge", False, "pass", "pass"),
    ("namespace-owner", "devtable-token", "devtable", False, "pass", "pass"),
    ("org-admin-team", "orgowner-token", "buynlarge", False, "pass", "pass"),
    ("org-member-team", "orgmember-token", "buynlarge", False, "403", "403"),
    ("admin-role-token-without-repo-admin", "repoadmin-noadmin-token", "devtable", False,
     "403", "403"),
    ("owner-token-without-repo-admin", "devtable-noadmin-token", "devtable", False, "403", "403"),
    ("org-admin-token-without-repo-admin", "orgowner-noadmin-token", "buynlarge", False,
     "403", "403"),
    ("superuser-no-full-access", "root-token", "devtable", False, "403", "403"),
    ("superuser-no-full-access-org", "root-token", "buynlarge", False, "403", "403"),
    ("superuser-no-full-access-but-admin", "rootadmin-token", "devtable", False, "pass", "pass"),
    ("superuser-full-access", "root-token", "devtable", True, "pass", "pass"),
    ("superuser-full-access-org", "root-token", "buynlarge", True, "pass", "pass"),
    ("superuser-full-access-token-without-super-user", "root-nosuper-token", "devtable", True,
     "403", "403"),
    ("global-readonly-superuser", "auditor-token", "devtable", False, "pass", "403"),
    ("global-readonly-superuser-full-access", "auditor-token", "buynlarge", True, "pass", "403"),
]  # fmt: skip


def _permission_cases():
    for caller, token, namespace, full_access, get, writes in PERMISSION_TABLE:
        for operation in OPERATIONS:
            outcome = get if operation == "GET" else writes
            # A passing GET or POST answers differently per Quay line (keys, required fields), and
            # so does a global read-only superuser's GET: those rows run as the latest line only.
            varies = (outcome == "pass" and operation in ("GET", "POST")) or (
                operation == "GET" and caller.startswith("global-readonly")
            )
            for profile in ("latest",) if varies else ALL_PROFILES:
                yield pytest.param(
                    token, namespace, full_access, operation, outcome, profile,
                    id=f"{caller}-{operation}-{profile}",
                )  # fmt: skip


def _permission_view(namespace: str) -> bytes:
    view = dict(SETUP_VIEW, robot_username=ROBOTS[namespace], sync_status="SYNC_NOW")
    return (json.dumps(view) + "\n").encode()


@pytest.mark.parametrize(
    ("token", "namespace", "full_access", "operation", "outcome", "profile"),
    list(_permission_cases()),
)
def test_permission_table(token, namespace, full_access, operation, outcome, profile):
    client = client_for(permission_world(full_access=full_access), profile)
    before = state(client)
    response = permission_request(client, operation, namespace, token)
    if outcome != "pass":
        expected = {"401": (401, api_error(401), JSON), "403": (403, api_error(403), JSON)}
        expected["csrf"] = (403, CSRF_403, HTML)
        assert_answer(response, *expected[outcome])
        assert state(client) == before
    elif operation == "GET":
        assert_answer(response, 200, _permission_view(namespace), JSON)
    elif operation == "POST":
        assert_answer(response, 201, CREATED, JSON)
        assert stored(client, "mirrors", BARE[namespace])["sync_status"] == "NEVER_RUN"
    elif operation == "PUT":
        assert_answer(response, 201, CREATED, JSON)
        assert state(client) == before
    else:
        assert_answer(response, 204, b"", JSON)
        status = {"syncNow": "SYNC_NOW", "syncCancel": "CANCEL"}[operation]
        if profile in ("3.8", "3.12") and operation == "syncCancel":
            status = "NEVER_RUN"
        assert stored(client, "mirrors", MIRRORED[namespace])["sync_status"] == status


def test_permission_is_checked_before_the_repository_lookup():
    client = client_for(world())
    response = client.get(mirror_path("devtable/unicorn"), headers=auth("freshuser"))
    assert_answer(response, 403, api_error(403), JSON)


# Step 9: validate_json_request (spec section 1.4).


@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"{}", "text/plain"), (b"", None), (b"{}", "application/x-www-form-urlencoded")],
    ids=["text-plain", "no-content-type", "form"],
)
def test_body_that_is_not_json_is_415(method, data, content_type):
    client = client_for(world(mirror=method == "put"))
    before = state(client)
    kwargs = (
        {"data": data} if content_type is None else {"data": data, "content_type": content_type}
    )
    response = getattr(client, method)(mirror_path(SIMPLE), headers=auth("devtable"), **kwargs)
    assert_answer(response, 415, werkzeug(NOT_JSON), JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize(
    "data",
    [b"", b"{", b'{"sync_interval": }', b"\xff\xfe"],
    ids=["empty", "open-brace", "bad-value", "not-utf8"],
)
def test_empty_or_malformed_json_is_werkzeug_400(profile, method, data):
    client = client_for(world(mirror=method == "put"), profile)
    before = state(client)
    response = getattr(client, method)(
        mirror_path(SIMPLE), headers=auth("devtable"), data=data, content_type="application/json"
    )
    assert_answer(response, 400, werkzeug(BAD_REQUEST), JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("method", ["post", "put"])
def test_null_body_is_missing_json_body(profile, method):
    client = client_for(world(mirror=method == "put"), profile)
    before = state(client)
    response = getattr(client, method)(
        mirror_path(SIMPLE), headers=auth("devtable"), data=b"null", content_type="application/json"
    )
    assert_answer(response, 400, api_error(400, "Missing JSON body"), JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize(
    ("data", "first_line"),
    [
        (b"[]", "[] is not of type 'object'"),
        (b'["a"]', "['a'] is not of type 'object'"),
        (b'"text"', "'text' is not of type 'object'"),
        (b"5", "5 is not of type 'object'"),
    ],
    ids=["array", "list", "string", "number"],
)
def test_body_that_is_not_an_object_is_a_schema_error(profile, method, data, first_line):
    client = client_for(world(mirror=method == "put"), profile)
    before = state(client)
    response = getattr(client, method)(
        mirror_path(SIMPLE), headers=auth("devtable"), data=data, content_type="application/json"
    )
    assert_schema_error(response, first_line)
    assert state(client) == before


def test_json_suffix_content_type_is_json():
    client = client_for(world())
    response = client.put(
        mirror_path(SIMPLE),
        headers=auth("devtable"),
        data=b'{"sync_interval": 7}',
        content_type="application/merge-patch+json",
    )
    assert_answer(response, 201, CREATED, JSON)
    assert stored(client, "mirrors", SIMPLE)["sync_interval"] == 7


def test_schema_error_detail_is_jsonschema_text_verbatim():
    client = client_for(world())
    before = state(client)
    response = client.put(
        mirror_path(SIMPLE), headers=auth("devtable"), json={"skopeo_timeout_interval": 60}
    )
    detail = (
        "60 is less than the minimum of 300\n\nFailed validating 'minimum' in "
        "schema['properties']['skopeo_timeout_interval']:\n    {'description': 'Number of "
        "seconds mirroring job will run before '\n                    'timing out.',\n     "
        "'minimum': 300,\n     'type': 'integer'}\n\nOn instance['skopeo_timeout_interval']:\n"
        "    60"
    )
    assert_answer(response, 400, api_error(400, detail), JSON)
    assert state(client) == before


@pytest.mark.parametrize(
    ("body", "first_line"),
    [
        ({}, "'external_reference' is a required property"),
        (
            {k: v for k, v in CREATE_BODY.items() if k != "skopeo_timeout_interval"},
            "'skopeo_timeout_interval' is a required property",
        ),
        (
            {**CREATE_BODY, "root_rule": {"rule": ["latest"], "rule_type": "TAG_GLOB_CSV"}},
            "'rule_kind' is a required property",
        ),
        ({**CREATE_BODY, "sync_start_date": None}, "None is not of type 'string'"),
        ({**CREATE_BODY, "sync_interval": "5"}, "'5' is not of type 'integer'"),
        ({**CREATE_BODY, "sync_interval": True}, "True is not of type 'integer'"),
        ({**CREATE_BODY, "sync_interval": 1.5}, "1.5 is not of type 'integer'"),
        ({**CREATE_BODY, "robot_username": None}, "None is not of type 'string'"),
        (
            {**CREATE_BODY, "external_registry_config": {"proxy": {"http_proxy": 5}}},
            "5 is not of type 'string', 'null'",
        ),
    ],
    ids=[
        "empty",
        "no-skopeo-timeout",
        "documented-root-rule-shape",
        "null-date",
        "string-interval",
        "bool-interval",
        "float-interval",
        "null-robot",
        "int-proxy",
    ],
)
def test_create_schema_errors(body, first_line):
    client = client_for(world(mirror=False))
    before = state(client)
    response = client.post(mirror_path(SIMPLE), headers=auth("devtable"), json=body)
    assert_schema_error(response, first_line)
    assert state(client) == before


def test_integral_float_passes_the_schema():
    client = client_for(world())
    response = client.put(
        mirror_path(SIMPLE), headers=auth("devtable"), json={"sync_interval": 5.0}
    )
    assert_answer(response, 201, CREATED, JSON)
    assert stored(client, "mirrors", SIMPLE)["sync_interval"] == 5


def test_body_is_checked_after_permissions():
    client = client_for(world())
    response = client.put(
        mirror_path(SIMPLE), headers=auth("freshuser"), data=b"{", content_type="application/json"
    )
    assert_answer(response, 403, api_error(403), JSON)


def test_body_is_checked_before_the_repository_lookup():
    client = client_for(world())
    response = client.put(
        mirror_path("devtable/unicorn"),
        headers=auth("devtable"),
        data=b"[]",
        content_type="application/json",
    )
    assert_schema_error(response, "[] is not of type 'object'")


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("action", ["sync-now", "sync-cancel"])
def test_sync_operations_ignore_the_body(profile, action):
    document = world()
    document["mirrors"][0]["sync_status"] = "SYNC_NOW"
    client = client_for(document, profile)
    response = client.post(
        mirror_path(SIMPLE, action), headers=auth("devtable"), data=b"{", content_type="text/plain"
    )
    assert_answer(response, 204, b"", JSON)


# CORS headers and OPTIONS.


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("get", mirror_path(SIMPLE), auth("devtable")),
        ("get", mirror_path(SIMPLE), {}),
        ("get", mirror_path("devtable/unicorn"), auth("devtable")),
        ("get", mirror_path(SIMPLE), {"User-Agent": CHROME}),
        ("post", mirror_path(SIMPLE, "sync-now"), auth("devtable")),
        ("post", mirror_path(SIMPLE, "sync-now"), {}),
        ("put", mirror_path(SIMPLE), auth("devtable")),
        ("put", mirror_path(SIMPLE), auth("freshuser")),
    ],
    ids=["200", "401", "404", "xhr-400", "204", "csrf-403", "415", "403"],
)
def test_every_answer_carries_the_cors_headers(method, path, headers):
    client = client_for(world())
    response = getattr(client, method)(path, headers=headers)
    assert {name: response.headers.get(name) for name in CORS} == CORS


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("action", ["", "sync-now", "sync-cancel"])
@pytest.mark.parametrize("user", [None, "freshuser"], ids=["anonymous", "no-permission"])
def test_options_is_200_with_cors_headers_for_anyone(profile, action, user):
    client = client_for(world(), profile)
    before = state(client)
    response = client.options(mirror_path(SIMPLE, action), headers=auth(user))
    assert (response.status_code, response.data) == (200, b"")
    assert {name: response.headers.get(name) for name in CORS} == CORS
    assert set(response.headers["Allow"].split(", ")) == ALL_METHODS
    assert state(client) == before


# Routing (spec section 1.1).


def nested_world() -> dict[str, Any]:
    document = world()
    document["repositories"].append({"name": "devtable/a/b"})
    mirror = dict(copy.deepcopy(SETUP_MIRROR), repository="devtable/a/b")
    document["mirrors"].append(mirror)
    return document


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_nested_repository_name_reaches_its_mirror(profile):
    client = client_for(nested_world(), profile)
    response = client.post(mirror_path("devtable/a/b", "sync-now"), headers=auth("devtable"))
    assert_answer(response, 204, b"", JSON)
    assert stored(client, "mirrors", "devtable/a/b")["sync_status"] == "SYNC_NOW"
    assert stored(client, "mirrors", SIMPLE)["sync_status"] == "NEVER_RUN"


def test_nested_repository_get_shows_its_own_mirror():
    client = client_for(nested_world())
    response = client.get(mirror_path("devtable/a/b"), headers=auth("devtable"))
    assert_answer(response, 200, SETUP_VIEW_BYTES, JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_encoded_slash_reaches_the_same_repository(profile):
    client = client_for(world(), profile)
    response = client.post(mirror_path("devtable%2Fsimple", "sync-now"), headers=auth("devtable"))
    assert_answer(response, 204, b"", JSON)
    assert stored(client, "mirrors", SIMPLE)["sync_status"] == "SYNC_NOW"


def test_encoded_slash_get_shows_the_same_mirror():
    client = client_for(world())
    response = client.get(mirror_path("devtable%2Fsimple"), headers=auth("devtable"))
    assert_answer(response, 200, SETUP_VIEW_BYTES, JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize(("user", "status"), [("devtable", 404), ("freshuser", 403), (None, 401)])
def test_one_segment_get_is_get_repo_of_name_mirror(profile, user, status):
    client = client_for(world(), profile)
    response = client.get(mirror_path("onlyname"), headers=auth(user))
    assert_answer(response, status, api_error(status), JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("path", [mirror_path("onlyname"), "/api/v1/repository/devtable/mirror"])
def test_one_segment_post_is_405(profile, path):
    client = client_for(world(), profile)
    before = state(client)
    response = client.post(path, headers=auth("devtable"), json=CREATE_BODY)
    assert_answer(response, 405, werkzeug(NOT_ALLOWED), JSON)
    assert set(response.headers["Allow"].split(", ")) == {"DELETE", "GET", "HEAD", "OPTIONS", "PUT"}
    assert state(client) == before


NOT_FOUND_PAGE = (
    b"<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    b"<p>The requested URL was not found on the server. If you entered the URL manually please "
    b"check your spelling and try again.</p>\n"
)


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("method", ["get", "post", "put"])
@pytest.mark.parametrize("action", ["", "sync-now", "sync-cancel"])
def test_trailing_slash_is_the_html_404_page(profile, method, action):
    client = client_for(world(), profile)
    before = state(client)
    response = getattr(client, method)(mirror_path(SIMPLE, action) + "/", headers=auth("devtable"))
    assert_answer(response, 404, NOT_FOUND_PAGE, HTML)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("action", ["", "sync-now", "sync-cancel"])
def test_patch_is_405_json_with_allow(profile, action):
    client = client_for(world(), profile)
    before = state(client)
    response = client.patch(mirror_path(SIMPLE, action), headers=auth("devtable"), json={})
    assert_answer(response, 405, werkzeug(NOT_ALLOWED), JSON)
    assert set(response.headers["Allow"].split(", ")) == ALL_METHODS
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_delete_mirror_is_delete_repository_of_simple_mirror_and_changes_nothing(profile):
    client = client_for(world(), profile)
    before = state(client)
    response = client.delete(mirror_path(SIMPLE), headers=auth("devtable"))
    assert_answer(response, 204, b"", JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("action", ["sync-now", "sync-cancel"])
def test_get_on_a_sync_path_is_get_repo_of_a_missing_repository(profile, action):
    client = client_for(world(), profile)
    response = client.get(mirror_path(SIMPLE, action), headers=auth("devtable"))
    assert_answer(response, 404, api_error(404), JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_delete_on_a_sync_path_is_delete_repository_and_changes_nothing(profile):
    client = client_for(world(), profile)
    before = state(client)
    response = client.delete(mirror_path(SIMPLE, "sync-now"), headers=auth("devtable"))
    assert_answer(response, 204, b"", JSON)
    assert state(client) == before


# FEATURE_REPO_MIRROR off: the mirror routes do not exist and requests fall through.


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize(("user", "status"), [("devtable", 404), ("freshuser", 403), (None, 401)])
def test_repo_mirror_off_get_falls_through_to_get_repo(profile, user, status):
    client = client_for(world(features={"REPO_MIRROR": False}), profile)
    response = client.get(mirror_path(SIMPLE), headers=auth(user))
    assert_answer(response, status, api_error(status), JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("action", ["", "sync-now", "sync-cancel"])
def test_repo_mirror_off_post_is_405(profile, action):
    client = client_for(world(features={"REPO_MIRROR": False}), profile)
    before = state(client)
    response = client.post(mirror_path(SIMPLE, action), headers=auth("devtable"), json=CREATE_BODY)
    assert_answer(response, 405, werkzeug(NOT_ALLOWED), JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_repo_mirror_off_put_is_update_repo_which_requires_a_description(profile):
    client = client_for(world(features={"REPO_MIRROR": False}), profile)
    before = state(client)
    response = client.put(mirror_path(SIMPLE), headers=auth("devtable"), json={"sync_interval": 7})
    assert_schema_error(response, "'description' is a required property")
    assert state(client) == before


# ApiError bodies (spec section 1.2).


def test_404_body_is_quays_exact_bytes():
    client = client_for(world(mirror=False))
    response = client.get(mirror_path(SIMPLE), headers=auth("devtable"))
    assert_answer(
        response,
        404,
        b'{"detail": "Not Found", "error_message": "Not Found", "error_type": "not_found", '
        b'"title": "not_found", "type": "http://localhost/api/v1/error/not_found", '
        b'"status": 404}\n',
        JSON,
    )
    assert "WWW-Authenticate" not in response.headers


def test_401_body_is_quays_exact_bytes():
    client = client_for(world())
    response = client.get(mirror_path(SIMPLE))
    assert_answer(
        response,
        401,
        b'{"detail": "Requires authentication", "error_message": "Requires authentication", '
        b'"error_type": "invalid_token", "title": "invalid_token", '
        b'"type": "http://localhost/api/v1/error/invalid_token", "status": 401}\n',
        JSON,
    )
    assert "WWW-Authenticate" not in response.headers


def test_403_body_is_quays_exact_bytes():
    client = client_for(world())
    response = client.get(mirror_path(SIMPLE), headers=auth("reader"))
    assert_answer(
        response,
        403,
        b'{"detail": "Unauthorized", "error_message": "Unauthorized", '
        b'"error_type": "insufficient_scope", "title": "insufficient_scope", '
        b'"type": "http://localhost/api/v1/error/insufficient_scope", "status": 403}\n',
        JSON,
    )


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        (None, mirror_path(SIMPLE), 401),
        ("reader", mirror_path(SIMPLE), 403),
        ("devtable", mirror_path("devtable/unicorn"), 404),
    ],
)
def test_error_type_url_uses_the_request_host_without_the_port(user, path, status):
    client = client_for(world())
    response = client.get(path, headers=auth(user), base_url="http://quay.example.com:8443")
    assert_answer(response, status, api_error(status, host="quay.example.com"), JSON)
