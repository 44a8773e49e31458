"""The repository permissions API: the nine routes of Quay's ``endpoints/api/permission.py``
over ``data/model/permission.py`` and ``permission_models_pre_oci.py`` (spec section 4)."""

from __future__ import annotations

import json
import zlib

import pytest
from support.api import api_world, assert_json, avatar, bearer, client_on
from support.conformance import (
    HTML,
    JSON,
    ORGREPO,
    SIMPLE,
    api_error,
    assert_answer,
    assert_schema_error,
    audit_log,
    dme,
    http_abort,
    state,
    stored,
)

ADMIN = bearer("devtable-token")
TOKEN_METADATA = {
    "oauth_token_id": zlib.crc32(b"devtable-token") & 0x7FFFFFFF,
    "oauth_token_application_id": "MOCKQUAYFIXTURETOKEN",
    "oauth_token_application": "mockquay",
}


def permissions_path(repository: str, kind: str, name: str = "") -> str:
    return f"/api/v1/repository/{repository}/permissions/{kind}/{name}"


def world() -> dict:
    """Quay's API test world; ``buynlarge/orgrepo`` grants ``reader`` write, the org's robot
    read, ``outsider`` (no team) read, and team ``readers`` read."""
    document = api_world()
    document["repositories"][1]["permissions"] = {
        "reader": "write",
        "buynlarge+coolrobot": "read",
        "outsider": "read",
    }
    document["repositories"][1]["team_permissions"] = {"readers": "read"}
    return document


@pytest.fixture
def client():
    return client_on(world())


def user_view(name: str, role: str, *, robot: bool = False, member: bool | None = None) -> dict:
    """``UserPermission.to_dict``: users hash their e-mail; mockquay's robots their name."""
    email = name if robot else f"{name}@example.com"
    view = {
        "role": role,
        "name": name,
        "is_robot": robot,
        "avatar": avatar(name, email, "robot" if robot else "user"),
    }
    if member is not None:
        view["is_org_member"] = member
    return view


def team_view(name: str, role: str) -> dict:
    return {"role": role, "name": name, "avatar": avatar(name, name, "team")}


def test_list_user_permissions_of_an_org_repository_say_who_is_a_member(client):
    """Robots count as members; ``outsider`` is in no team of ``buynlarge``."""
    response = client.get(permissions_path(ORGREPO, "user"), headers=ADMIN)
    assert_json(
        response,
        200,
        {
            "permissions": {
                "reader": user_view("reader", "write", member=True),
                "buynlarge+coolrobot": user_view(
                    "buynlarge+coolrobot", "read", robot=True, member=True
                ),
                "outsider": user_view("outsider", "read", member=False),
            }
        },
    )


def test_list_user_permissions_of_a_user_repository_have_no_is_org_member(client):
    response = client.get(permissions_path(SIMPLE, "user"), headers=ADMIN)
    assert_json(
        response,
        200,
        {
            "permissions": {
                "reader": user_view("reader", "read"),
                "devtable+dtrobot": user_view("devtable+dtrobot", "write", robot=True),
            }
        },
    )


def test_list_team_permissions(client):
    response = client.get(permissions_path(ORGREPO, "team"), headers=ADMIN)
    assert_json(response, 200, {"permissions": {"readers": team_view("readers", "read")}})


def test_lists_of_a_missing_repository_are_empty_for_an_admin(client):
    for kind in ("user", "team"):
        response = client.get(permissions_path("buynlarge/nosuch", kind), headers=ADMIN)
        assert_json(response, 200, {"permissions": {}})


def test_transitive_roles_are_the_users_own_then_its_teams(client):
    response = client.get(permissions_path(ORGREPO, "user", "reader/transitive"), headers=ADMIN)
    assert_json(response, 200, {"permissions": [{"role": "write"}, {"role": "read"}]})


@pytest.mark.parametrize("username", ["freshuser", "nosuchuser"])
def test_transitive_roles_of_a_user_without_any_or_unknown_are_404(client, username):
    path = permissions_path(ORGREPO, "user", f"{username}/transitive")
    assert_answer(client.get(path, headers=ADMIN), 404, api_error(404), JSON)


def test_get_user_permission(client):
    response = client.get(permissions_path(ORGREPO, "user", "reader"), headers=ADMIN)
    assert_json(response, 200, user_view("reader", "write", member=True))


