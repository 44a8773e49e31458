"""updateOrganizationTeam, deleteOrganizationTeam and the team members API, as Quay's
``endpoints/api/team.py`` (with ``data/model/team.py``) has them."""

from __future__ import annotations

import pytest
from support.api import api_world, assert_json, avatar, bearer, client_on
from support.conformance import JSON, api_error, assert_answer, audit_log, dme, stored

TEAM = "/api/v1/organization/buynlarge/team"


def kinds(client) -> list[tuple[str, dict]]:
    return [
        (entry["kind"], {k: v for k, v in entry["metadata"].items() if not k.startswith("oauth")})
        for entry in audit_log(client, "buynlarge")
    ]


def team_view(name: str, role: str, *, new: bool, description: str = "", can_view=True) -> dict:
    return {
        "name": name,
        "description": description,
        "can_view": can_view,
        "role": role,
        "avatar": avatar(name, name, "team"),
        "new_team": new,
    }


def test_put_creates_a_team_and_logs_org_create_team():
    """A team that does not exist is created with the body's role and description."""
    client = client_on(api_world())
    response = client.put(
        f"{TEAM}/builders",
        json={"role": "creator", "description": "CI"},
        headers=bearer("devtable-token"),
    )
    assert_json(response, 200, team_view("builders", "creator", new=True, description="CI"))
    assert kinds(client) == [("org_create_team", {"team": "builders"})]


def test_put_changes_description_and_role_of_an_existing_team():
    """An existing team: ``org_set_team_description`` then ``org_set_team_role``."""
    client = client_on(api_world())
    client.put(f"{TEAM}/builders", json={"role": "member"}, headers=bearer("devtable-token"))
    response = client.put(
        f"{TEAM}/builders",
        json={"role": "admin", "description": "x"},
        headers=bearer("devtable-token"),
    )
    assert_json(response, 200, team_view("builders", "admin", new=False, description="x"))
    assert kinds(client)[1:] == [
        ("org_set_team_description", {"team": "builders", "description": "x"}),
        ("org_set_team_role", {"team": "builders", "role": "admin"}),
    ]


def test_put_refuses_a_role_outside_member_creator_admin():
    """``TeamDescription``'s enum."""
    response = client_on(api_world()).put(
        f"{TEAM}/builders", json={"role": "owner"}, headers=bearer("devtable-token")
    )
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith("'owner' is not one of")


def test_put_refuses_an_invalid_team_name_with_a_data_model_message():
    """``create_team``'s ``InvalidTeamException`` is not caught: Flask's DME answer."""
    response = client_on(api_world()).put(
        f"{TEAM}/Bad", json={"role": "member"}, headers=bearer("devtable-token")
    )
    rule = "Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$"
    assert_answer(response, 400, dme(f"Invalid team name Bad: {rule}"), JSON)


def test_demoting_the_callers_only_admin_team_is_refused():
    """``set_team_org_permission``: the caller would lose admin."""
    response = client_on(api_world()).put(
        f"{TEAM}/owners", json={"role": "member"}, headers=bearer("devtable-token")
    )
    message = (
        "Cannot remove admin from team 'owners' because calling user would no longer have "
        "admin on org 'buynlarge'"
    )
    assert_answer(response, 400, dme(message), JSON)


def test_a_non_admin_is_refused():
    response = client_on(api_world()).put(
        f"{TEAM}/builders", json={"role": "member"}, headers=bearer("freshuser-token")
    )
    assert_answer(response, 403, api_error(403), JSON)


@pytest.mark.parametrize(("profile", "status"), [("3.12", 403), ("latest", 200)])
def test_superuser_without_full_access_manages_teams_from_3_16(profile, status):
    """``allow_if_superuser()``: any superuser since the 3.16 rewrite, before only with
    ``SUPERUSERS_FULL_ACCESS``."""
    document = api_world(features={"SUPERUSERS_FULL_ACCESS": False})
    document["organizations"][0]["teams"]["owners"]["members"] = ["reader"]
    response = client_on(document, profile).put(
        f"{TEAM}/builders", json={"role": "member"}, headers=bearer("devtable-token")
    )
    assert response.status_code == status


def test_delete_removes_the_team_and_logs_it():
    client = client_on(api_world())
    client.put(f"{TEAM}/builders", json={"role": "member"}, headers=bearer("devtable-token"))
    response = client.delete(f"{TEAM}/builders", headers=bearer("devtable-token"))
    assert (response.status_code, response.data) == (204, b"")
    assert "builders" not in stored(client, "organizations", "buynlarge")["teams"]
    assert kinds(client)[-1] == ("org_delete_team", {"team": "builders"})


