"""Robot accounts of users and organizations, as Quay's ``endpoints/api/robot.py``."""

from __future__ import annotations

import json
import re

import pytest
from support.api import (
    READ_ONLY_SCOPES,
    api_world,
    assert_json,
    avatar,
    bearer,
    client_on,
    restful,
    with_token,
)
from support.conformance import (
    CSRF_403,
    HTML,
    JSON,
    api_error,
    assert_answer,
    assert_schema_error,
    dme,
    stored,
)
from support.world import FULL_SCOPES

ORG_ROBOTS = "/api/v1/organization/buynlarge/robots"
USER_ROBOTS = "/api/v1/user/robots"

COOL = {
    "name": "buynlarge+coolrobot",
    "created": "Sat, 03 Feb 2024 04:05:06 -0000",
    "last_accessed": None,
    "description": "Cool robot",
}
ZBOT = {
    "name": "buynlarge+zbot",
    "created": "Mon, 04 Mar 2024 05:06:07 -0000",
    "last_accessed": None,
    "description": "",
}


def robots_world(**settings) -> dict:
    """Quay's world with dated robots, a plain org admin, a superuser outside the org, and a
    mirror of ``buynlarge/orgrepo`` that uses ``buynlarge+coolrobot`` (which gives it write)."""
    document = api_world(super_users=["devtable", "rootsu"], **settings)
    document["users"] += [{"username": "orgadmin"}, {"username": "rootsu"}]
    document["organizations"][0]["teams"]["owners"]["members"].append("orgadmin")
    document["tokens"] += [
        {"token": "orgadmin-token", "user": "orgadmin", "scopes": FULL_SCOPES},
        {"token": "rootsu-token", "user": "rootsu", "scopes": FULL_SCOPES},
    ]
    document["robots"] = [
        {"name": "devtable+dtrobot", "created": "2024-01-02T03:04:05Z", "token": "DTTOKEN"},
        {"name": "devtable+newmirrorbot", "created": "2024-01-02T03:04:05Z", "token": "NEWTOKEN"},
        {
            "name": "buynlarge+coolrobot",
            "created": "2024-02-03T04:05:06Z",
            "token": "COOLTOKEN",
            "description": "Cool robot",
            "unstructured_metadata": {"owner": "ci"},
        },
        {"name": "buynlarge+zbot", "created": "2024-03-04T05:06:07Z", "token": "ZTOKEN"},
    ]
    document["repositories"][1]["permissions"] = {"buynlarge+zbot": "read"}
    document["mirrors"].append(
        {
            "repository": "buynlarge/orgrepo",
            "external_reference": "quay.io/coreos/etcd",
            "sync_interval": 60,
            "sync_start_date": "2024-01-01T00:00:00Z",
            "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3*"]},
            "robot_username": "buynlarge+coolrobot",
        }
    )
    return document


@pytest.fixture
def client():
    return client_on(robots_world())


def with_token_field(view: dict, token: str) -> dict:
    return {**view, "token": token}


# getOrgRobots


def test_org_admin_lists_robots_by_name_with_tokens(client):
    assert_json(
        client.get(ORG_ROBOTS, headers=bearer("orgadmin-token")),
        200,
        {"robots": [with_token_field(COOL, "COOLTOKEN"), with_token_field(ZBOT, "ZTOKEN")]},
    )


def test_org_admin_token_false_hides_tokens(client):
    response = client.get(f"{ORG_ROBOTS}?token=false", headers=bearer("orgadmin-token"))
    assert_json(response, 200, {"robots": [COOL, ZBOT]})


def test_org_member_lists_robots_without_tokens(client):
    assert_json(
        client.get(ORG_ROBOTS, headers=bearer("reader-token")), 200, {"robots": [COOL, ZBOT]}
    )


def test_org_admin_with_permissions_gets_teams_and_repositories(client):
    response = client.get(f"{ORG_ROBOTS}?permissions=true", headers=bearer("orgadmin-token"))
    # Quay's RobotWithPermissions keys: teams and repositories before description.
    assert_json(
        response,
        200,
        {
            "robots": [
                {**{k: COOL[k] for k in ("name", "created", "last_accessed")}, "teams": [],
                 "repositories": ["orgrepo"], "description": COOL["description"],
                 "token": "COOLTOKEN"},
                {**{k: ZBOT[k] for k in ("name", "created", "last_accessed")}, "teams": [],
                 "repositories": ["orgrepo"], "description": "", "token": "ZTOKEN"},
            ]
        },
    )  # fmt: skip