def test_get_user_permission_without_one_is_quays_uncaught_dme(client):
    response = client.get(permissions_path(ORGREPO, "user", "freshuser"), headers=ADMIN)
    assert_answer(response, 400, dme("User does not have permission for repo."), JSON)


def test_get_team_permission_is_the_role_alone(client):
    response = client.get(permissions_path(ORGREPO, "team", "readers"), headers=ADMIN)
    assert_json(response, 200, {"role": "read"})


def test_get_team_permission_without_one_is_quays_uncaught_dme(client):
    response = client.get(permissions_path(ORGREPO, "team", "owners"), headers=ADMIN)
    assert_answer(response, 400, dme("Team does not have permission for repo."), JSON)


def test_put_user_permission_creates_then_changes_with_200_and_logs_each(client):
    path = permissions_path(ORGREPO, "user", "freshuser")
    assert_json(
        client.put(path, headers=ADMIN, json={"role": "write"}),
        200,
        user_view("freshuser", "write", member=False),
    )
    assert_json(
        client.put(path, headers=ADMIN, json={"role": "admin"}),
        200,
        user_view("freshuser", "admin", member=False),
    )
    assert stored(client, "repositories", ORGREPO)["permissions"]["freshuser"] == "admin"
    entries = [(e["kind"], e["metadata"], e["performer"]) for e in audit_log(client, ORGREPO)]
    base = {"username": "freshuser", "repo": "orgrepo", "namespace": "buynlarge"}
    assert entries == [
        ("change_repo_permission", {**base, "role": "write", **TOKEN_METADATA}, "devtable"),
        ("change_repo_permission", {**base, "role": "admin", **TOKEN_METADATA}, "devtable"),
    ]


def test_a_granted_user_gets_the_role(client):
    """The permission is what Quay's permission checks read: freshuser may now read."""
    path = f"/api/v1/repository/{ORGREPO}"
    assert client.get(path, headers=bearer("freshuser-token")).status_code == 403
    client.put(permissions_path(ORGREPO, "user", "freshuser"), headers=ADMIN, json={"role": "read"})
    assert client.get(path, headers=bearer("freshuser-token")).status_code == 200


def test_a_team_permission_gives_its_members_the_role(client):
    """``outsider`` joins no team; ``reader`` reads ``devtable``-less org repos via ``readers``."""
    document = world()
    document["repositories"][1]["permissions"] = {}
    client = client_on(document)
    path = f"/api/v1/repository/{ORGREPO}"
    assert client.get(path, headers=bearer("reader-token")).status_code == 200
    client.delete(permissions_path(ORGREPO, "team", "readers"), headers=ADMIN)
    assert client.get(path, headers=bearer("reader-token")).status_code == 403


def test_put_for_the_namespace_owner_is_refused(client):
    response = client.put(
        permissions_path(SIMPLE, "user", "devtable"), headers=ADMIN, json={"role": "read"}
    )
    assert_answer(response, 400, api_error(400, "Namespace owner must always be admin."), JSON)


def test_put_for_an_unknown_user_is_invalid_username(client):
    """The request of issue 21: it was routed to updateRepo."""
    response = client.put(
        permissions_path(ORGREPO, "user", "bob"), headers=ADMIN, json={"role": "write"}
    )
    assert_answer(response, 400, api_error(400, "Invalid username: bob"), JSON)


def test_put_for_a_robot_of_another_namespace_is_refused(client):
    response = client.put(
        permissions_path(ORGREPO, "user", "devtable+dtrobot"), headers=ADMIN, json={"role": "write"}
    )
    detail = "Cannot add robot devtable+dtrobot under namespace buynlarge"
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_put_for_a_robot_of_the_namespace_shows_it_as_a_member(client):
    response = client.put(
        permissions_path(ORGREPO, "user", "buynlarge+coolrobot"),
        headers=ADMIN,
        json={"role": "write"},
    )
    assert_json(response, 200, user_view("buynlarge+coolrobot", "write", robot=True, member=True))


@pytest.mark.parametrize(
    ("body", "first_line"),
    [
        ({}, "'role' is a required property"),
        ({"role": "owner"}, "'owner' is not one of ['read', 'write', 'admin']"),
    ],
)
@pytest.mark.parametrize("kind", ["user", "team"])
def test_put_bodies_are_checked_against_quays_schema(client, kind, body, first_line):
    name = "reader" if kind == "user" else "readers"
    response = client.put(permissions_path(ORGREPO, kind, name), headers=ADMIN, json=body)
    assert_schema_error(response, first_line)