def test_delete_takes_the_teams_repository_permissions_with_it():
    """``remove_team`` deletes the ``Team`` row, and its ``RepositoryPermission`` rows go with
    it (``data/model/team.py``): a team of the same name made again has none."""
    client = client_on(api_world())
    client.put(f"{TEAM}/builders", json={"role": "member"}, headers=bearer("devtable-token"))
    granted = client.put(
        "/api/v1/repository/buynlarge/orgrepo/permissions/team/builders",
        json={"role": "write"},
        headers=bearer("devtable-token"),
    )
    assert granted.status_code == 200
    client.delete(f"{TEAM}/builders", headers=bearer("devtable-token"))
    assert "builders" not in stored(client, "repositories", "buynlarge/orgrepo").get(
        "team_permissions", {}
    )


def test_delete_of_the_callers_only_admin_team_is_refused():
    response = client_on(api_world()).delete(f"{TEAM}/owners", headers=bearer("devtable-token"))
    message = (
        "Deleting team 'owners' would remove admin ability for user 'devtable' in "
        "organization 'buynlarge'"
    )
    assert_answer(response, 400, dme(message), JSON)


def test_delete_of_a_missing_team_is_a_data_model_error():
    response = client_on(api_world()).delete(f"{TEAM}/nosuch", headers=bearer("devtable-token"))
    assert_answer(response, 400, dme("Team 'nosuch' is not a team in org 'buynlarge'"), JSON)


def test_superuser_outside_every_admin_team_crashes_quay_deleting_an_admin_team():
    """``remove_team`` reads ``admin_teams[0]`` of an empty list: an IndexError, a 500."""
    document = api_world()
    document["organizations"][0]["teams"]["owners"]["members"] = ["reader"]
    response = client_on(document).delete(f"{TEAM}/owners", headers=bearer("devtable-token"))
    assert response.status_code == 500
    assert "X-Mockquay-Emulated" in response.headers


def member(name: str, kind: str = "user") -> dict:
    email = name if kind == "robot" else f"{name}@example.com"
    return {
        "name": name,
        "kind": "user",
        "is_robot": kind == "robot",
        "avatar": avatar(name, email, kind),
        "invited": False,
    }


def test_members_are_added_listed_and_removed_with_their_logs():
    """``TeamMember.put`` (mail off: added at once, ``org_add_team_member``),
    ``TeamMemberList.get``, ``TeamMember.delete`` (``org_remove_team_member``)."""
    client = client_on(api_world())
    headers = bearer("devtable-token")
    assert_json(client.put(f"{TEAM}/owners/members/freshuser", headers=headers), 200,
                member("freshuser"))  # fmt: skip
    robot = client.put(f"{TEAM}/owners/members/buynlarge+coolrobot", headers=headers)
    assert_json(robot, 200, member("buynlarge+coolrobot", "robot"))
    listed = client.get(f"{TEAM}/owners/members", headers=headers)
    assert_json(
        listed,
        200,
        {
            "name": "owners",
            "members": [
                member("devtable"),
                member("freshuser"),
                member("buynlarge+coolrobot", "robot"),
            ],
            "can_edit": True,
        },
    )
    removed = client.delete(f"{TEAM}/owners/members/freshuser", headers=headers)
    assert (removed.status_code, removed.data) == (204, b"")
    assert [kind for kind, _ in kinds(client)] == [
        "org_add_team_member",
        "org_add_team_member",
        "org_remove_team_member",
    ]
    org = client.get("/api/v1/organization/buynlarge", headers=bearer("freshuser-token"))
    assert org.get_json()["is_member"] is False


def test_adding_an_unknown_user_or_a_member_twice_is_refused():
    client = client_on(api_world())
    headers = bearer("devtable-token")
    unknown = client.put(f"{TEAM}/owners/members/nobody", headers=headers)
    assert_answer(unknown, 400, api_error(400, "Unknown user"), JSON)
    twice = client.put(f"{TEAM}/owners/members/devtable", headers=headers)
    assert_answer(twice, 400, dme("User devtable is already a member of team owners"), JSON)


def test_removing_yourself_from_your_only_admin_team_is_refused():
    response = client_on(api_world()).delete(
        f"{TEAM}/owners/members/devtable", headers=bearer("devtable-token")
    )
    message = "User cannot remove themselves from their only admin team."
    assert_answer(response, 400, dme(message), JSON)


def test_members_of_a_missing_team_are_404():
    client = client_on(api_world())
    for method in ("get", "put", "delete"):
        url = f"{TEAM}/nosuch/members" + ("" if method == "get" else "/freshuser")
        response = getattr(client, method)(url, headers=bearer("devtable-token"))
        assert_answer(response, 404, api_error(404), JSON)
