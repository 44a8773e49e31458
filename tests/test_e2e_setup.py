"""A whole automation run from an empty Quay (issue 22 item 3): ``mockquay serve`` with one
superuser and its token; organizations, teams, members, users (superuser API), robots with
federation, repositories with user and team permissions, a mirror and an org mirror built,
changed and deleted over HTTP with ``requests``, and an auto-prune policy; then the state
export equals that of a fixture of the same world.

Each answer follows Quay's ``endpoints/api/organization.py``, ``team.py``, ``superuser.py``,
``robot.py``, ``repository.py``, ``permission.py``, ``mirror.py``, ``org_mirror.py`` and
``policy.py``.
"""

from __future__ import annotations

import json

import pytest
import requests
from support.api import avatar
from support.world import FULL_SCOPES, Served, build_app

SETTINGS = {"super_users": ["admin"], "features": {"ORG_MIRROR": True, "AUTO_PRUNE": True}}
POLICY = {"method": "creation_date", "value": "7d", "tagPattern": "^dev-"}
SUPERUSER_ONLY = {
    "settings": SETTINGS,
    "users": [{"username": "admin", "email": "admin@example.com"}],
    "tokens": [{"token": "admin-token", "user": "admin", "scopes": FULL_SCOPES}],
}

MIRROR_BODY = {
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 86400,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    "robot_username": "platform+mirror",
    "skopeo_timeout_interval": 300,
}
ORG_MIRROR_BODY = {
    "external_registry_type": "quay",
    "external_registry_url": "https://source.example.com",
    "external_namespace": "projectx",
    "robot_username": "mirrored+bot",
    "visibility": "private",
    "sync_interval": 3600,
    "sync_start_date": "2026-01-01T00:00:00Z",
}
FEDERATION = [{"issuer": "https://token.actions.githubusercontent.com", "subject": "repo:p/b"}]


@pytest.fixture
def quay(tmp_path):
    """``mockquay serve`` on a fixture with only ``admin``, a superuser, and its token
    (``FEATURE_ORG_MIRROR`` on)."""
    fixture = tmp_path / "superuser.json"
    fixture.write_text(json.dumps(SUPERUSER_ONLY))
    server = Served("--fixtures", str(fixture), "--clock", "manual", "--quiet")
    session = requests.Session()
    session.headers.update({"Authorization": "Bearer admin-token"})
    try:
        yield server.url, session
    finally:
        session.close()
        server.stop()


def expect(response: requests.Response, status: int, body: object = None) -> requests.Response:
    assert response.status_code == status, (response.request.method, response.url, response.text)
    if body is not None:
        assert response.json() == body, (response.request.method, response.url)
    return response


