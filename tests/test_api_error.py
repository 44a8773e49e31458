"""``GET /api/v1/error/{error_type}`` (getErrorDescription), as Quay's ``error.py``."""

from __future__ import annotations

import json

import pytest
from support.api import api_world, assert_json, client_on
from support.conformance import HTML, JSON, api_error, assert_answer, http_abort

#: Quay's ``ERROR_DESCRIPTION`` (``endpoints/exception.py``).
DESCRIPTIONS = {
    "external_service_timeout": "An external service timed out. Retrying the request may "
    "resolve the issue.",
    "invalid_request": "The request was invalid. It may have contained invalid values or was "
    "improperly formatted.",
    "invalid_response": "The response was invalid.",
    "invalid_token": "The access token provided was invalid.",
    "expired_token": "The access token provided has expired.",
    "insufficient_scope": "The access token did not have sufficient scope to access the "
    "requested resource.",
    "fresh_login_required": "The action requires a fresh login to succeed.",
    "exceeds_license": "The action was refused because the current license does not allow it.",
    "not_found": "The resource was not found.",
    "downstream_issue": "An error occurred in a downstream service.",
}


@pytest.mark.parametrize("error_type", DESCRIPTIONS)
def test_each_error_type_is_described(default_client, error_type):
    assert_json(
        default_client.get(f"/api/v1/error/{error_type}"),
        200,
        {
            "type": f"http://localhost/api/v1/error/{error_type}",
            "title": error_type,
            "description": DESCRIPTIONS[error_type],
        },
    )


def test_unknown_error_type_is_404(default_client):
    response = default_client.get("/api/v1/error/no_such_error")
    assert_answer(response, 404, api_error(404), JSON)


def test_the_type_url_of_an_api_error_is_served_and_has_no_port(default_client):
    error = json.loads(default_client.get("/api/v1/repository/acme/app/mirror").data)
    described = default_client.get(error["type"], base_url="http://localhost:8080")
    assert (
        json.loads(described.data)["type"]
        == error["type"]
        == ("http://localhost/api/v1/error/invalid_token")
    )


def test_anonymous_with_anonymous_access_off_is_refused():
    client = client_on(api_world(features={"ANONYMOUS_ACCESS": False}))
    response = client.get("/api/v1/error/not_found")
    assert_answer(response, 401, http_abort("Anonymous access is not allowed"), HTML)
