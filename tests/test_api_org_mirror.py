"""The eight org-mirror operations, as Quay's ``endpoints/api/org_mirror.py`` (master ffba0c70)
answers them, with ``data/model/org_mirror.py`` behind (spec section 1)."""

from __future__ import annotations

import json

import pytest
from support.api import assert_json
from support.conformance import (
    HTML,
    JSON,
    api_error,
    assert_answer,
    assert_schema_error,
    audit_log,
    http_abort,
    stored,
)
from support.org_mirror import (
    CREATE,
    MIRROR,
    ORG,
    SOURCE_URL,
    client,
    created,
    headers,
    token_metadata,
    world,
)

VIEW = {
    "is_enabled": True,
    "external_registry_type": "quay",
    "external_registry_url": SOURCE_URL,
    "external_namespace": "projectx",
    "external_registry_username": None,
    "has_external_registry_password": False,
    "external_registry_config": {},
    "repository_filters": [],
    "robot_username": "target+mirrorbot",
    "visibility": "private",
    "sync_interval": 3600,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "sync_expiration_date": None,
    "sync_status": "NEVER_RUN",
    "sync_retries_remaining": 3,
    "repo_sync_status_counts": {
        "CANCEL": 0,
        "FAIL": 0,
        "NEVER_RUN": 0,
        "SUCCESS": 0,
        "SYNCING": 0,
        "SYNC_NOW": 0,
        "SKIP": 0,
    },
    "skopeo_timeout": 300,
    "creation_date": "2026-01-01T00:00:00Z",
}


def _create(test_client, user="owner", **body):
    return test_client.post(MIRROR, json={**CREATE, **body}, headers=headers(user))


def _view(test_client, user="owner"):
    response = test_client.get(MIRROR, headers=headers(user))
    assert response.status_code == 200, response.data
    return json.loads(response.data)


# -- routes ------------------------------------------------------------------------------


def test_routed_only_with_the_flag_from_3_17():
    """``@show_if(features.ORG_MIRROR)`` (default off in ``config.py``); ``org_mirror.py`` first
    ships in v3.17.0. Without either, GET falls through to the web's 308."""
    default = world()
    del default["settings"]["features"]["ORG_MIRROR"]
    for test_client in (client(world(ORG_MIRROR=False)), client(default), client(profile="3.15")):
        response = test_client.get(MIRROR, headers=headers("owner"))
        assert (response.status_code, response.headers["Location"]) == (
            308,
            f"http://localhost{MIRROR}/",
        )
    assert_answer(client().get(MIRROR, headers=headers("owner")), 404, api_error(404), JSON)


@pytest.mark.parametrize("action", ["", "/sync-now", "/sync-cancel", "/verify"])
def test_flag_off_writes_are_405_html(action):
    """With the flag off no API rule matches; the web's GET-only route answers 405 text/html."""
    response = client(world(ORG_MIRROR=False)).post(MIRROR + action, headers=headers("owner"))
    assert (response.status_code, response.mimetype) == (405, "text/html")


