"""createOrganization, changeOrganizationDetails and deleteAdminedOrganization, as Quay's
``endpoints/api/organization.py`` (with ``data/model/organization.py`` and
``data/model/user.py``) has them."""

from __future__ import annotations

import json

import pytest
from support.api import READ_ONLY_SCOPES, api_world, assert_json, bearer, client_on, with_token
from support.conformance import JSON, api_error, assert_answer, audit_log, dme, state, stored
from support.world import CREATE_BODY, SETUP_MIRROR

ORGS = "/api/v1/organization/"
NAME_TAKEN = "A user or organization with this name already exists"
NAMESPACE_RULE = "Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$"


def logged(client, namespace: str) -> list[tuple[str, dict]]:
    """``(kind, metadata without the OAuth token's keys)`` of the namespace's own log."""
    return [
        (entry["kind"], {k: v for k, v in entry["metadata"].items() if not k.startswith("oauth")})
        for entry in audit_log(client, namespace)
    ]


def test_create_answers_created_and_makes_the_caller_owner():
    """``OrganizationList.post``: ``"Created", 201``; ``create_organization`` gives the org an
    ``owners`` admin team holding the caller, and ``org_create`` is logged."""
    client = client_on(api_world())
    response = client.post(
        ORGS, json={"name": "neworg", "email": "n@example.com"}, headers=bearer("freshuser-token")
    )
    assert_json(response, 201, "Created")
    assert stored(client, "organizations", "neworg") == {
        "name": "neworg",
        "email": "n@example.com",
        "teams": {"owners": {"role": "admin", "description": "", "members": ["freshuser"]}},
    }
    assert logged(client, "neworg") == [
        ("org_create", {"email": "n@example.com", "namespace": "neworg"})
    ]
    view = client.get("/api/v1/organization/neworg", headers=bearer("freshuser-token")).get_json()
    assert (view["is_admin"], view["ordered_teams"]) == (True, ["owners"])


def test_a_created_org_takes_repositories_robots_and_mirrors_at_once():
    """The new org is a namespace like any other: ``createRepo``, ``createOrgRobot`` and
    ``createRepoMirrorConfig`` work in it straight away."""
    client = client_on(api_world())
    headers = bearer("freshuser-token")
    assert client.post(ORGS, json={"name": "neworg"}, headers=headers).status_code == 201
    repo = {"namespace": "neworg", "repository": "app", "visibility": "private", "description": ""}
    assert client.post("/api/v1/repository", json=repo, headers=headers).status_code == 201
    robot = client.put("/api/v1/organization/neworg/robots/bot", headers=headers)
    assert robot.status_code == 201
    body = dict(CREATE_BODY, robot_username="neworg+bot")
    response = client.post("/api/v1/repository/neworg/app/mirror", json=body, headers=headers)
    assert response.status_code == 201, response.data


def test_create_without_email_stores_a_generated_one():
    """With ``FEATURE_MAILING`` off, ``create_user_noverify`` gives the org a random e-mail and
    ``org_create`` logs the e-mail as sent: null."""
    client = client_on(api_world())
    client.post(ORGS, json={"name": "neworg"}, headers=bearer("freshuser-token"))
    email = stored(client, "organizations", "neworg")["email"]
    assert len(email) == 36 and email.count("-") == 4
    assert logged(client, "neworg") == [("org_create", {"email": None, "namespace": "neworg"})]


@pytest.mark.parametrize("name", ["buynlarge", "freshuser"])
def test_create_refuses_a_name_a_user_or_org_holds(name):
    """``request_error(message="A user or organization with this name already exists")``."""
    client = client_on(api_world())
    response = client.post(ORGS, json={"name": name}, headers=bearer("freshuser-token"))
    assert_answer(response, 400, api_error(400, NAME_TAKEN), JSON)


def test_create_refuses_an_invalid_name_with_model_message():
    """``InvalidUsernameException`` becomes ``InvalidOrganizationException``; the handler's
    ``request_error(exception=ex)`` answers its text."""
    client = client_on(api_world())
    response = client.post(ORGS, json={"name": "Bad!"}, headers=bearer("freshuser-token"))
    assert_answer(response, 400, api_error(400, f"Invalid namespace Bad!: {NAMESPACE_RULE}"), JSON)


def test_create_needs_user_admin_scope():
    """``require_user_admin``: a token without ``user:admin`` is refused before the body."""
    document = with_token(api_world(), "limited", "freshuser", READ_ONLY_SCOPES)
    response = client_on(document).post(ORGS, json={"name": "x1"}, headers=bearer("limited"))
    assert_answer(response, 403, api_error(403), JSON)


def test_create_checks_the_body_against_new_org():
    """``validate_json_request("NewOrg")``: ``name`` is required."""
    response = client_on(api_world()).post(ORGS, json={}, headers=bearer("freshuser-token"))
    assert response.status_code == 400
    assert json.loads(response.data)["detail"].startswith("'name' is a required property")