def test_with_permissions_a_robot_in_teams_lists_them(client):
    """``robot_models_pre_oci.py list_entity_robot_permission_teams``: each team the robot is a
    member of once, as ``{name, avatar}`` (``avatar.get_data(name, name, "team")``), from
    ``endpoints/api/robot.py``'s ``include_permissions``; a robot in no team has none."""
    for team in ("readers", "owners"):
        added = client.put(
            f"/api/v1/organization/buynlarge/team/{team}/members/buynlarge+zbot",
            headers=bearer("orgadmin-token"),
        )
        assert added.status_code == 200
    response = client.get(f"{ORG_ROBOTS}?permissions=true", headers=bearer("orgadmin-token"))
    cool, zbot = response.get_json()["robots"]
    assert cool["teams"] == []
    assert zbot["teams"] == [
        {"name": "owners", "avatar": avatar("owners", "owners", "team")},
        {"name": "readers", "avatar": avatar("readers", "readers", "team")},
    ]


def test_org_member_asking_permissions_gets_the_plain_list(client):
    response = client.get(f"{ORG_ROBOTS}?permissions=true", headers=bearer("reader-token"))
    assert_json(response, 200, {"robots": [COOL, ZBOT]})


def test_global_readonly_superuser_sees_permissions_but_no_tokens(client):
    response = client.get(
        f"{ORG_ROBOTS}?permissions=true", headers=bearer("globalreadonlysuperuser-token")
    )
    robots = json.loads(response.data)["robots"]
    assert response.status_code == 200
    assert [("token" in robot, robot["repositories"]) for robot in robots] == [
        (False, ["orgrepo"]),
        (False, ["orgrepo"]),
    ]


def test_full_access_superuser_outside_the_org_sees_tokens(client):
    robots = json.loads(client.get(ORG_ROBOTS, headers=bearer("rootsu-token")).data)["robots"]
    assert [robot["token"] for robot in robots] == ["COOLTOKEN", "ZTOKEN"]


def test_limit_cuts_the_list(client):
    response = client.get(f"{ORG_ROBOTS}?limit=1&token=false", headers=bearer("orgadmin-token"))
    assert_json(response, 200, {"robots": [COOL]})


def test_limit_that_is_no_integer_is_reqparse_400_with_the_help_text(client):
    response = client.get(f"{ORG_ROBOTS}?limit=many", headers=bearer("orgadmin-token"))
    assert_json(
        response, 400, {"message": {"limit": "If specified, the number of robots to return."}}
    )


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("outsider-token", 403)])
def test_org_robot_list_is_refused_to_non_members(client, token, status):
    assert_answer(client.get(ORG_ROBOTS, headers=bearer(token)), status, api_error(status), JSON)


def test_global_readonly_superuser_lists_an_unknown_org_as_empty(client):
    response = client.get(
        "/api/v1/organization/nosuch/robots", headers=bearer("globalreadonlysuperuser-token")
    )
    assert_json(response, 200, {"robots": []})


# getOrgRobot


def test_org_admin_reads_a_robot_with_token_and_metadata(client):
    response = client.get(f"{ORG_ROBOTS}/coolrobot", headers=bearer("orgadmin-token"))
    assert_json(
        response, 200, {**COOL, "token": "COOLTOKEN", "unstructured_metadata": {"owner": "ci"}}
    )


def test_global_readonly_superuser_reads_a_robot_without_token(client):
    response = client.get(
        f"{ORG_ROBOTS}/coolrobot", headers=bearer("globalreadonlysuperuser-token")
    )
    assert_json(response, 200, {**COOL, "unstructured_metadata": {"owner": "ci"}})


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("reader-token", 403)])
def test_org_robot_is_refused_to_non_admins(client, token, status):
    response = client.get(f"{ORG_ROBOTS}/coolrobot", headers=bearer(token))
    assert_answer(response, status, api_error(status), JSON)