def test_a_missing_role_dumps_quays_request_schema(client):
    """``UserPermissionRequest`` of Quay's current ``permission.py``, as jsonschema 3.2.0
    prints it."""
    response = client.put(permissions_path(ORGREPO, "user", "reader"), headers=ADMIN, json={})
    detail = (
        "'role' is a required property\n\n"
        "Failed validating 'required' in schema:\n"
        "    {'description': 'Request body for setting user permissions.',\n"
        "     'properties': {'role': {'description': 'Role to use for the user',\n"
        "                             'enum': ['read', 'write', 'admin'],\n"
        "                             'type': 'string'}},\n"
        "     'required': ['role'],\n"
        "     'type': 'object'}\n\n"
        "On instance:\n"
        "    {}"
    )
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_permission_is_checked_before_the_body(client):
    response = client.put(
        permissions_path(ORGREPO, "user", "reader"), headers=bearer("reader-token"), json={}
    )
    assert_answer(response, 403, api_error(403), JSON)


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_writes_without_a_token_are_csrf_refusals(client, method):
    response = client.open(
        permissions_path(ORGREPO, "user", "reader"), method=method, json={"role": "read"}
    )
    assert_answer(response, 403, http_abort("CSRF token was invalid or missing."), HTML)


def test_anonymous_get_is_401(client):
    response = client.get(permissions_path(ORGREPO, "user"))
    assert_answer(response, 401, api_error(401), JSON)


@pytest.mark.parametrize(("method", "status"), [("GET", 200), ("PUT", 403), ("DELETE", 403)])
def test_a_global_read_only_superuser_may_only_read(client, method, status):
    response = client.open(
        permissions_path(ORGREPO, "user", "reader"),
        method=method,
        headers=bearer("globalreadonlysuperuser-token"),
        json={"role": "read"},
    )
    assert response.status_code == status


def test_put_on_a_missing_repository_is_quays_crash(client):
    """``__set_entity_repo_permission``'s ``get_existing_repository`` raises, uncaught."""
    response = client.put(
        permissions_path("buynlarge/nosuch", "user", "reader"), headers=ADMIN, json={"role": "read"}
    )
    assert response.status_code == 500
    assert response.headers["X-Mockquay-Emulated"].startswith("Repository.DoesNotExist")


def test_delete_user_permission_is_204_and_logged(client):
    """Also the request of issue 21 (``DELETE .../carol`` reached deleteRepository)."""
    response = client.delete(permissions_path(ORGREPO, "user", "reader"), headers=ADMIN)
    assert_answer(response, 204, b"", JSON)
    assert "reader" not in stored(client, "repositories", ORGREPO)["permissions"]
    [entry] = audit_log(client, ORGREPO)
    assert (entry["kind"], entry["metadata"]) == (
        "delete_repo_permission",
        {"username": "reader", "repo": "orgrepo", "namespace": "buynlarge", **TOKEN_METADATA},
    )


def test_delete_user_permission_refusals(client):
    owner = client.delete(permissions_path(SIMPLE, "user", "devtable"), headers=ADMIN)
    assert_answer(owner, 400, api_error(400, "Namespace owner must always be admin."), JSON)
    none = client.delete(permissions_path(ORGREPO, "user", "carol"), headers=ADMIN)
    assert_answer(none, 400, api_error(400, "User does not have permission for repo."), JSON)
    assert stored(client, "repositories", ORGREPO) is not None


def test_there_is_no_last_admin_guard_in_an_organization(client):
    client.put(permissions_path(ORGREPO, "user", "outsider"), headers=ADMIN, json={"role": "admin"})
    response = client.delete(permissions_path(ORGREPO, "user", "outsider"), headers=ADMIN)
    assert response.status_code == 204


def test_put_team_permission_is_200_and_logged(client):
    response = client.put(
        permissions_path(ORGREPO, "team", "owners"), headers=ADMIN, json={"role": "write"}
    )
    assert_json(response, 200, team_view("owners", "write"))
    [entry] = audit_log(client, ORGREPO)
    assert (entry["kind"], entry["metadata"]) == (
        "change_repo_permission",
        {"team": "owners", "repo": "orgrepo", "role": "write", **TOKEN_METADATA},
    )