def test_discovery_lists_the_operations_only_with_the_flag():
    on = client().get("/api/v1/discovery").get_json()
    off = client(world(ORG_MIRROR=False)).get("/api/v1/discovery").get_json()
    nicknames = {
        op["operationId"]
        for doc in (on,)
        for path in doc["paths"].values()
        for op in path.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {
        "getOrgMirrorConfig",
        "createOrgMirrorConfig",
        "updateOrgMirrorConfig",
        "deleteOrgMirrorConfig",
        "syncOrgMirrorNow",
        "cancelOrgMirrorSync",
        "verifyOrgMirrorConnection",
        "listOrgMirrorRepositories",
    } <= nicknames
    assert not [path for path in off["paths"] if "/mirror/" in path and "organization" in path]
    assert "/api/v1/organization/{orgname}/mirror" not in off["paths"]


# -- create (section 1.2) --------------------------------------------------------------


def test_create_is_201_empty_string_and_get_shows_the_18_keys_in_order():
    test_client = client()
    assert_answer(_create(test_client), 201, b'""\n', JSON)
    view = _view(test_client)
    assert list(view) == list(VIEW)
    assert view == VIEW


def test_get_never_shows_the_password():
    test_client = created(
        client(), external_registry_username="u", external_registry_password="secret"
    )
    view = _view(test_client)
    assert (view["external_registry_username"], view["has_external_registry_password"]) == (
        "u",
        True,
    )
    assert "secret" not in json.dumps(view)


def test_schema_comes_before_permission():
    """``validate_json_request`` decorates ``post``; ``require_org_admin`` runs in the body."""
    test_client = client()
    assert_schema_error(
        _create(test_client, "outsider", visibility="internal"),
        "'internal' is not one of ['public', 'private']",
    )
    assert_answer(_create(test_client, "outsider"), 403, api_error(403), JSON)


@pytest.mark.parametrize(
    ("change", "first_line"),
    [
        ({"external_registry_type": "gitlab"}, "'gitlab' is not one of ['harbor', 'quay']"),
        ({"sync_interval": 59}, "59 is less than the minimum of 60"),
        ({"skopeo_timeout": 29}, "29 is less than the minimum of 30"),
        ({"skopeo_timeout": 3601}, "3601 is greater than the maximum of 3600"),
        ({"sync_interval": "3600"}, "'3600' is not of type 'integer'"),
        ({"repository_filters": "etcd*"}, "'etcd*' is not of type 'array'"),
        ({"external_registry_username": 5}, "5 is not of type 'string', 'null'"),
    ],
)
def test_create_schema_errors(change, first_line):
    assert_schema_error(_create(client(), **change), first_line)


def test_create_empty_body_names_the_first_required_key():
    response = client().post(MIRROR, json={}, headers=headers("owner"))
    assert_schema_error(response, "'external_registry_type' is a required property")


def test_anonymous_write_is_the_csrf_403():
    assert_answer(
        client().post(MIRROR, json=CREATE),
        403,
        http_abort("CSRF token was invalid or missing."),
        HTML,
    )


def test_anonymous_get_is_401():
    assert_answer(client().get(MIRROR), 401, api_error(401), JSON)


def test_unknown_org_is_403_for_a_user_and_404_for_a_full_access_superuser():
    """Permission before the org lookup (``require_org_admin`` then ``get_organization``)."""
    test_client = client()
    path = "/api/v1/organization/nosuch/mirror"
    body = {**CREATE, "robot_username": "nosuch+bot"}
    assert_answer(
        test_client.post(path, json=body, headers=headers("owner")), 403, api_error(403), JSON
    )
    assert_answer(
        test_client.post(path, json=body, headers=headers("root")), 404, api_error(404), JSON
    )
    assert_answer(test_client.get(path, headers=headers("owner")), 403, api_error(403), JSON)


def test_own_user_namespace_passes_the_permission_and_is_404():
    """Every user administers its own namespace; ``get_organization`` then fails."""
    response = client().post(
        "/api/v1/organization/owner/mirror",
        json={**CREATE, "robot_username": "owner+mine"},
        headers=headers("owner"),
    )
    assert_answer(response, 404, api_error(404), JSON)


def test_member_is_not_an_admin():
    test_client = created(client())
    assert_answer(test_client.get(MIRROR, headers=headers("member")), 403, api_error(403), JSON)


def test_global_readonly_superuser_reads_but_does_not_write():
    test_client = created(client())
    assert _view(test_client, "ro") == VIEW
    response = test_client.delete(MIRROR, headers=headers("ro"))
    assert_answer(response, 403, api_error(403), JSON)


@pytest.mark.parametrize(
    ("robot", "detail"),
    [
        ("target+nobody", "Invalid robot account: target+nobody"),
        ("owner", "Invalid robot account: owner"),
        ("busy+bot", "Robot account must belong to the organization"),
    ],
)
def test_create_robot_checks(robot, detail):
    assert_answer(_create(client(), robot_username=robot), 400, api_error(400, detail), JSON)


@pytest.mark.parametrize(
    "date", ["2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00+00:00", "2026-01-01"]
)
def test_create_date_must_be_exact(date):
    detail = "Invalid sync_start_date format. Use ISO 8601: YYYY-MM-DDTHH:MM:SSZ"
    assert_answer(_create(client(), sync_start_date=date), 400, api_error(400, detail), JSON)


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("https://localhost", "The provided registry URL is not allowed"),
        ("http://10.0.0.1", "The provided registry URL is not allowed"),
        ("https://registry.internal", "The provided registry URL is not allowed"),
        ("quay.io", "Invalid URL scheme '': only HTTP and HTTPS are allowed"),
        ("ftp://quay.io", "Invalid URL scheme 'ftp': only HTTP and HTTPS are allowed"),
        ("https://u:p@quay.io", "URLs with embedded credentials are not allowed"),
        ("https://", "URL must include a hostname"),
        ("", "External registry URL is required"),
    ],
)
def test_create_url_checks(url, detail):
    """``validate_external_registry_url`` (``util/security/ssrf.py``), after robot and date."""
    assert_answer(_create(client(), external_registry_url=url), 400, api_error(400, detail), JSON)


def test_create_url_that_does_not_resolve():
    document = world()
    document["settings"]["dns"] = {"nowhere.example.com": None}
    response = _create(client(document), external_registry_url="https://nowhere.example.com")
    detail = "Cannot resolve hostname 'nowhere.example.com'"
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_create_in_an_org_with_repositories_is_refused():
    body = {**CREATE, "robot_username": "busy+bot"}
    response = client().post(
        "/api/v1/organization/busy/mirror", json=body, headers=headers("owner")
    )
    detail = (
        "Cannot create organization mirror: the organization already contains repositories. "
        "Organization mirroring requires an empty organization."
    )
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_second_create_is_refused():
    test_client = created(client())
    detail = "Mirror configuration already exists for this organization"
    assert_answer(_create(test_client), 400, api_error(400, detail), JSON)