def test_automation_builds_changes_and_removes_a_world_from_an_empty_quay(quay):
    base, http = quay
    api = f"{base}/api/v1"
    assert expect(http.get(f"{api}/user/"), 200).json()["username"] == "admin"

    for name in ("alice", "bob", "carol", "dave"):
        made = expect(
            http.post(f"{api}/superuser/users/", json={"username": name, "email": f"{name}@x.io"}),
            200,
        ).json()
        assert (made["username"], made["email"], len(made["password"]) > 0) == (
            name,
            f"{name}@x.io",
            True,
        )
    expect(
        http.post(f"{api}/superuser/users/", json={"username": "alice"}),
        400,
        None,
    )
    assert expect(http.get(f"{api}/users/alice"), 200).json()["username"] == "alice"

    # A token for a superuser-created user, through the admin API (a fixture's ``tokens:``).
    seeded = http.post(
        f"{base}/__mockquay__/seed",
        json={"tokens": [{"token": "alice-token", "user": "alice", "scopes": FULL_SCOPES}]},
    )
    assert seeded.status_code == 200, seeded.text
    alice = requests.get(f"{api}/user/", headers={"Authorization": "Bearer alice-token"})
    assert (alice.status_code, alice.json()["username"]) == (200, "alice")

    for org in ("platform", "apps", "scratch", "mirrored"):
        expect(http.post(f"{api}/organization/", json={"name": org, "email": f"{org}@x.io"}), 201)
        assert expect(http.get(f"{api}/organization/{org}"), 200).json()["is_admin"] is True
    expect(http.post(f"{api}/organization/", json={"name": "apps", "email": "a@b.io"}), 400)

    team = expect(
        http.put(
            f"{api}/organization/platform/team/builders",
            json={"role": "member", "description": "CI"},
        ),
        200,
    ).json()
    assert (team["name"], team["role"], team["new_team"]) == ("builders", "member", True)
    for member in ("alice", "bob"):
        added = expect(
            http.put(f"{api}/organization/platform/team/builders/members/{member}"), 200
        ).json()
        assert added["name"] == member
    expect(http.put(f"{api}/organization/apps/team/reviewers", json={"role": "creator"}), 200)
    expect(http.put(f"{api}/organization/apps/team/reviewers/members/carol"), 200)
    members = expect(http.get(f"{api}/organization/platform/team/builders/members"), 200).json()
    assert sorted(m["name"] for m in members["members"]) == ["alice", "bob"]

    for robot in ("mirror", "ci", "spare"):
        made = expect(http.put(f"{api}/organization/platform/robots/{robot}"), 201).json()
        assert made["name"] == f"platform+{robot}"
    fed = f"{api}/organization/platform/robots/ci/federation"
    expect(http.post(fed, json=FEDERATION), 200, FEDERATION)
    expect(http.get(fed), 200, FEDERATION)
    expect(http.put(f"{api}/organization/platform/team/builders/members/platform+ci"), 200)
    listed = expect(http.get(f"{api}/organization/platform/robots?permissions=true"), 200).json()
    teams = {robot["name"]: [team["name"] for team in robot["teams"]] for robot in listed["robots"]}
    assert teams == {"platform+ci": ["builders"], "platform+mirror": [], "platform+spare": []}

    for namespace, name in (("platform", "base"), ("apps", "web"), ("scratch", "tmp")):
        expect(
            http.post(
                f"{api}/repository",
                json={
                    "namespace": namespace,
                    "repository": name,
                    "visibility": "private",
                    "description": f"{name} image",
                },
            ),
            201,
            {"namespace": namespace, "name": name, "kind": "image"},
        )
    repo = f"{api}/repository/platform/base"
    expect(http.post(f"{repo}/mirror", json=MIRROR_BODY), 201)
    assert expect(http.get(f"{repo}/mirror"), 200).json()["robot_username"] == "platform+mirror"
    expect(http.put(f"{repo}/mirror", json={"sync_interval": 3600}), 201)
    grant_change_and_delete_permissions(api, http)
    policies = f"{api}/organization/platform/autoprunepolicy/"
    policy = expect(http.post(policies, json=POLICY), 201).json()["uuid"]
    expect(
        http.get(policies),
        200,
        {"policies": [{"uuid": policy, "method": "creation_date", "value": "7d",
                       "tagPattern": "^dev-", "tagPatternMatches": True}]},
    )  # fmt: skip
    create_change_and_delete_an_org_mirror(api, http)

    # Changes and deletions.
    changed = expect(
        http.put(f"{api}/organization/apps", json={"email": "apps-team@x.io"}), 200
    ).json()
    assert changed["email"] == "apps-team@x.io"
    expect(http.put(f"{api}/organization/apps/team/reviewers", json={"role": "member"}), 200)
    expect(http.delete(f"{api}/organization/platform/team/builders/members/bob"), 204)
    expect(http.put(f"{api}/superuser/users/dave", json={"enabled": False}), 200)
    expect(http.delete(f"{api}/superuser/users/carol"), 204)
    expect(http.get(f"{api}/users/carol"), 404)
    expect(http.delete(f"{api}/organization/platform/robots/spare"), 204)
    refused = expect(http.delete(f"{api}/organization/platform/robots/mirror"), 400)
    assert refused.json()["detail"] == "Robot is being used by a mirror"
    expect(http.delete(f"{api}/organization/scratch"), 204)
    # Gone: without SUPERUSERS_FULL_ACCESS, a missing repository is a 403 as Quay has it.
    expect(http.get(f"{api}/repository/scratch/tmp"), 403)
    orgs = expect(http.get(f"{api}/superuser/organizations/"), 200).json()
    assert sorted(org["name"] for org in orgs["organizations"]) == ["apps", "mirrored", "platform"]
    users = expect(http.get(f"{api}/superuser/users/"), 200).json()
    assert sorted(user["username"] for user in users["users"]) == [
        "admin",
        "alice",
        "bob",
        "dave",
    ]

    exported = expect(http.get(f"{base}/__mockquay__/state"), 200).json()
    assert exported == fixture_export(same_world(exported))


def user_permission(name: str, role: str, member: bool) -> dict:
    """``UserPermission.to_dict`` of ``endpoints/api/permission_models_pre_oci.py``."""
    return {
        "role": role,
        "name": name,
        "is_robot": False,
        "avatar": avatar(name, f"{name}@x.io", "user"),
        "is_org_member": member,
    }


def team_permission(name: str, role: str) -> dict:
    return {"role": role, "name": name, "avatar": avatar(name, name, "team")}


def grant_change_and_delete_permissions(api: str, http: requests.Session) -> None:
    """A user's and a team's repository permission granted, changed and deleted, as Quay's
    ``endpoints/api/permission.py`` answers each."""
    base = f"{api}/repository/platform/base/permissions"
    web = f"{api}/repository/apps/web/permissions"
    expect(
        http.put(f"{base}/user/alice", json={"role": "write"}),
        200,
        user_permission("alice", "write", True),
    )
    expect(
        http.put(f"{base}/user/alice", json={"role": "admin"}),
        200,
        user_permission("alice", "admin", True),
    )
    expect(http.get(f"{base}/user/alice"), 200, user_permission("alice", "admin", True))
    expect(
        http.put(f"{web}/user/bob", json={"role": "read"}),
        200,
        user_permission("bob", "read", False),
    )
    expect(http.delete(f"{web}/user/bob"), 204)
    expect(http.get(f"{web}/user/bob"), 400)
    for role in ("read", "write"):
        expect(
            http.put(f"{base}/team/builders", json={"role": role}),
            200,
            team_permission("builders", role),
        )
    expect(http.get(f"{base}/team/builders"), 200, {"role": "write"})
    expect(
        http.put(f"{web}/team/reviewers", json={"role": "read"}),
        200,
        team_permission("reviewers", "read"),
    )
    expect(http.delete(f"{web}/team/reviewers"), 204)
    expect(http.get(f"{web}/team/"), 200, {"permissions": {}})
    teams = expect(http.get(f"{base}/team/"), 200).json()["permissions"]
    assert teams == {"builders": team_permission("builders", "write")}