def test_unknown_org_robot_is_a_data_model_400(client):
    response = client.get(f"{ORG_ROBOTS}/nosuchbot", headers=bearer("orgadmin-token"))
    assert_answer(response, 400, dme("Could not find robot with specified username"), JSON)


def test_robot_of_an_unknown_org_is_a_data_model_400_for_a_full_access_superuser(client):
    response = client.get("/api/v1/organization/nosuch/robots/bot", headers=bearer("rootsu-token"))
    assert_answer(response, 400, dme("Organization does not exist: nosuch"), JSON)


# createOrgRobot


def test_org_admin_creates_a_robot(client):
    body = {"description": "Pushes", "unstructured_metadata": {"k": "v"}}
    response = client.put(f"{ORG_ROBOTS}/newbot", headers=bearer("orgadmin-token"), json=body)
    created = json.loads(response.data)
    assert (response.status_code, response.content_type) == (201, JSON)
    assert list(created) == [
        "name",
        "created",
        "last_accessed",
        "description",
        "token",
        "unstructured_metadata",
    ]
    assert re.fullmatch(r"[A-Z0-9]{64}", created["token"])
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d -0000", created["created"])
    assert (created["description"], created["unstructured_metadata"]) == ("Pushes", {"k": "v"})
    assert created["name"] == "buynlarge+newbot" and created["last_accessed"] is None
    read = client.get(f"{ORG_ROBOTS}/newbot", headers=bearer("orgadmin-token"))
    assert_json(read, 200, created)


@pytest.mark.parametrize(
    "kwargs", [{}, {"json": {}}, {"data": "x", "content_type": "text/plain"}, {"json": None}]
)
def test_org_robot_body_is_optional_and_metadata_is_null_in_the_answer(client, kwargs):
    response = client.put(f"{ORG_ROBOTS}/newbot", headers=bearer("orgadmin-token"), **kwargs)
    created = json.loads(response.data)
    assert response.status_code == 201
    assert (created["description"], created["unstructured_metadata"]) == ("", None)
    read = json.loads(client.get(f"{ORG_ROBOTS}/newbot", headers=bearer("orgadmin-token")).data)
    assert (read["description"], read["unstructured_metadata"]) == ("", {})


def test_existing_org_robot_name_is_400(client):
    response = client.put(f"{ORG_ROBOTS}/coolrobot", headers=bearer("orgadmin-token"))
    assert_answer(
        response, 400, api_error(400, "Existing robot with name: buynlarge+coolrobot"), JSON
    )


@pytest.mark.parametrize(
    ("short", "reason"),
    [
        ("Bad_Name", "Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$"),
        ("a", "Namespace must be between 2 and 255 characters in length"),
    ],
)
def test_invalid_robot_name_is_400(client, short, reason):
    response = client.put(f"{ORG_ROBOTS}/{short}", headers=bearer("orgadmin-token"))
    detail = f"The name for the robot '{short}' is invalid: {reason}"
    assert_answer(response, 400, api_error(400, detail), JSON)
    assert stored(client, "robots", f"buynlarge+{short}") is None


def test_robot_description_over_255_characters_is_a_schema_400(client):
    body = {"description": "x" * 256}
    response = client.put(f"{ORG_ROBOTS}/newbot", headers=bearer("orgadmin-token"), json=body)
    assert_schema_error(response, f"'{'x' * 256}' is too long")


def test_schema_is_checked_before_the_org_permission(client):
    response = client.put(f"{ORG_ROBOTS}/newbot", headers=bearer("reader-token"), json=[])
    assert_schema_error(response, "[] is not of type 'object'")


@pytest.mark.parametrize(("token", "status"), [("reader-token", 403), ("outsider-token", 403)])
def test_org_robot_creation_is_refused_to_non_admins(client, token, status):
    response = client.put(f"{ORG_ROBOTS}/newbot", headers=bearer(token))
    assert_answer(response, status, api_error(status), JSON)
    assert stored(client, "robots", "buynlarge+newbot") is None


def test_anonymous_org_robot_creation_is_the_csrf_403(client):
    assert_answer(client.put(f"{ORG_ROBOTS}/newbot"), 403, CSRF_403, HTML)


