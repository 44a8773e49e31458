"""Quay's settings, as a fixture's ``settings:`` section sets them: each tested with both values."""

from __future__ import annotations

import copy
import json

import pytest
from support.world import CREATE_BODY, SETUP_MIRROR, auth, build_app, org_mirrored, quay_test_world

from mockquay.app import create_app
from mockquay.fixtures.loader import FixtureError, apply_document
from mockquay.settings import Settings
from mockquay.store import Store

MIRROR = "/api/v1/repository/devtable/simple/mirror"
ETCD = "/api/v1/repository/acme/etcd/mirror"
ORG_MIRROR = "/api/v1/repository/buynlarge/orgrepo/mirror"
CREATED = b'""\n'
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"
HTML = "text/html; charset=utf-8"


def api_error(status: int, error_type: str, detail: str) -> bytes:
    """Quay's ApiError body, as served to ``http://localhost``."""
    body = {
        "detail": detail,
        "error_message": detail,
        "error_type": error_type,
        "title": error_type,
        "type": f"http://localhost/api/v1/error/{error_type}",
        "status": status,
    }
    return (json.dumps(body) + "\n").encode()


NOT_FOUND = api_error(404, "not_found", "Not Found")
FORBIDDEN = api_error(403, "insufficient_scope", "Unauthorized")
UNAUTHENTICATED = api_error(401, "invalid_token", "Requires authentication")
NOT_ALLOWED = b'{"message": "The method is not allowed for the requested URL."}\n'
BLOCKED = api_error(400, "invalid_request", "The provided registry location is not allowed")


def world(**settings):
    """Quay's test world with ``settings``; ``features`` are added to its FULL_ACCESS."""
    features = {"SUPERUSERS_FULL_ACCESS": True, **settings.pop("features", {})}
    return build_app(quay_test_world(features=features, **settings)).test_client()


def bundled(**settings):
    """The bundled default fixtures with ``settings`` seeded on top."""
    client = create_app(Settings(worker="off")).test_client()
    assert client.post("/__mockquay__/seed", json={"settings": settings}).status_code == 200
    return client


def mirror_of(client, path: str = MIRROR, user: str = "devtable") -> dict:
    response = client.get(path, headers=auth(user))
    assert response.status_code == 200, response.data
    return response.json


# FEATURE_REPO_MIRROR