def create_change_and_delete_an_org_mirror(api: str, http: requests.Session) -> None:
    """An org mirror config created, changed, deleted and created again on the empty
    organization ``mirrored``, as Quay's ``endpoints/api/org_mirror.py`` answers each."""
    expect(http.put(f"{api}/organization/mirrored/robots/bot"), 201)
    config = f"{api}/organization/mirrored/mirror"
    expect(http.get(config), 404)
    expect(http.post(config, json=ORG_MIRROR_BODY), 201)
    second = expect(http.post(config, json=ORG_MIRROR_BODY), 400).json()
    assert second["detail"] == "Mirror configuration already exists for this organization"
    view = expect(http.get(config), 200).json()
    assert {key: view[key] for key in ORG_MIRROR_BODY} == ORG_MIRROR_BODY
    expect(http.put(config, json={"sync_interval": 7200, "is_enabled": False}), 200)
    view = expect(http.get(config), 200).json()
    assert (view["sync_interval"], view["is_enabled"]) == (7200, False)
    expect(http.delete(config), 204)
    expect(http.get(config), 404)
    expect(http.post(config, json=ORG_MIRROR_BODY), 201)
    expect(http.put(config, json={"repository_filters": ["app*"]}), 200)
    assert expect(http.get(config), 200).json()["repository_filters"] == ["app*"]


def same_world(exported: dict) -> dict:
    """The world the run built, written as a fixture; what Quay generates (robot tokens and
    creation dates) is taken from the run, as a fixture may give it."""
    robots = {robot["name"]: robot for robot in exported["robots"]}
    org_mirrors = {config["organization"]: config for config in exported["org_mirrors"]}
    generated = ("token", "created")
    return {
        "settings": SETTINGS,
        "users": [
            {"username": "admin", "email": "admin@example.com"},
            {"username": "alice", "email": "alice@x.io"},
            {"username": "bob", "email": "bob@x.io"},
            {"username": "dave", "email": "dave@x.io", "enabled": False},
        ],
        "organizations": [
            {
                "name": "apps",
                "email": "apps-team@x.io",
                "teams": {
                    "owners": {"role": "admin", "members": ["admin"]},
                    "reviewers": {"role": "member", "members": []},
                },
            },
            {
                "name": "platform",
                "email": "platform@x.io",
                "teams": {
                    "owners": {"role": "admin", "members": ["admin"]},
                    "builders": {
                        "role": "member",
                        "description": "CI",
                        "members": ["alice", "platform+ci"],
                    },
                },
            },
            {
                "name": "mirrored",
                "email": "mirrored@x.io",
                "teams": {"owners": {"role": "admin", "members": ["admin"]}},
            },
        ],
        "robots": [
            {"name": "platform+ci", "federation": FEDERATION}
            | {key: robots["platform+ci"][key] for key in generated},
            {"name": "platform+mirror"}
            | {key: robots["platform+mirror"][key] for key in generated},
            {"name": "mirrored+bot"} | {key: robots["mirrored+bot"][key] for key in generated},
        ],
        "repositories": [
            {
                "name": "apps/web",
                "visibility": "private",
                "description": "web image",
                "permissions": {"admin": "admin"},
            },
            {
                "name": "platform/base",
                "visibility": "private",
                "description": "base image",
                "state": "MIRROR",
                "permissions": {"admin": "admin", "alice": "admin"},
                "team_permissions": {"builders": "write"},
            },
        ],
        "tokens": [
            {"token": "admin-token", "user": "admin", "scopes": FULL_SCOPES},
            {"token": "alice-token", "user": "alice", "scopes": FULL_SCOPES},
        ],
        "mirrors": [
            {"repository": "platform/base", **MIRROR_BODY, "sync_interval": 3600},
        ],
        "autoprune_policies": [
            {"uuid": exported["autoprune_policies"][0]["uuid"], "namespace": "platform", **POLICY}
        ],
        "org_mirrors": [
            {
                "organization": "mirrored",
                **ORG_MIRROR_BODY,
                "repository_filters": ["app*"],
                "creation_date": org_mirrors["mirrored"]["creation_date"],
            }
        ],
    }


def fixture_export(document: dict) -> dict:
    """The state export of a second app seeded with ``document``."""
    return build_app(document).test_client().get("/__mockquay__/state").get_json()