def test_create_stores_defaults_and_logs_org_mirror_enabled():
    test_client = created(client(), external_registry_type="quay")
    config = stored(test_client, "org_mirrors", ORG)
    assert (config["sync_status"], config["sync_retries_remaining"], config["skopeo_timeout"]) == (
        "NEVER_RUN",
        3,
        300,
    )
    [entry] = audit_log(test_client, ORG)
    assert (entry["kind"], entry["metadata"], entry["performer"]) == (
        "org_mirror_enabled",
        {
            "external_registry_type": "quay",
            "external_registry_url": SOURCE_URL,
            "external_namespace": "projectx",
            "sync_interval": 3600,
            "robot_username": "target+mirrorbot",
            **token_metadata("owner"),
        },
        "owner",
    )


# -- get (section 1.3) -----------------------------------------------------------------


def test_get_without_config_is_404():
    assert_answer(client().get(MIRROR, headers=headers("owner")), 404, api_error(404), JSON)


def test_3_17_0_counts_six_statuses():
    """v3.17.0 has no ``SKIP`` status."""
    test_client = created(client(profile="3.17"))
    assert list(_view(test_client)["repo_sync_status_counts"]) == [
        "CANCEL",
        "FAIL",
        "NEVER_RUN",
        "SUCCESS",
        "SYNCING",
        "SYNC_NOW",
    ]


# -- update (section 1.4) --------------------------------------------------------------


def test_update_is_200_empty_string():
    test_client = created(client())
    response = test_client.put(MIRROR, json={"sync_interval": 7200}, headers=headers("owner"))
    assert_answer(response, 200, b'""\n', JSON)
    assert _view(test_client)["sync_interval"] == 7200


def test_update_ignores_the_registry_type():
    test_client = created(client())
    response = test_client.put(
        MIRROR, json={"external_registry_type": "harbor"}, headers=headers("owner")
    )
    assert response.status_code == 200
    assert _view(test_client)["external_registry_type"] == "quay"


def test_update_without_config_is_404():
    response = client().put(MIRROR, json={}, headers=headers("owner"))
    assert_answer(response, 404, api_error(404), JSON)


def test_failing_update_changes_nothing():
    """Every check runs before anything is written."""
    test_client = created(client())
    response = test_client.put(
        MIRROR,
        json={"sync_interval": 7200, "sync_start_date": "tomorrow"},
        headers=headers("owner"),
    )
    detail = "Invalid sync_start_date format. Use ISO 8601: YYYY-MM-DDTHH:MM:SSZ"
    assert_answer(response, 400, api_error(400, detail), JSON)
    assert _view(test_client) == VIEW


def test_update_url_check_comes_before_the_robot_check():
    test_client = created(client())
    response = test_client.put(
        MIRROR,
        json={"robot_username": "busy+bot", "external_registry_url": "http://127.0.0.1"},
        headers=headers("owner"),
    )
    assert_answer(response, 400, api_error(400, "The provided registry URL is not allowed"), JSON)


def test_update_empty_password_clears_it():
    test_client = created(client(), external_registry_password="secret")
    test_client.put(MIRROR, json={"external_registry_password": ""}, headers=headers("owner"))
    assert _view(test_client)["has_external_registry_password"] is False


def test_update_logs_the_fields_in_request_order():
    test_client = created(client())
    test_client.put(
        MIRROR,
        json={"external_namespace": "projecty", "is_enabled": False},
        headers=headers("owner"),
    )
    entry = audit_log(test_client, ORG)[-1]
    assert (entry["kind"], entry["metadata"]) == (
        "org_mirror_config_changed",
        {
            "updated_fields": ["external_namespace", "is_enabled"],
            "old_external_reference": f"{SOURCE_URL}/projectx",
            "external_reference": f"{SOURCE_URL}/projecty",
            **token_metadata("owner"),
        },
    )


# -- delete, sync-now, sync-cancel, verify (section 1.5) ---------------------------------


def test_delete_is_204_then_404_and_logs():
    test_client = created(client())
    assert_answer(test_client.delete(MIRROR, headers=headers("owner")), 204, b"", JSON)
    assert_answer(test_client.delete(MIRROR, headers=headers("owner")), 404, api_error(404), JSON)
    entry = audit_log(test_client, ORG)[-1]
    assert (entry["kind"], entry["metadata"]) == (
        "org_mirror_disabled",
        {"external_reference": f"{SOURCE_URL}/projectx", **token_metadata("owner")},
    )
    assert stored(test_client, "org_mirrors", ORG) is None