@pytest.mark.parametrize(
    ("repository", "namespace"), [(ORGREPO, "buynlarge"), (SIMPLE, "devtable")]
)
def test_put_for_an_unknown_team_is_refused(client, repository, namespace):
    response = client.put(
        permissions_path(repository, "team", "nope"), headers=ADMIN, json={"role": "read"}
    )
    detail = f"No team nope in organization {namespace}"
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_delete_team_permission_is_204_and_logged(client):
    response = client.delete(permissions_path(ORGREPO, "team", "readers"), headers=ADMIN)
    assert_answer(response, 204, b"", JSON)
    assert stored(client, "repositories", ORGREPO)["team_permissions"] == {}
    [entry] = audit_log(client, ORGREPO)
    assert (entry["kind"], entry["metadata"]) == (
        "delete_repo_permission",
        {"team": "readers", "repo": "orgrepo", **TOKEN_METADATA},
    )


def test_delete_team_permission_without_one_is_refused(client):
    response = client.delete(permissions_path(ORGREPO, "team", "owners"), headers=ADMIN)
    assert_answer(response, 400, api_error(400, "Team does not have permission for repo."), JSON)


def test_fixtures_declare_team_permissions_and_the_export_keeps_them(client):
    exported = state(client)
    [orgrepo] = [repo for repo in exported["repositories"] if repo["name"] == ORGREPO]
    assert orgrepo["team_permissions"] == {"readers": "read"}
    again = client_on(exported)
    assert state(again)["repositories"] == exported["repositories"]


def mirror_world() -> dict:
    """``devtable/simple`` mirrors ``quay.io/coreos/etcd`` (two tags) on a manual clock, its
    robot ``devtable+dtrobot`` granted write by the mirror's creation."""
    document = api_world()
    document["settings"].update(
        clock={"mode": "manual", "start": "2026-01-01T00:00:00Z"}, worker={"mode": "auto"}
    )
    document["mirrors"][0].update(
        external_reference="quay.io/coreos/etcd",
        sync_start_date="2026-01-01T00:00:00Z",
        root_rule={"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
        external_registry_username=None,
        external_registry_password=None,
    )
    document["registries"] = [
        {"host": "quay.io", "repositories": {"coreos/etcd": {"tags": {"v3.5.0": {}, "v3.4.0": {}}}}}
    ]
    return document


def sync_entries(client) -> list[tuple[str, str]]:
    return [
        (entry["kind"], entry["metadata"].get("stderr", ""))
        for entry in audit_log(client, SIMPLE)
        if entry["kind"].startswith("repo_mirror_sync")
    ]


def test_a_mirror_robot_whose_write_is_removed_cannot_push():
    """The worker copies as the robot (``perform_mirror``'s ``dest_username``): without write,
    Quay's registry refuses each tag, and the sync fails."""
    client = client_on(mirror_world())
    robot = permissions_path(SIMPLE, "user", "devtable+dtrobot")
    assert client.delete(robot, headers=ADMIN).status_code == 204
    assert client.post("/__mockquay__/clock", json={"advance": 10}).status_code == 200
    entries = sync_entries(client)
    assert [kind for kind, _ in entries] == [
        "repo_mirror_sync_started",
        "repo_mirror_sync_tag_failed",
        "repo_mirror_sync_tag_failed",
        "repo_mirror_sync_failed",
    ]
    assert entries[1][1].endswith(
        "exists in devtable/simple: unauthorized: access to the requested resource is not "
        'authorized"\n'
    )
    view = json.loads(client.get(f"/api/v1/repository/{SIMPLE}/mirror", headers=ADMIN).data)
    assert view["sync_status"] == "FAIL"


def test_a_mirror_robot_given_write_again_pushes_again():
    client = client_on(mirror_world())
    robot = permissions_path(SIMPLE, "user", "devtable+dtrobot")
    client.put(robot, headers=ADMIN, json={"role": "read"})
    assert client.post("/__mockquay__/clock", json={"advance": 10}).status_code == 200
    assert [kind for kind, _ in sync_entries(client)][-1] == "repo_mirror_sync_failed"
    client.put(robot, headers=ADMIN, json={"role": "write"})
    assert client.post("/__mockquay__/clock", json={"advance": 30}).status_code == 200
    assert [kind for kind, _ in sync_entries(client)][-1] == "repo_mirror_sync_success"
