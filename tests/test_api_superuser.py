"""The superuser users API and organizations list, as Quay's ``endpoints/api/superuser.py``
(``SuperUserList``, ``SuperUserManagement``, ``SuperUserOrganizationList``) has them, and
``getUserInformation`` (``endpoints/api/user.py Users``)."""

from __future__ import annotations

import pytest
from support.api import api_world, assert_json, avatar, bearer, client_on
from support.conformance import (
    HTML,
    JSON,
    api_error,
    assert_answer,
    dme,
    http_abort,
    state,
    stored,
    werkzeug,
)

from mockquay.domain import audit
from mockquay.domain.keys import LOG_COUNTERS
from mockquay.extension import emulator_of

USERS = "/api/v1/superuser/users/"


def install_user(name: str, *, super_user: bool = False, enabled: bool = True) -> dict:
    email = f"{name}@example.com"
    return {
        "kind": "user",
        "name": name,
        "username": name,
        "email": email,
        "verified": True,
        "avatar": avatar(name, email, "user"),
        "super_user": super_user,
        "enabled": enabled,
    }


def test_superuser_creates_a_user_and_gets_a_generated_password():
    """``createInstallUser``: 32 characters of A-Z0-9 and their encrypted form (mail off)."""
    client = client_on(api_world())
    response = client.post(
        USERS,
        json={"username": "alice", "email": "alice@example.com"},
        headers=bearer("devtable-token"),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["username", "email", "password", "encrypted_password"]
    assert (body["username"], body["email"]) == ("alice", "alice@example.com")
    assert len(body["password"]) == 32 and body["password"].isalnum()
    assert body["password"] == body["password"].upper()
    assert {"username": "alice", "email": "alice@example.com"} in state(client)["users"]
    assert_json(
        client.get(f"{USERS}alice", headers=bearer("devtable-token")), 200, install_user("alice")
    )


def test_a_created_user_shows_in_user_information_and_entities_and_takes_a_seeded_token():
    """The user is a user everywhere: ``getUserInformation``, ``getMatchingEntities``, and a
    token given by the admin API's seed acts for it."""
    client = client_on(api_world())
    client.post(USERS, json={"username": "alice", "email": "alice@example.com"},
                headers=bearer("devtable-token"))  # fmt: skip
    info = client.get("/api/v1/users/alice", headers=bearer("freshuser-token"))
    assert_json(
        info,
        200,
        {
            "anonymous": False,
            "username": "alice",
            "avatar": avatar("alice", "alice@example.com", "user"),
        },
    )
    entities = client.get("/api/v1/entities/ali", headers=bearer("freshuser-token")).get_json()
    assert [entity["name"] for entity in entities["results"]] == ["alice"]
    seeded = client.post(
        "/__mockquay__/seed",
        json={"tokens": [{"token": "alice-token", "user": "alice"}]},
    )
    assert seeded.status_code == 200, seeded.data
    me = client.get("/api/v1/user/", headers=bearer("alice-token")).get_json()
    assert me["username"] == "alice"


def test_user_information_of_an_unknown_user_is_werkzeugs_404():
    response = client_on(api_world()).get("/api/v1/users/nobody", headers=bearer("devtable-token"))
    message = (
        "The requested URL was not found on the server. If you entered the URL manually please "
        "check your spelling and try again."
    )
    assert_answer(response, 404, werkzeug(message), JSON)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("freshuser", "Username has already been taken by user cannot be reused: freshuser"),
        (
            "buynlarge",
            "Username has already been taken by an organization and cannot be reused: buynlarge",
        ),
        (
            "Bad!",
            "Invalid namespace Bad!: Namespace must match expression "
            "^([a-z0-9]+(?:[._-][a-z0-9]+)*)$",
        ),
    ],
)
def test_create_refusals_are_data_model_exceptions(name, message):
    response = client_on(api_world()).post(
        USERS, json={"username": name}, headers=bearer("devtable-token")
    )
    assert_answer(response, 400, dme(message), JSON)


def test_a_non_superuser_is_refused_after_the_body_check():
    """``validate_json_request`` runs before ``SuperUserPermission``."""
    client = client_on(api_world())
    assert client.post(USERS, json={}, headers=bearer("freshuser-token")).status_code == 400
    response = client.post(USERS, json={"username": "x1"}, headers=bearer("freshuser-token"))
    assert_answer(response, 403, api_error(403), JSON)


def test_list_users_shows_every_user_and_hides_disabled_ones_on_request():
    client = client_on(api_world())
    client.put(f"{USERS}freshuser", json={"enabled": False}, headers=bearer("devtable-token"))
    every = client.get(USERS, headers=bearer("devtable-token")).get_json()["users"]
    assert [u["username"] for u in every] == [
        "devtable",
        "freshuser",
        "globalreadonlysuperuser",
        "outsider",
        "reader",
    ]
    assert every[0]["super_user"] is True and every[1]["enabled"] is False
    enabled = client.get(f"{USERS}?disabled=false", headers=bearer("devtable-token")).get_json()
    assert "freshuser" not in [u["username"] for u in enabled["users"]]


def test_change_answers_the_user_as_read_before_with_the_new_email():
    """``changeInstallUser``: ``user.to_dict()`` of the user read first, then
    ``encrypted_password`` and the new e-mail written over."""
    client = client_on(api_world())
    response = client.put(
        f"{USERS}freshuser",
        json={"email": "f2@example.com", "enabled": False, "password": "longenough"},
        headers=bearer("devtable-token"),
    )
    body = response.get_json()
    assert (body["email"], body["enabled"], "encrypted_password" in body) == (
        "f2@example.com",
        True,
        True,
    )
    assert_json(client.get(f"{USERS}freshuser", headers=bearer("devtable-token")), 200,
                dict(install_user("freshuser", enabled=False), email="f2@example.com",
                     avatar=avatar("freshuser", "f2@example.com", "user")))  # fmt: skip


