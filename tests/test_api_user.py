"""``GET /api/v1/user/`` (getLoggedInUser): who a token belongs to (Quay's ``user.py``)."""

from __future__ import annotations

import json

import pytest
from support.api import (
    READ_ONLY_SCOPES,
    api_world,
    assert_json,
    avatar,
    bearer,
    client_on,
    with_token,
)

from mockquay.domain import avatars

USER = "/api/v1/user/"

SESSION_REQUIRED = {
    "session_required": False,
    "detail": "Requires authentication",
    "error_message": "Requires authentication",
    "error_type": "invalid_token",
    "title": "invalid_token",
    "type": "http://localhost/api/v1/error/invalid_token",
    "status": 401,
}

ADMIN_DETAILS = {
    "can_create_repo": True,
    "is_me": True,
    "verified": True,
    "email": "admin@example.com",
    "logins": [],
    "invoice_email": False,
    "invoice_email_address": None,
    "preferred_namespace": False,
    "tag_expiration_s": 1209600,
    "prompts": [],
    "company": None,
    "family_name": None,
    "given_name": None,
    "location": None,
    "is_free_account": True,
    "has_password_set": True,
}


def test_avatar_is_quays_md5_of_the_email_and_colour_from_its_first_two_hex_digits():
    assert avatars.avatar("admin", "admin@example.com", "user") == {
        "name": "admin",
        "hash": "e64c7d89f26bd1972efa854d13d7dd61",
        "color": "#d62728",  # 0xe6 = 230; 230 % 32 = 6
        "kind": "user",
    }


def test_avatar_hashes_the_name_when_there_is_no_email():
    assert avatars.avatar("Owners ", None, "team") == avatar("Owners ", "owners", "team")


def test_user_admin_token_gets_the_full_view_with_organizations(default_client):
    response = default_client.get(USER, headers=bearer("admin-token"))
    assert_json(
        response,
        200,
        {
            "anonymous": False,
            "username": "admin",
            "avatar": avatar("admin", "admin@example.com", "user"),
            **ADMIN_DETAILS,
            "organizations": [
                {
                    "name": "acme",
                    "avatar": avatar("acme", "acme@example.com", "org"),
                    "can_create_repo": True,
                    "public": False,
                    "is_org_admin": True,
                    "preferred_namespace": False,
                }
            ],
        },
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_user_read_token_gets_the_short_view_and_orgs_without_admin_fields(default_client):
    # dev's token has user:read but not user:admin; dev is an ordinary member of acme.
    response = default_client.get(USER, headers=bearer("dev-token"))
    assert_json(
        response,
        200,
        {
            "anonymous": False,
            "username": "dev",
            "avatar": avatar("dev", "dev@example.com", "user"),
            "organizations": [
                {
                    "name": "acme",
                    "avatar": avatar("acme", "acme@example.com", "org"),
                    "can_create_repo": False,
                    "public": False,
                }
            ],
        },
    )


def test_superuser_with_super_user_scope_gets_super_user_last(default_client):
    body = json.loads(default_client.get(USER, headers=bearer("root-token")).data)
    assert list(body)[-2:] == ["organizations", "super_user"]
    assert (body["username"], body["organizations"], body["super_user"]) == ("root", [], True)


def test_global_readonly_superuser_is_not_shown_as_super_user():
    document = api_world(super_users=["devtable", "globalreadonlysuperuser"])
    client = client_on(document)
    body = json.loads(client.get(USER, headers=bearer("globalreadonlysuperuser-token")).data)
    assert "super_user" not in body


def test_anonymous_gets_401_with_session_required_first(default_client):
    assert_json(default_client.get(USER), 401, SESSION_REQUIRED)


def test_unknown_token_gets_401_with_session_required(default_client):
    assert_json(default_client.get(USER, headers=bearer("no-such-token")), 401, SESSION_REQUIRED)


def test_token_without_user_scope_gets_401_with_session_required():
    document = with_token(api_world(), "repo-only", "devtable", ["repo:read"])
    assert_json(client_on(document).get(USER, headers=bearer("repo-only")), 401, SESSION_REQUIRED)


def test_anonymous_with_anonymous_access_off_still_gets_the_session_required_401():
    # getLoggedInUser is @anon_allowed: check_anon_protection lets it through.
    client = client_on(api_world(features={"ANONYMOUS_ACCESS": False}))
    assert_json(client.get(USER), 401, SESSION_REQUIRED)


@pytest.mark.parametrize("scopes", [READ_ONLY_SCOPES, ["user:admin"]])
def test_organization_admin_flag_follows_the_org_admin_scope(scopes):
    document = with_token(api_world(), "limited", "devtable", scopes)
    body = json.loads(client_on(document).get(USER, headers=bearer("limited")).data)
    assert body["organizations"][0]["name"] == "buynlarge"
    assert body["organizations"][0].get("is_org_admin", "absent") == (
        "absent" if scopes == READ_ONLY_SCOPES else False
    )


def test_path_without_trailing_slash_redirects_as_quay(default_client):
    response = default_client.get("/api/v1/user", headers=bearer("admin-token"))
    assert (response.status_code, response.headers["Location"]) == (
        308,
        "http://localhost/api/v1/user/",
    )