def test_org_admin_token_without_org_admin_scope_cannot_create():
    document = with_token(robots_world(), "limited", "orgadmin", READ_ONLY_SCOPES)
    response = client_on(document).put(f"{ORG_ROBOTS}/newbot", headers=bearer("limited"))
    assert_answer(response, 403, api_error(403), JSON)


# deleteOrgRobot


def test_org_admin_deletes_a_robot_and_its_permissions(client):
    response = client.delete(f"{ORG_ROBOTS}/zbot", headers=bearer("orgadmin-token"))
    assert (response.status_code, response.data) == (204, b"")
    assert stored(client, "robots", "buynlarge+zbot") is None
    assert stored(client, "repositories", "buynlarge/orgrepo")["permissions"] == {
        "buynlarge+coolrobot": "write"
    }


def test_robot_used_by_a_mirror_cannot_be_deleted(client):
    response = client.delete(f"{ORG_ROBOTS}/coolrobot", headers=bearer("orgadmin-token"))
    assert_answer(response, 400, api_error(400, "Robot is being used by a mirror"), JSON)
    assert stored(client, "robots", "buynlarge+coolrobot") is not None


def test_deleting_an_unknown_robot_is_a_data_model_400(client):
    response = client.delete(f"{ORG_ROBOTS}/nosuchbot", headers=bearer("orgadmin-token"))
    assert_answer(response, 400, dme("Could not find robot with specified username"), JSON)


def test_org_robot_deletion_is_refused_to_members(client):
    response = client.delete(f"{ORG_ROBOTS}/zbot", headers=bearer("reader-token"))
    assert_answer(response, 403, api_error(403), JSON)
    assert stored(client, "robots", "buynlarge+zbot") is not None


def test_anonymous_org_robot_deletion_is_the_csrf_403(client):
    assert_answer(client.delete(f"{ORG_ROBOTS}/zbot"), 403, CSRF_403, HTML)


# The user's own robots


def test_user_lists_its_own_robots(client):
    response = client.get(USER_ROBOTS, headers=bearer("devtable-token"))
    dt = {"name": "devtable+dtrobot", "created": "Tue, 02 Jan 2024 03:04:05 -0000"}
    new = {"name": "devtable+newmirrorbot", "created": "Tue, 02 Jan 2024 03:04:05 -0000"}
    assert_json(
        response,
        200,
        {
            "robots": [
                {**dt, "last_accessed": None, "description": "", "token": "DTTOKEN"},
                {**new, "last_accessed": None, "description": "", "token": "NEWTOKEN"},
            ]
        },
    )


def test_user_robots_need_the_user_admin_scope():
    document = with_token(robots_world(), "limited", "devtable", READ_ONLY_SCOPES)
    response = client_on(document).get(USER_ROBOTS, headers=bearer("limited"))
    assert_answer(response, 403, api_error(403), JSON)


def test_anonymous_user_robot_list_is_401(client):
    assert_answer(client.get(USER_ROBOTS), 401, api_error(401), JSON)


def test_user_creates_reads_and_deletes_a_robot(client):
    headers = bearer("reader-token")
    created = client.put(f"{USER_ROBOTS}/mybot", headers=headers, json={"description": "mine"})
    body = json.loads(created.data)
    assert (created.status_code, body["name"], body["description"]) == (201, "reader+mybot", "mine")
    read = client.get(f"{USER_ROBOTS}/mybot", headers=headers)
    assert read.data == restful({**body, "unstructured_metadata": {}})
    assert client.delete(f"{USER_ROBOTS}/mybot", headers=headers).status_code == 204
    gone = client.get(f"{USER_ROBOTS}/mybot", headers=headers)
    assert_answer(gone, 400, dme("Could not find robot with specified username"), JSON)


def test_user_robot_used_by_a_mirror_cannot_be_deleted(client):
    response = client.delete(f"{USER_ROBOTS}/dtrobot", headers=bearer("devtable-token"))
    assert_answer(response, 400, api_error(400, "Robot is being used by a mirror"), JSON)


def test_existing_user_robot_name_is_400(client):
    response = client.put(f"{USER_ROBOTS}/dtrobot", headers=bearer("devtable-token"))
    assert_answer(response, 400, api_error(400, "Existing robot with name: devtable+dtrobot"), JSON)