def test_change_refuses_a_short_password():
    response = client_on(api_world()).put(
        f"{USERS}freshuser", json={"password": "short"}, headers=bearer("devtable-token")
    )
    message = "Invalid password, password must be at least 8 characters and contain no whitespace."
    assert_answer(response, 400, dme(message), JSON)


@pytest.mark.parametrize(
    ("method", "message"),
    [("put", "Cannot update a superuser"), ("delete", "Cannot delete a superuser")],
)
def test_a_superuser_cannot_be_changed_or_deleted(method, message):
    response = getattr(client_on(api_world()), method)(
        f"{USERS}devtable", json={}, headers=bearer("devtable-token")
    )
    assert_answer(response, 400, api_error(400, message), JSON)


def test_delete_removes_the_user_its_namespace_tokens_and_memberships():
    client = client_on(api_world())
    response = client.delete(f"{USERS}reader", headers=bearer("devtable-token"))
    assert (response.status_code, response.data) == (204, b"")
    after = state(client)
    assert "reader" not in [u["username"] for u in after["users"]]
    assert "reader-token" not in [t["token"] for t in after["tokens"]]
    simple = next(r for r in after["repositories"] if r["name"] == "devtable/simple")
    assert "reader" not in simple["permissions"]
    teams = after["organizations"][0]["teams"]
    assert all("reader" not in team["members"] for team in teams.values())
    assert_answer(
        client.get(f"{USERS}reader", headers=bearer("devtable-token")), 404, api_error(404), JSON
    )


def test_list_organizations():
    response = client_on(api_world()).get(
        "/api/v1/superuser/organizations/", headers=bearer("devtable-token")
    )
    org = {"name": "buynlarge", "email": "buynlarge@example.com",
           "avatar": avatar("buynlarge", "buynlarge@example.com", "org")}  # fmt: skip
    assert_json(response, 200, {"organizations": [org]})


def test_superuser_api_falls_through_without_super_users_feature():
    """``show_if(features.SUPER_USERS)``: without it Quay has no such route."""
    client = client_on(api_world(features={"SUPER_USERS": False}))
    response = client.get(USERS, headers=bearer("devtable-token"))
    assert (response.status_code, response.content_type) == (404, "text/html; charset=utf-8")


def every_log_entry(client) -> list[tuple[str, dict]]:
    """``(key, entry)`` of every audit entry in the store, namespaces' and repositories'."""
    with emulator_of(client.application).store.transaction() as tx:
        keys = sorted(key for key, _ in tx.scan(LOG_COUNTERS))
        return [(key, entry) for key in keys for entry in audit.entries(tx, key)]


@pytest.mark.parametrize("profile", ["3.8", "3.12", "3.15", "latest"])
def test_the_superuser_users_api_writes_no_audit_entry(profile):
    """Quay's ``SuperUserList.post`` and ``SuperUserManagement.put``/``delete``
    (``endpoints/api/superuser.py``, at every stored release) call no ``log_action``, and
    ``data/model/user.py`` (``create_user``, ``update_email``, ``update_enabled``,
    ``change_password``) writes no log either: there is no ``user_create`` entry to write."""
    client = client_on(api_world(), profile=profile)
    before = every_log_entry(client)
    admin = bearer("devtable-token")
    assert client.post(USERS, json={"username": "alice"}, headers=admin).status_code == 200
    changed = client.put(
        f"{USERS}alice",
        json={"email": "a@example.com", "enabled": False, "password": "longenough1"},
        headers=admin,
    )
    assert changed.status_code == 200
    assert client.delete(f"{USERS}alice", headers=admin).status_code == 204
    assert every_log_entry(client) == before


def disabled_reader():
    """``reader`` (read on ``devtable/simple``) disabled by ``changeInstallUser``."""
    client = client_on(api_world())
    disabled = client.put(
        f"{USERS}reader", json={"enabled": False}, headers=bearer("devtable-token")
    )
    assert disabled.status_code == 200
    assert stored(client, "users", "reader")["enabled"] is False
    return client


def test_a_disabled_users_token_reads_as_anonymous():
    """Quay's ``auth/oauth.py validate_app_oauth_token`` refuses the token of a disabled user
    ("Granter of the oauth access token is disabled"); ``auth/decorators.py`` then runs the
    operation with no one authenticated, so ``getRepo`` of a private repository is the 401 of
    ``endpoints/api/repository.py``, as for an unknown token."""
    client = disabled_reader()
    response = client.get("/api/v1/repository/devtable/simple", headers=bearer("reader-token"))
    assert_answer(response, 401, api_error(401), JSON)


def test_a_disabled_users_token_writes_as_anonymous():
    """A write with it is anonymous too, so ``endpoints/csrf.py`` refuses it before
    ``createStar`` (``endpoints/api/user.py StarredRepositoryList.post``) runs."""
    client = disabled_reader()
    response = client.post(
        "/api/v1/user/starred",
        json={"namespace": "devtable", "repository": "simple"},
        headers=bearer("reader-token"),
    )
    assert_answer(response, 403, http_abort("CSRF token was invalid or missing."), HTML)
    assert "starred" not in stored(client, "users", "reader")