def test_change_email_logs_old_and_new_and_answers_the_view():
    """``Organization.put``: each changed detail is set and logged; the answer is ``org_view``."""
    client = client_on(api_world())
    response = client.put(
        "/api/v1/organization/buynlarge",
        json={"email": "new@example.com", "invoice_email": True, "tag_expiration_s": 86400},
        headers=bearer("devtable-token"),
    )
    assert response.status_code == 200
    view = response.get_json()
    assert (view["email"], view["invoice_email"], view["tag_expiration_s"]) == (
        "new@example.com",
        True,
        86400,
    )
    assert logged(client, "buynlarge") == [
        ("org_change_invoicing", {"invoice_email": True, "namespace": "buynlarge"}),
        (
            "org_change_email",
            {
                "email": "new@example.com",
                "namespace": "buynlarge",
                "old_email": "buynlarge@example.com",
            },
        ),
        ("org_change_tag_expiration", {"tag_expiration": 86400, "namespace": "buynlarge"}),
    ]
    assert state(client)["organizations"][0]["tag_expiration_s"] == 86400


def test_change_refuses_a_users_email():
    """``find_user_by_email``: ``E-mail address already used``."""
    client = client_on(api_world())
    response = client.put(
        "/api/v1/organization/buynlarge",
        json={"email": "freshuser@example.com"},
        headers=bearer("devtable-token"),
    )
    assert_answer(response, 400, api_error(400, "E-mail address already used"), JSON)


def test_change_refuses_a_tag_expiration_outside_the_options():
    """``change_user_tag_expiration``: a DataModelException outside ``TAG_EXPIRATION_OPTIONS``."""
    response = client_on(api_world()).put(
        "/api/v1/organization/buynlarge",
        json={"tag_expiration_s": 5},
        headers=bearer("devtable-token"),
    )
    assert_answer(response, 400, dme("Invalid tag expiration option"), JSON)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_change_and_delete_refuse_a_non_admin(method):
    """``AdministerOrganizationPermission`` or ``allow_if_superuser_with_full_access``."""
    response = getattr(client_on(api_world()), method)(
        "/api/v1/organization/buynlarge", json={}, headers=bearer("freshuser-token")
    )
    assert_answer(response, 403, api_error(403), JSON)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_full_access_superuser_on_a_missing_org_gets_404(method):
    """Past the permission check, ``get_organization`` failing is ``NotFound``."""
    response = getattr(client_on(api_world()), method)(
        "/api/v1/organization/nosuchorg", json={}, headers=bearer("devtable-token")
    )
    assert_answer(response, 404, api_error(404), JSON)


def test_delete_takes_repositories_robots_mirrors_and_memberships_with_it():
    """``deleteAdminedOrganization``: ``mark_namespace_for_deletion`` frees the name at once;
    ``delete_user`` removes the org's repositories, mirrors and robots."""
    document = api_world()
    mirror = dict(
        SETUP_MIRROR, repository="buynlarge/orgrepo", robot_username="buynlarge+coolrobot"
    )
    document["mirrors"].append(mirror)
    client = client_on(document)
    response = client.delete("/api/v1/organization/buynlarge", headers=bearer("devtable-token"))
    assert (response.status_code, response.data) == (204, b"")
    after = state(client)
    assert [org["name"] for org in after["organizations"]] == []
    assert [repo["name"] for repo in after["repositories"]] == ["devtable/simple"]
    assert [m["repository"] for m in after["mirrors"]] == ["devtable/simple"]
    assert "buynlarge+coolrobot" not in [robot["name"] for robot in after["robots"]]
    missing = client.get("/api/v1/repository/buynlarge/orgrepo", headers=bearer("devtable-token"))
    assert missing.status_code == 404
    again = client.post(ORGS, json={"name": "buynlarge"}, headers=bearer("freshuser-token"))
    assert again.status_code == 201
    assert logged(client, "buynlarge") == [
        ("org_create", {"email": None, "namespace": "buynlarge"})
    ]


ORG_CREATION_ONLY = {"features": {"SUPERUSERS_ORG_CREATION_ONLY": True}}


@pytest.mark.parametrize("token", ["freshuser-token", "globalreadonlysuperuser-token"])
def test_superusers_org_creation_only_refuses_everyone_else(token):
    """``OrganizationList.post`` (``endpoints/api/organization.py``): with
    ``FEATURE_SUPERUSERS_ORG_CREATION_ONLY`` only a superuser passes (``SuperUserPermission``,
    ``allow_if_superuser`` in later releases; a global read-only superuser is none), else
    ``Unauthorized``: 403 for a user, and nothing is made."""
    client = client_on(api_world(**ORG_CREATION_ONLY))
    response = client.post(ORGS, json={"name": "neworg"}, headers=bearer(token))
    assert_answer(response, 403, api_error(403), JSON)
    assert stored(client, "organizations", "neworg") is None


@pytest.mark.parametrize("profile", ["3.12", "latest"])
def test_superusers_org_creation_only_lets_a_superuser_create(profile):
    """A superuser without ``SUPERUSERS_FULL_ACCESS`` passes too, at every profile."""
    document = api_world(features={"SUPERUSERS_ORG_CREATION_ONLY": True})
    document["settings"]["features"]["SUPERUSERS_FULL_ACCESS"] = False
    client = client_on(document, profile=profile)
    response = client.post(ORGS, json={"name": "neworg"}, headers=bearer("devtable-token"))
    assert_json(response, 201, "Created")


def test_superusers_org_creation_only_comes_after_the_body_check():
    """``validate_json_request`` wraps the handler, so a bad body is the schema's 400 first."""
    client = client_on(api_world(**ORG_CREATION_ONLY))
    response = client.post(ORGS, json={}, headers=bearer("freshuser-token"))
    assert response.status_code == 400
    assert response.get_json()["error_message"].startswith("'name' is a required property")
