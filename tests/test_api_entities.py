"""``GET /api/v1/entities/{prefix}`` (getMatchingEntities), as Quay's ``search.py``."""

from __future__ import annotations

import json

import pytest
from support.api import READ_ONLY_SCOPES, api_world, assert_json, avatar, bearer, client_on
from support.api import with_token as add_token

ENTITIES = "/api/v1/entities"


def user(name: str, **extra) -> dict:
    return {
        "name": name,
        "kind": "user",
        "is_robot": False,
        "avatar": avatar(name, f"{name}@example.com", "user"),
        **extra,
    }


def robot(name: str, **extra) -> dict:
    # Quay hashes a robot's random e-mail; mockquay hashes its name.
    robot_avatar = avatar(name, name, "robot")
    return {"name": name, "kind": "user", "is_robot": True, "avatar": robot_avatar, **extra}


@pytest.fixture
def client():
    return client_on(api_world())


def names(response) -> list[str]:
    assert response.status_code == 200
    return [result["name"] for result in json.loads(response.data)["results"]]


def test_anonymous_prefix_search_finds_users(client):
    assert_json(client.get(f"{ENTITIES}/dev"), 200, {"results": [user("devtable")]})


def test_prefix_is_transliterated_stripped_of_spaces_and_lowered(client):
    assert names(client.get(f"{ENTITIES}/Dév Table")) == ["devtable"]


def test_no_match_is_an_empty_list(client):
    assert_json(client.get(f"{ENTITIES}/zzz"), 200, {"results": []})


def test_org_member_finds_the_org_robots_and_every_user_is_called_a_member(client):
    response = client.get(f"{ENTITIES}/c?namespace=buynlarge", headers=bearer("reader-token"))
    assert_json(response, 200, {"results": [robot("buynlarge+coolrobot", is_org_member=True)]})
    response = client.get(f"{ENTITIES}/fresh?namespace=buynlarge", headers=bearer("reader-token"))
    # Quay's is_org_member reads the robot flag's column, so it is true for everyone.
    assert_json(response, 200, {"results": [user("freshuser", is_org_member=True)]})


def test_non_member_sees_no_org_robots(client):
    response = client.get(f"{ENTITIES}/c?namespace=buynlarge", headers=bearer("outsider-token"))
    assert_json(response, 200, {"results": []})


def test_teams_come_first_when_asked_by_a_member(client):
    response = client.get(
        f"{ENTITIES}/r?namespace=buynlarge&includeTeams=true", headers=bearer("reader-token")
    )
    assert_json(
        response,
        200,
        {
            "results": [
                {
                    "name": "readers",
                    "kind": "team",
                    "is_org_member": True,
                    "avatar": avatar("readers", "readers", "team"),
                },
                user("reader", is_org_member=True),
            ]
        },
    )


@pytest.mark.parametrize(("token", "listed"), [("reader-token", True), ("outsider-token", False)])
def test_include_orgs_lists_the_org_last_to_any_member(client, token, listed):
    response = client.get(
        f"{ENTITIES}/buy?namespace=buynlarge&includeOrgs=true", headers=bearer(token)
    )
    org = {
        "name": "buynlarge",
        "kind": "org",
        "is_org_member": True,
        "avatar": avatar("buynlarge", "buynlarge@example.com", "org"),
    }
    assert_json(response, 200, {"results": [org] if listed else []})


def test_own_namespace_finds_own_robots_with_user_admin(client):
    response = client.get(f"{ENTITIES}/d?namespace=devtable", headers=bearer("devtable-token"))
    # The robot prefix is devtable+d; Quay's "exact match" query also takes robots.
    assert names(response) == ["devtable+dtrobot", "devtable"]


def test_own_namespace_without_user_admin_finds_no_robots():
    document = add_token(api_world(), "limited", "devtable", READ_ONLY_SCOPES)
    response = client_on(document).get(
        f"{ENTITIES}/d?namespace=devtable", headers=bearer("limited")
    )
    assert names(response) == ["devtable"]


def test_exact_match_comes_first_and_at_most_ten_are_listed():
    document = api_world()
    document["users"] += [{"username": f"fresh{n:02d}"} for n in range(12)]
    assert names(client_on(document).get(f"{ENTITIES}/freshuser")) == ["freshuser"]
    found = names(client_on(document).get(f"{ENTITIES}/fresh"))
    assert found == [f"fresh{n:02d}" for n in range(10)]