@pytest.mark.parametrize(
    ("user", "status", "body"),
    [("devtable", 404, NOT_FOUND), ("freshuser", 403, FORBIDDEN), (None, 401, UNAUTHENTICATED)],
)
def test_repo_mirror_off_get_falls_through_to_get_repo(user, status, body):
    client = world(features={"REPO_MIRROR": False})
    response = client.get(MIRROR, headers=auth(user))
    assert (response.status_code, response.data) == (status, body)
    assert response.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", MIRROR, CREATE_BODY),
        ("POST", f"{MIRROR}/sync-now", None),
        ("POST", f"{MIRROR}/sync-cancel", None),
    ],
    ids=["create", "sync-now", "sync-cancel"],
)
def test_repo_mirror_off_posts_are_405(method, path, body):
    client = world(features={"REPO_MIRROR": False})
    before = client.get("/__mockquay__/state").json
    response = client.open(path, method=method, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (405, NOT_ALLOWED)
    assert response.headers["Allow"] == "DELETE, GET, HEAD, OPTIONS, PUT"
    assert client.get("/__mockquay__/state").json == before


def test_repo_mirror_off_put_becomes_update_repo_and_its_schema():
    client = world(features={"REPO_MIRROR": False})
    response = client.put(MIRROR, json={"sync_interval": 60}, headers=auth("devtable"))
    assert response.status_code == 400
    assert response.json["error_type"] == "invalid_request"
    assert response.json["detail"].split("\n")[0] == "'description' is a required property"


def test_repo_mirror_off_put_with_a_description_updates_repository_simple_slash_mirror():
    client = world(features={"REPO_MIRROR": False})
    response = client.put(MIRROR, json={"description": "x"}, headers=auth("devtable"))
    assert (response.status_code, response.data) == (404, NOT_FOUND)


@pytest.mark.parametrize(("repo_mirror", "state"), [(False, "MIRROR"), (True, "NORMAL")])
def test_repo_mirror_decides_whether_changestate_exists(repo_mirror, state):
    client = world(features={"REPO_MIRROR": repo_mirror})
    response = client.put(
        "/api/v1/repository/devtable/simple/changestate",
        json={"state": "NORMAL"},
        headers=auth("devtable"),
    )
    if repo_mirror:
        assert (response.status_code, response.data) == (200, b'{"success": true}\n')
    else:
        # Without the feature the path is updateRepo on repository "simple/changestate".
        assert response.status_code == 400
        assert response.json["detail"].split("\n")[0] == "'description' is a required property"
    repos = {repo["name"]: repo for repo in client.get("/__mockquay__/state").json["repositories"]}
    assert repos["devtable/simple"]["state"] == state


def test_repo_mirror_off_keeps_the_mirror_for_when_it_is_on_again():
    client = world(features={"REPO_MIRROR": False})
    client.put(MIRROR, json={"sync_interval": 60}, headers=auth("devtable"))
    seeded = client.post(
        "/__mockquay__/seed", json={"settings": {"features": {"REPO_MIRROR": True}}}
    )
    assert seeded.status_code == 200
    assert mirror_of(client)["sync_interval"] == 5000


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", MIRROR, None, 200),
        ("POST", MIRROR, CREATE_BODY, 409),
        ("PUT", MIRROR, {"sync_interval": 60}, 201),
        ("POST", f"{MIRROR}/sync-now", None, 204),
        ("POST", f"{MIRROR}/sync-cancel", None, 204),
    ],
    ids=["get", "create", "change", "sync-now", "sync-cancel"],
)
def test_repo_mirror_on_serves_the_mirror_routes(method, path, body, status):
    client = world(features={"REPO_MIRROR": True})
    if path.endswith("sync-cancel"):
        client.post(f"{MIRROR}/sync-now", headers=auth("devtable"))
    response = client.open(path, method=method, json=body, headers=auth("devtable"))
    assert response.status_code == status


# FEATURE_SPARSE_INDEX


def test_sparse_index_off_refuses_an_architecture_filter():
    client = world(features={"SPARSE_INDEX": False})
    body = {"architecture_filter": ["amd64", "arm64"]}
    response = client.put(MIRROR, json=body, headers=auth("devtable"))
    assert response.status_code == 400
    assert response.data == (
        b'{"detail": "Architecture filtering requires FEATURE_SPARSE_INDEX to be enabled."}\n'
    )
    assert mirror_of(client)["architecture_filter"] == []


