"""Repositories (``endpoints/api/repository.py``): createRepo, listRepos, getRepo, updateRepo,
deleteRepository and changeRepoState."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from support.api import (
    READ_ONLY_SCOPES,
    api_world,
    assert_json,
    bearer,
    client_on,
    restful,
    with_token,
)
from support.conformance import (
    BAD_REQUEST,
    CSRF_403,
    HTML,
    JSON,
    api_error,
    assert_answer,
    assert_schema_error,
    detail_answer,
    mirror_path,
    stored,
    werkzeug,
)
from support.world import org_mirrored

from mockquay.domain import audit
from mockquay.extension import emulator_of

REPOS = "/api/v1/repository"
NEW = {"repository": "new", "namespace": "acme", "visibility": "private", "description": "d"}


def log_kinds(client, repository: str) -> list[str]:
    with emulator_of(client.application).store.transaction() as tx:
        return [entry["kind"] for entry in audit.entries(tx, repository)]


# createRepo


def test_org_admin_creates_a_repository(default_client):
    response = default_client.post(REPOS, headers=bearer("admin-token"), json=NEW)
    assert_answer(response, 201, b'{"namespace": "acme", "name": "new", "kind": "image"}\n', JSON)
    repo = stored(default_client, "repositories", "acme/new")
    assert (repo["visibility"], repo["state"], repo["description"]) == ("private", "NORMAL", "d")
    assert repo["permissions"] == {"admin": "admin"}
    assert log_kinds(default_client, "acme/new") == ["create_repo"]


def test_without_namespace_the_repository_goes_to_the_callers_namespace(default_client):
    body = {k: v for k, v in NEW.items() if k != "namespace"}
    response = default_client.post(REPOS, headers=bearer("dev-token"), json=body)
    assert_json(response, 201, {"namespace": "dev", "name": "new", "kind": "image"})
    assert stored(default_client, "repositories", "dev/new")["permissions"] == {"dev": "admin"}


@pytest.mark.parametrize("kind", [None, "image"])
def test_repo_kind_null_or_image_is_image(default_client, kind):
    body = {**NEW, "repo_kind": kind}
    response = default_client.post(REPOS, headers=bearer("admin-token"), json=body)
    assert_json(response, 201, {"namespace": "acme", "name": "new", "kind": "image"})


def test_existing_repository_is_400(default_client):
    body = {**NEW, "repository": "app"}
    response = default_client.post(REPOS, headers=bearer("admin-token"), json=body)
    assert_answer(response, 400, api_error(400, "Repository already exists"), JSON)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("devtable", True),
        ("dev-table_1.x", True),
        ("a" * 255, True),
        ("path/to/repo", True),
        ("1/2/3" * 51, True),
        ("DevTable", False),
        (".foo", False),
        ("_foo", False),
        ("-foo", False),
        ("b" * 256, False),
        ("path/-to/repo", False),
        ("path/to//repo", False),
        ("path/to/repo/", False),
        ("1/2/3/78" * 32, False),
    ],
)
def test_repository_names_follow_quays_extended_name_rule(default_client, name, valid):
    response = default_client.post(
        REPOS, headers=bearer("admin-token"), json={**NEW, "repository": name}
    )
    if valid:
        assert response.status_code == 201
    else:
        assert_answer(response, 400, api_error(400, "Invalid repository name"), JSON)
        assert stored(default_client, "repositories", f"acme/{name}") is None


@pytest.mark.parametrize(
    ("body", "first_line"),
    [
        ({"repository": "x", "visibility": "private"}, "'description' is a required property"),
        ({**NEW, "visibility": "secret"}, "'secret' is not one of ['public', 'private']"),
    ],
)
def test_schema_errors_are_400(default_client, body, first_line):
    assert_schema_error(
        default_client.post(REPOS, headers=bearer("admin-token"), json=body), first_line
    )


def test_member_without_creator_role_is_refused(default_client):
    response = default_client.post(REPOS, headers=bearer("dev-token"), json=NEW)
    assert_answer(response, 403, api_error(403), JSON)
    assert stored(default_client, "repositories", "acme/new") is None


def test_anonymous_creation_is_the_csrf_403(default_client):
    assert_answer(default_client.post(REPOS, json=NEW), 403, CSRF_403, HTML)


def test_token_without_repo_create_cannot_create_even_in_its_own_namespace():
    document = with_token(api_world(), "limited", "devtable", READ_ONLY_SCOPES)
    body = {"repository": "mine", "visibility": "private", "description": ""}
    response = client_on(document).post(REPOS, headers=bearer("limited"), json=body)
    assert_answer(response, 403, api_error(403), JSON)


def test_full_access_superuser_creates_in_another_users_namespace():
    body = {
        "repository": "theirs",
        "namespace": "freshuser",
        "visibility": "public",
        "description": "",
    }
    response = client_on(api_world()).post(REPOS, headers=bearer("devtable-token"), json=body)
    assert_json(response, 201, {"namespace": "freshuser", "name": "theirs", "kind": "image"})


def test_full_access_superuser_in_an_unknown_namespace_is_quays_crash():
    body = {"repository": "x", "namespace": "nobody", "visibility": "public", "description": ""}
    response = client_on(api_world()).post(REPOS, headers=bearer("devtable-token"), json=body)
    assert response.status_code == 500
    assert response.headers["X-Mockquay-Emulated"].startswith("User.DoesNotExist")


#: Quay's test world's features, with ``FEATURE_ORG_MIRROR`` on (it is off by default).
ORG_MIRROR_ON = {"SUPERUSERS_FULL_ACCESS": True, "ORG_MIRROR": True}


@pytest.mark.parametrize(("profile", "status"), [("latest", 400), ("3.15", 201)])
def test_org_managed_by_org_level_mirroring_refuses_new_repositories(profile, status):
    document = org_mirrored(api_world(features=ORG_MIRROR_ON))
    body = {"repository": "x", "namespace": "buynlarge", "visibility": "public", "description": ""}
    response = client_on(document, profile).post(REPOS, headers=bearer("devtable-token"), json=body)
    if status == 400:
        detail = "Cannot create repository: organization is managed by organization-level mirroring"
        assert_answer(response, 400, api_error(400, detail), JSON)
    else:
        assert response.status_code == 201


# listRepos


def listed(rows: list[tuple[str, str, str, bool, str]], **extra) -> dict:
    return {
        "repositories": [
            {"namespace": ns, "name": name, "description": description, "is_public": public,
             "kind": "image", "state": state, "quota": None, **extra}
            for ns, name, description, public, state in rows
        ]
    }  # fmt: skip


ACME_APP = ("acme", "app", "No mirror yet", False, "NORMAL")
ACME_ETCD = ("acme", "etcd", "Mirror of quay.io/coreos/etcd", False, "MIRROR")
ACME_PUBLIC = ("acme", "public-base", "A public repository", True, "NORMAL")


def test_listing_needs_namespace_starred_or_public(default_client):
    response = default_client.get(REPOS, headers=bearer("admin-token"))
    detail = "namespace, starred or public are required for this API call"
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_org_admin_lists_every_repository_of_the_org(default_client):
    response = default_client.get(f"{REPOS}?namespace=acme", headers=bearer("admin-token"))
    assert_json(response, 200, listed([ACME_APP, ACME_ETCD, ACME_PUBLIC], is_starred=False))


def test_member_lists_only_repositories_it_has_a_role_on(default_client):
    response = default_client.get(f"{REPOS}?namespace=acme", headers=bearer("dev-token"))
    assert_json(response, 200, listed([ACME_APP], is_starred=False))


def test_public_adds_public_repositories_for_anyone(default_client):
    response = default_client.get(f"{REPOS}?public=true")
    assert_json(response, 200, listed([ACME_PUBLIC]))


def test_anonymous_sees_nothing_without_public(default_client):
    assert_json(default_client.get(f"{REPOS}?namespace=acme"), 200, {"repositories": []})


def test_starred_needs_a_user(default_client):
    response = default_client.get(f"{REPOS}?starred=true")
    assert_answer(response, 400, werkzeug(BAD_REQUEST), JSON)


def test_starred_lists_nothing_as_there_are_no_stars(default_client):
    response = default_client.get(f"{REPOS}?starred=true", headers=bearer("admin-token"))
    assert_json(response, 200, {"repositories": []})


def test_last_modified_and_popularity_add_their_keys(default_client):
    response = default_client.get(
        f"{REPOS}?namespace=dev&last_modified=true&popularity=true", headers=bearer("dev-token")
    )
    sandbox = ("dev", "sandbox", "dev's own repository", False, "NORMAL")
    assert_json(
        response, 200, listed([sandbox], last_modified=None, popularity=0.0, is_starred=False)
    )


def test_listing_pages_by_100_with_next_page():
    document = api_world()
    document["repositories"] += [{"name": f"devtable/r{n:03d}"} for n in range(101)]
    client = client_on(document)
    first = json.loads(
        client.get(f"{REPOS}?namespace=devtable", headers=bearer("devtable-token")).data
    )
    assert [len(first["repositories"]), first["repositories"][0]["name"]] == [100, "r000"]
    second = client.get(
        f"{REPOS}?namespace=devtable&next_page={first['next_page']}",
        headers=bearer("devtable-token"),
    )
    body = json.loads(second.data)
    assert [repo["name"] for repo in body["repositories"]] == ["r100", "simple"]
    assert "next_page" not in body


# getRepo


def repo_view(**changes) -> dict:
    view = {
        "namespace": "acme",
        "name": "etcd",
        "kind": "image",
        "description": "Mirror of quay.io/coreos/etcd",
        "is_public": False,
        "is_organization": True,
        "is_starred": False,
        "status_token": "5e7c9b1e-0aa4-53c0-a2f4-3d7c33c1ac31",
        "trust_enabled": False,
        "tag_expiration_s": 1209600,
        "is_free_account": True,
        "state": "MIRROR",
        "tags": {},
        "can_write": False,
        "can_admin": True,
    }
    view.update(changes)
    return view


def test_org_admin_gets_a_mirrored_repository_that_it_cannot_write(default_client):
    response = default_client.get(f"{REPOS}/acme/etcd", headers=bearer("admin-token"))
    body = json.loads(response.data)
    assert_json(response, 200, repo_view(status_token=body["status_token"]))
    assert len(body["status_token"]) == 36
    again = json.loads(default_client.get(f"{REPOS}/acme/etcd", headers=bearer("admin-token")).data)
    assert again["status_token"] == body["status_token"]


def test_writer_can_write_a_normal_repository_but_not_administer_it(default_client):
    body = json.loads(default_client.get(f"{REPOS}/acme/app", headers=bearer("dev-token")).data)
    assert (body["state"], body["can_write"], body["can_admin"]) == ("NORMAL", True, False)


def test_public_repository_for_anonymous_has_no_status_token_and_no_rights(default_client):
    body = json.loads(default_client.get(f"{REPOS}/acme/public-base").data)
    assert (body["is_public"], body["status_token"], body["can_write"], body["can_admin"]) == (
        True,
        "",
        False,
        False,
    )


def test_include_tags_false_drops_tags_and_include_stats_adds_91_zero_days(default_client):
    response = default_client.get(
        f"{REPOS}/acme/etcd?includeTags=false&includeStats=true", headers=bearer("admin-token")
    )
    body = json.loads(response.data)
    assert "tags" not in body
    assert list(body)[-3:] == ["can_write", "can_admin", "stats"]
    assert len(body["stats"]) == 91
    yesterday = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
    assert body["stats"][0] == {"date": yesterday, "count": 0}


def test_full_access_superuser_can_administer_any_repository():
    client = client_on(api_world())
    body = json.loads(
        client.get(f"{REPOS}/buynlarge/orgrepo", headers=bearer("devtable-token")).data
    )
    assert (body["can_write"], body["can_admin"]) == (True, True)


@pytest.mark.parametrize(
    ("token", "status"), [(None, 401), ("outsider-token", 403), ("devtable-token", 404)]
)
def test_get_repo_errors(token, status):
    client = client_on(api_world())
    response = client.get(f"{REPOS}/devtable/nosuch", headers=bearer(token))
    assert_answer(response, status, api_error(status), JSON)


# updateRepo


def test_description_change_is_logged_as_set_repo_description(default_client):
    response = default_client.put(
        f"{REPOS}/acme/app", headers=bearer("dev-token"), json={"description": "new"}
    )
    assert_json(response, 200, {"success": True})
    assert stored(default_client, "repositories", "acme/app")["description"] == "new"
    with emulator_of(default_client.application).store.transaction() as tx:
        [entry] = list(audit.entries(tx, "acme/app"))
    assert (entry["kind"], list(entry["metadata"])) == (
        "set_repo_description",
        ["repo", "namespace", "description", "oauth_token_id", "oauth_token_application_id",
         "oauth_token_application"],
    )  # fmt: skip


# deleteRepository


def test_deleting_a_repository_takes_its_mirror_and_log(default_client):
    headers = bearer("admin-token")
    default_client.put(mirror_path("acme/etcd"), headers=headers, json={"sync_interval": 60})
    response = default_client.delete(f"{REPOS}/acme/etcd", headers=headers)
    assert (response.status_code, response.data) == (204, b"")
    assert stored(default_client, "repositories", "acme/etcd") is None
    assert stored(default_client, "mirrors", "acme/etcd") is None
    assert_answer(
        default_client.get(f"{REPOS}/acme/etcd", headers=headers), 404, api_error(404), JSON
    )
    body = {**NEW, "repository": "etcd"}
    assert default_client.post(REPOS, headers=headers, json=body).status_code == 201
    assert log_kinds(default_client, "acme/etcd") == ["create_repo"]


def test_deleting_a_missing_repository_is_204(default_client):
    response = default_client.delete(f"{REPOS}/acme/nosuch", headers=bearer("admin-token"))
    assert (response.status_code, response.data) == (204, b"")


def test_writer_cannot_delete(default_client):
    response = default_client.delete(f"{REPOS}/acme/app", headers=bearer("dev-token"))
    assert_answer(response, 403, api_error(403), JSON)
    assert stored(default_client, "repositories", "acme/app") is not None


def test_anonymous_delete_is_the_csrf_403(default_client):
    assert_answer(default_client.delete(f"{REPOS}/acme/app"), 403, CSRF_403, HTML)


# changeRepoState


def test_admin_changes_the_state_and_the_mirror_stays(default_client):
    headers = bearer("admin-token")
    response = default_client.put(
        f"{REPOS}/acme/etcd/changestate", headers=headers, json={"state": "NORMAL"}
    )
    assert_json(response, 200, {"success": True})
    assert stored(default_client, "repositories", "acme/etcd")["state"] == "NORMAL"
    assert stored(default_client, "mirrors", "acme/etcd") is not None
    with emulator_of(default_client.application).store.transaction() as tx:
        [entry] = list(audit.entries(tx, "acme/etcd"))
    assert (entry["kind"], entry["metadata"]["state_changed"]) == ("change_repo_state", "NORMAL")


def test_state_outside_the_enum_is_a_schema_400(default_client):
    response = default_client.put(
        f"{REPOS}/acme/app/changestate", headers=bearer("admin-token"), json={"state": "BROKEN"}
    )
    assert_schema_error(response, "'BROKEN' is not one of ['NORMAL', 'READ_ONLY', 'MIRROR']")


def test_change_state_of_a_missing_repository_is_404(default_client):
    response = default_client.put(
        f"{REPOS}/acme/nosuch/changestate", headers=bearer("admin-token"), json={"state": "NORMAL"}
    )
    assert_answer(response, 404, api_error(404), JSON)


def test_writer_cannot_change_the_state(default_client):
    response = default_client.put(
        f"{REPOS}/acme/app/changestate", headers=bearer("dev-token"), json={"state": "READ_ONLY"}
    )
    assert_answer(response, 403, api_error(403), JSON)


def test_without_repo_mirror_changestate_falls_through_to_update_repo():
    client = client_on(api_world(features={"REPO_MIRROR": False}))
    response = client.put(
        f"{REPOS}/devtable/simple/changestate",
        headers=bearer("devtable-token"),
        json={"state": "NORMAL"},
    )
    assert_schema_error(response, "'description' is a required property")


@pytest.mark.parametrize(
    ("org_mirror", "state", "detail"),
    [
        (True, "NORMAL", "Repository state changes are not allowed in an organization managed by "
         "organization-level mirroring"),
        (False, "ORG_MIRROR", "ORG_MIRROR state is managed by organization-level mirroring"),
    ],
)  # fmt: skip
def test_org_level_mirroring_refuses_state_changes(org_mirror, state, detail):
    document = api_world(features=ORG_MIRROR_ON)
    if org_mirror:
        org_mirrored(document)
    document["repositories"][1]["state"] = state
    client = client_on(document)
    response = client.put(
        f"{REPOS}/buynlarge/orgrepo/changestate",
        headers=bearer("devtable-token"),
        json={"state": "READ_ONLY"},
    )
    assert_answer(response, 400, detail_answer(detail), JSON)
    assert stored(client, "repositories", "buynlarge/orgrepo")["state"] == state


def test_org_level_mirroring_does_not_exist_before_3_17():
    document = org_mirrored(api_world(features=ORG_MIRROR_ON))
    response = client_on(document, "3.15").put(
        f"{REPOS}/buynlarge/orgrepo/changestate",
        headers=bearer("devtable-token"),
        json={"state": "READ_ONLY"},
    )
    assert response.data == restful({"success": True})