def test_sync_now_is_204_and_sets_sync_now_from_now():
    test_client = created(client(), sync_start_date="2030-01-01T00:00:00Z")
    response = test_client.post(f"{MIRROR}/sync-now", headers=headers("owner"))
    assert_answer(response, 204, b"", JSON)
    view = _view(test_client)
    assert (view["sync_status"], view["sync_start_date"], view["sync_expiration_date"]) == (
        "SYNC_NOW",
        "2026-01-01T00:00:00Z",
        None,
    )
    assert audit_log(test_client, ORG)[-1]["kind"] == "org_mirror_sync_now_requested"


def test_second_sync_now_before_discovery_is_204():
    test_client = created(client())
    for _ in range(2):
        assert test_client.post(f"{MIRROR}/sync-now", headers=headers("owner")).status_code == 204


def _set_config_status(test_client, status):
    from mockquay.extension import emulator_of

    with emulator_of(test_client.application).store.transaction() as tx:
        config = tx.get("org_mirrors", ORG)
        config["sync_status"] = status
        tx.put("org_mirrors", ORG, config)


@pytest.mark.parametrize(
    ("profile", "detail"),
    [
        ("latest", "Cannot trigger sync: discovery is currently in progress."),
        ("3.17", "Cannot trigger sync: mirror is currently syncing"),
    ],
)
def test_sync_now_while_discovery_runs_is_refused(profile, detail):
    test_client = created(client(profile=profile))
    _set_config_status(test_client, "SYNCING")
    response = test_client.post(f"{MIRROR}/sync-now", headers=headers("owner"))
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_sync_cancel_is_204_then_400():
    test_client = created(client())
    assert_answer(
        test_client.post(f"{MIRROR}/sync-cancel", headers=headers("owner")), 204, b"", JSON
    )
    view = _view(test_client)
    assert (view["sync_status"], view["sync_expiration_date"], view["sync_retries_remaining"]) == (
        "CANCEL",
        "2026-01-01T00:00:00Z",
        0,
    )
    response = test_client.post(f"{MIRROR}/sync-cancel", headers=headers("owner"))
    detail = "Cannot cancel: mirror is already cancelled"
    assert_answer(response, 400, api_error(400, detail), JSON)
    assert audit_log(test_client, ORG)[-1]["kind"] == "org_mirror_sync_cancelled"


def _verify(test_client):
    return test_client.post(f"{MIRROR}/verify", headers=headers("owner"))


def test_verify_success():
    assert_json(
        _verify(created(client())), 200, {"success": True, "message": "Connection successful"}
    )


def test_verify_unknown_namespace():
    test_client = created(client(), external_namespace="nope")
    assert_json(
        _verify(test_client), 200, {"success": False, "message": "Namespace 'nope' not found"}
    )


def test_verify_harbor_project_not_found():
    """A Quay-API source asked as Harbor answers 404 at ``/api/v2.0/projects/<p>``."""
    test_client = created(client(), external_registry_type="harbor")
    assert_json(
        _verify(test_client), 200, {"success": False, "message": "Unexpected response: 404"}
    )


def test_verify_rechecks_the_url_with_dns():
    from mockquay.extension import emulator_of

    test_client = created(client())
    emulator_of(test_client.application).seed(
        {"settings": {"dns": {"source.example.com": "10.1.2.3"}}}
    )
    assert_json(
        _verify(test_client), 200, {"success": False, "message": "The provided URL is not allowed"}
    )


def test_verify_without_config_is_404():
    assert_answer(_verify(client()), 404, api_error(404), JSON)


# -- repositories (section 1.6) -----------------------------------------------------------


def test_repositories_of_a_new_config_is_an_empty_page():
    test_client = created(client())
    response = test_client.get(f"{MIRROR}/repositories?limit=900&page=0", headers=headers("owner"))
    assert_json(
        response, 200, {"repositories": [], "page": 1, "limit": 500, "total": 0, "has_next": False}
    )


def test_repositories_unparsable_paging_is_the_default():
    test_client = created(client())
    response = test_client.get(f"{MIRROR}/repositories?limit=x&page=y", headers=headers("owner"))
    assert (response.get_json()["page"], response.get_json()["limit"]) == (1, 100)


def test_repositories_bad_status_filter():
    test_client = created(client())
    response = test_client.get(f"{MIRROR}/repositories?status=done", headers=headers("owner"))
    detail = (
        "Invalid status filter 'done'. Valid values: CANCEL, FAIL, NEVER_RUN, SUCCESS, SYNCING, "
        "SYNC_NOW, SKIP"
    )
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_repositories_without_config_is_404():
    response = client().get(f"{MIRROR}/repositories", headers=headers("owner"))
    assert_answer(response, 404, api_error(404), JSON)