def test_sparse_index_on_accepts_an_architecture_filter():
    client = world(features={"SPARSE_INDEX": True})
    body = {"architecture_filter": ["amd64", "arm64"]}
    response = client.put(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (201, CREATED)
    assert mirror_of(client)["architecture_filter"] == ["amd64", "arm64"]


# FEATURE_SUPERUSERS_FULL_ACCESS and SUPER_USERS (bundled fixtures: root is a superuser)


@pytest.mark.parametrize(("full_access", "status"), [(False, 403), (True, 200)])
def test_superusers_full_access_on_get(full_access, status):
    client = bundled(features={"SUPERUSERS_FULL_ACCESS": full_access})
    response = client.get(ETCD, headers={"Authorization": "Bearer root-token"})
    assert response.status_code == status
    if status == 403:
        assert response.data == FORBIDDEN


@pytest.mark.parametrize(("full_access", "status"), [(False, 403), (True, 201)])
def test_superusers_full_access_on_put(full_access, status):
    client = bundled(features={"SUPERUSERS_FULL_ACCESS": full_access})
    response = client.put(
        ETCD, json={"sync_interval": 60}, headers={"Authorization": "Bearer root-token"}
    )
    assert response.status_code == status
    admin = {"Authorization": "Bearer admin-token"}
    assert client.get(ETCD, headers=admin).json["sync_interval"] == (60 if status == 201 else 86400)


@pytest.mark.parametrize(("super_users", "status"), [(["root"], 201), (["someone-else"], 403)])
def test_super_users_lists_who_is_a_superuser(super_users, status):
    client = bundled(super_users=super_users, features={"SUPERUSERS_FULL_ACCESS": True})
    response = client.put(
        ETCD, json={"sync_interval": 60}, headers={"Authorization": "Bearer root-token"}
    )
    assert response.status_code == status


# GLOBAL_READONLY_SUPER_USERS (bundled fixtures: auditor)


@pytest.mark.parametrize(("listed", "status"), [(["auditor"], 200), ([], 403)])
def test_global_readonly_super_users_may_get(listed, status):
    client = bundled(global_readonly_super_users=listed)
    response = client.get(ETCD, headers={"Authorization": "Bearer auditor-token"})
    assert response.status_code == status


@pytest.mark.parametrize("listed", [["auditor"], []])
def test_global_readonly_super_users_may_not_write(listed):
    client = bundled(global_readonly_super_users=listed)
    response = client.put(
        ETCD, json={"sync_interval": 60}, headers={"Authorization": "Bearer auditor-token"}
    )
    assert (response.status_code, response.data) == (403, FORBIDDEN)


# FEATURE_BROWSER_API_CALLS_XHR_ONLY


def test_browser_xhr_only_on_refuses_a_browser_get_without_xhr_header():
    client = world(features={"BROWSER_API_CALLS_XHR_ONLY": True})
    response = client.get(MIRROR, headers={**auth("devtable"), "User-Agent": BROWSER})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == HTML
    assert response.data == (
        b'{"error": "API calls must be invoked with an X-Requested-With header if called from a '
        b'browser"}'
    )


def test_browser_xhr_only_on_lets_a_browser_get_with_the_xhr_header():
    client = world(features={"BROWSER_API_CALLS_XHR_ONLY": True})
    headers = {**auth("devtable"), "User-Agent": BROWSER, "X-Requested-With": "XMLHttpRequest"}
    assert client.get(MIRROR, headers=headers).status_code == 200


def test_browser_xhr_only_off_lets_a_browser_get():
    client = world(features={"BROWSER_API_CALLS_XHR_ONLY": False})
    response = client.get(MIRROR, headers={**auth("devtable"), "User-Agent": BROWSER})
    assert response.status_code == 200


# FEATURE_ANONYMOUS_ACCESS


@pytest.mark.parametrize(
    ("anonymous_access", "content_type", "body"),
    [
        (True, "application/json", UNAUTHENTICATED),
        (False, HTML, b'{"error": "Anonymous access is not allowed"}'),
    ],
)
def test_anonymous_access(anonymous_access, content_type, body):
    client = world(features={"ANONYMOUS_ACCESS": anonymous_access})
    response = client.get(MIRROR)
    assert (response.status_code, response.data) == (401, body)
    assert response.headers["Content-Type"] == content_type


# REGISTRY_STATE

READ_ONLY = (
    b'{"is_readonly":true,"message":"System is currently read-only. Pulls will succeed but all '
    b'write operations are currently suspended."}\n'
)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", MIRROR, {"sync_interval": 60}),
        ("POST", MIRROR, CREATE_BODY),
        ("POST", f"{MIRROR}/sync-now", None),
        ("POST", f"{MIRROR}/sync-cancel", None),
    ],
    ids=["change", "create", "sync-now", "sync-cancel"],
)
def test_readonly_registry_answers_writes_with_503(method, path, body):
    client = world(registry_state="readonly")
    before = mirror_of(client)
    response = client.open(path, method=method, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (503, READ_ONLY)
    assert response.headers["Content-Type"] == "application/json"
    assert mirror_of(client) == before


def test_readonly_registry_still_serves_get():
    client = world(registry_state="readonly")
    assert mirror_of(client)["sync_interval"] == 5000


def test_readonly_registry_checks_csrf_first():
    client = world(registry_state="readonly")
    response = client.put(MIRROR, json={"sync_interval": 60})
    assert (response.status_code, response.data) == (
        403,
        b'{"error": "CSRF token was invalid or missing."}',
    )


def test_normal_registry_accepts_writes():
    client = world(registry_state="normal")
    response = client.put(MIRROR, json={"sync_interval": 60}, headers=auth("devtable"))
    assert (response.status_code, response.data) == (201, CREATED)
    assert mirror_of(client)["sync_interval"] == 60


# SSRF_ALLOWED_HOSTS and the DNS answers


CORP = "registry.corp.example"
CORP_PRIVATE = {CORP: "10.0.0.5"}


@pytest.mark.parametrize(
    ("allowed", "dns", "reference", "status"),
    [
        (["10.0.0.0/8"], {}, "10.0.0.1/team/repo", 201),
        ([], {}, "10.0.0.1/team/repo", 400),
        ([CORP], CORP_PRIVATE, f"{CORP}/a/b", 201),
        ([], CORP_PRIVATE, f"{CORP}/a/b", 400),
        (["10.0.0.0/24"], CORP_PRIVATE, f"{CORP}/a/b", 201),
        (["10.0.1.0/24"], CORP_PRIVATE, f"{CORP}/a/b", 400),
    ],
    ids=[
        "cidr-listed",
        "cidr-unlisted",
        "host-listed",
        "host-unlisted",
        "resolved-in-cidr",
        "resolved-outside-cidr",
    ],
)
def test_ssrf_allowed_hosts(allowed, dns, reference, status):
    client = world(mirror=False, ssrf_allowed_hosts=allowed, dns=dns)
    body = dict(CREATE_BODY, external_reference=reference)
    response = client.post(MIRROR, json=body, headers=auth("devtable"))
    if status == 201:
        assert (response.status_code, response.data) == (201, CREATED)
        assert mirror_of(client)["external_reference"] == reference
    else:
        assert (response.status_code, response.data) == (400, BLOCKED)


@pytest.mark.parametrize(
    ("answer", "status", "body"),
    [
        ("10.0.0.5", 400, BLOCKED),
        (["8.8.8.8", "192.168.1.1"], 400, BLOCKED),
        ("8.8.8.8", 201, CREATED),
        (["8.8.8.8", "2606:4700::1"], 201, CREATED),
        (
            None,
            400,
            api_error(400, "invalid_request", "Cannot resolve hostname 'registry.corp.example'"),
        ),
    ],
    ids=["private", "one-private", "public", "all-public", "unresolvable"],
)
def test_dns_answers_decide_where_a_name_points(answer, status, body):
    client = world(mirror=False, dns={"registry.corp.example": answer})
    request = dict(CREATE_BODY, external_reference="registry.corp.example/team/repo")
    response = client.post(MIRROR, json=request, headers=auth("devtable"))
    assert (response.status_code, response.data) == (status, body)


def test_a_name_without_a_dns_answer_resolves_to_a_public_address():
    client = world(mirror=False, dns={})
    request = dict(CREATE_BODY, external_reference="registry.corp.example/team/repo")
    response = client.post(MIRROR, json=request, headers=auth("devtable"))
    assert (response.status_code, response.data) == (201, CREATED)


def test_dns_answers_apply_to_put_too():
    client = world(dns={"registry.corp.example": "10.0.0.5"})
    body = {"external_reference": "registry.corp.example/team/repo"}
    response = client.put(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (400, BLOCKED)
    assert mirror_of(client)["external_reference"] == "quay.io/redhat/quay"


# Organization-level mirroring

ORG_CONFLICT = api_error(
    400,
    "invalid_request",
    "Repository mirror configuration cannot be managed when organization-level mirroring is "
    "configured",
)


def org_world(org_mirror: bool, *, repo_mirror: bool):
    document = quay_test_world(mirror=False)
    if org_mirror:
        org_mirrored(document)
    if repo_mirror:
        document["mirrors"] = [
            dict(
                copy.deepcopy(SETUP_MIRROR),
                repository="buynlarge/orgrepo",
                robot_username="buynlarge+coolrobot",
            )
        ]
    return build_app(document).test_client()


@pytest.mark.parametrize(("org_mirror", "status"), [(True, 400), (False, 201)])
def test_org_mirror_on_create(org_mirror, status):
    client = org_world(org_mirror, repo_mirror=False)
    body = dict(CREATE_BODY, robot_username="buynlarge+coolrobot")
    response = client.post(ORG_MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (
        status,
        ORG_CONFLICT if org_mirror else CREATED,
    )


@pytest.mark.parametrize(("org_mirror", "interval"), [(True, 5000), (False, 7200)])
def test_org_mirror_on_change(org_mirror, interval):
    client = org_world(org_mirror, repo_mirror=True)
    response = client.put(ORG_MIRROR, json={"sync_interval": 7200}, headers=auth("devtable"))
    assert (response.status_code, response.data) == (
        (400, ORG_CONFLICT) if org_mirror else (201, CREATED)
    )
    assert mirror_of(client, ORG_MIRROR)["sync_interval"] == interval


@pytest.mark.parametrize("org_mirror", [True, False])
def test_org_mirror_does_not_stop_get_or_sync_now(org_mirror):
    client = org_world(org_mirror, repo_mirror=True)
    assert mirror_of(client, ORG_MIRROR)["external_reference"] == "quay.io/redhat/quay"
    response = client.post(f"{ORG_MIRROR}/sync-now", headers=auth("devtable"))
    assert (response.status_code, response.data) == (204, b"")


# Validation of the settings section


def problems(settings: dict) -> list[str]:
    with pytest.raises(FixtureError) as refused, Store().transaction() as tx:
        apply_document(tx, {"settings": settings}, "doc.yaml")
    return refused.value.problems


DNS_PROBLEM = (
    "doc.yaml: settings.dns: must map host names to an IP address, a list of them, or null"
)


@pytest.mark.parametrize(
    "dns",
    [
        ["registry.corp.example"],
        {"registry.corp.example": 5},
        {"registry.corp.example": "not-an-address"},
        {"registry.corp.example": ["8.8.8.8", 7]},
        {"registry.corp.example": {"address": "8.8.8.8"}},
        {5: "8.8.8.8"},
    ],
)
def test_dns_answers_must_be_addresses(dns):
    assert problems({"dns": dns}) == [DNS_PROBLEM]


@pytest.mark.parametrize(
    "dns",
    [
        {"registry.corp.example": "10.0.0.5"},
        {"registry.corp.example": ["8.8.8.8", "2606:4700::1"]},
        {"registry.corp.example": None},
        {"registry.corp.example": []},
    ],
)
def test_dns_answers_that_are_addresses_or_null_are_accepted(dns):
    with Store().transaction() as tx:
        apply_document(tx, {"settings": {"dns": dns}}, "doc.yaml")
        assert tx.get("settings", "quay") == {"dns": dns}


LIST_OF_STRINGS = "must be a list of strings"


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"registry_state": "maintenance"}, "registry_state: must be 'normal' or 'readonly'"),
        ({"features": {"REPO_MIRROR": "yes"}}, "features: must map feature names to true or false"),
        ({"super_users": "root"}, f"super_users: {LIST_OF_STRINGS}"),
        ({"global_readonly_super_users": [1]}, f"global_readonly_super_users: {LIST_OF_STRINGS}"),
        ({"ssrf_allowed_hosts": "10.0.0.0/8"}, f"ssrf_allowed_hosts: {LIST_OF_STRINGS}"),
    ],
)
def test_malformed_settings_are_refused(settings, problem):
    assert problems(settings) == [f"doc.yaml: settings.{problem}"]


def test_features_seeded_later_keep_the_ones_set_before():
    client = world(features={"SPARSE_INDEX": True})
    seeded = client.post(
        "/__mockquay__/seed", json={"settings": {"features": {"REPO_MIRROR": True}}}
    )
    assert seeded.status_code == 200
    features = client.get("/__mockquay__/state").json["settings"]["features"]
    assert features == {"SUPERUSERS_FULL_ACCESS": True, "SPARSE_INDEX": True, "REPO_MIRROR": True}
