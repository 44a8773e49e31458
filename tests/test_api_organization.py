"""``GET /api/v1/organization/{org}`` (getOrganization), as Quay's ``organization.py``."""

from __future__ import annotations

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
from support.conformance import HTML, JSON, api_error, assert_answer, http_abort

ACME = "/api/v1/organization/acme"

#: Quay describes the organization itself with ``get_data_for_user``: kind "user".
ACME_AVATAR = avatar("acme", "acme@example.com", "user")


def team(name: str, role: str, can_view: bool, members: int = 1) -> dict:
    return {
        "name": name,
        "description": "",
        "role": role,
        "avatar": avatar(name, name, "team"),
        "can_view": can_view,
        "repo_count": 0,
        "member_count": members,
        "is_synced": False,
    }


def outsider_view(name: str = "acme", email: str = "acme@example.com") -> dict:
    return {
        "name": name,
        "email": "",
        "avatar": avatar(name, email, "user"),
        "is_admin": False,
        "is_member": False,
    }


def test_admin_sees_email_teams_and_billing_fields(default_client):
    assert_json(
        default_client.get(ACME, headers=bearer("admin-token")),
        200,
        {
            "name": "acme",
            "email": "acme@example.com",
            "avatar": ACME_AVATAR,
            "is_admin": True,
            "is_member": True,
            "teams": {
                "owners": team("owners", "admin", True),
                "developers": team("developers", "member", True),
            },
            "ordered_teams": ["owners", "developers"],
            "invoice_email": False,
            "invoice_email_address": None,
            "tag_expiration_s": 1209600,
            "is_free_account": True,
        },
    )


def test_member_sees_teams_but_only_views_its_own_and_no_email(default_client):
    assert_json(
        default_client.get(ACME, headers=bearer("dev-token")),
        200,
        {
            "name": "acme",
            "email": "",
            "avatar": ACME_AVATAR,
            "is_admin": False,
            "is_member": True,
            "teams": {
                "owners": team("owners", "admin", False),
                "developers": team("developers", "member", True),
            },
            "ordered_teams": ["owners", "developers"],
        },
    )


@pytest.mark.parametrize("token", [None, "auditor-token", "root-token"])
def test_non_member_and_anonymous_see_only_the_name(default_client, token):
    assert_json(default_client.get(ACME, headers=bearer(token)), 200, outsider_view())


def test_admin_token_without_org_admin_scope_is_not_even_a_member():
    # Quay caps team roles by the token's scopes: no org:admin, repo:create or full login.
    document = with_token(api_world(), "limited", "devtable", READ_ONLY_SCOPES)
    response = client_on(document).get("/api/v1/organization/buynlarge", headers=bearer("limited"))
    assert_json(response, 200, outsider_view("buynlarge", "buynlarge@example.com"))


@pytest.mark.parametrize("name", ["nosuchorg", "dev"])
def test_unknown_organization_or_a_user_is_404(default_client, name):
    response = default_client.get(f"/api/v1/organization/{name}", headers=bearer("admin-token"))
    assert_answer(response, 404, api_error(404), JSON)


def test_anonymous_with_anonymous_access_off_is_refused_by_the_pipeline():
    client = client_on(api_world(features={"ANONYMOUS_ACCESS": False}))
    response = client.get("/api/v1/organization/buynlarge")
    assert_answer(response, 401, http_abort("Anonymous access is not allowed"), HTML)
