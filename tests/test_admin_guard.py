"""Who may reach the admin API and the X-Mockquay-Fault header: Host, Origin, POSTs, token."""

from __future__ import annotations

import pytest
import requests
from flask.testing import FlaskClient

from mockquay.app import create_app
from mockquay.cli import _parser
from mockquay.server import Server
from mockquay.settings import Settings

ADMIN = {"Authorization": "Bearer admin-token"}
MIRROR = "/api/v1/repository/acme/etcd/mirror"
RESET_TO_EMPTY = "/__mockquay__/reset?to=empty"
SIMPLE_POST = {
    "error": "a browser's form or text/plain POST to the admin API needs an X-Mockquay-... or "
    "X-Requested-With header, which a web page cannot send cross-site"
}
WRONG_TOKEN = {"error": "missing or wrong X-Mockquay-Admin-Token header"}


def host_refused(name: str) -> dict[str, str]:
    return {
        "error": f"the admin API answers loopback host names only, not {name!r}: allow it with "
        "--allowed-host or MOCKQUAY_ALLOWED_HOSTS"
    }


def users(client: FlaskClient) -> list[str]:
    return [user["username"] for user in client.get("/__mockquay__/state").json["users"]]


BUNDLED_USERS = ["admin", "auditor", "dev", "root"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain", "Origin": "http://localhost"},
        {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
        {"Content-Type": "multipart/form-data; boundary=x", "Sec-Fetch-Mode": "no-cors"},
    ],
    ids=["text-plain-with-origin", "form-with-sec-fetch-site", "multipart-with-sec-fetch-mode"],
)
def test_a_browsers_post_a_web_page_could_send_cross_site_is_403_and_changes_nothing(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.post(RESET_TO_EMPTY, data="x", headers=headers)
    assert (response.status_code, response.json) == (403, SIMPLE_POST)
    assert sorted(users(client)) == BUNDLED_USERS


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/json"},
        {"X-Mockquay-Client": "curl"},
        {"X-Requested-With": "XMLHttpRequest"},
        {"Origin": "http://localhost"},
        {"Content-Type": "text/plain", "Origin": "http://localhost", "X-Mockquay-Client": "ui"},
        {"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"},
    ],
    ids=[
        "json",
        "x-mockquay-header",
        "x-requested-with",
        "own-origin-no-body",
        "text-plain-with-x-mockquay-header",
        "json-same-origin",
    ],
)
def test_a_post_a_web_page_cannot_send_cross_site_is_served(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.post(RESET_TO_EMPTY, headers=headers)
    assert (response.status_code, response.json) == (200, {"reset": "empty"})
    assert users(client) == []


def test_a_plain_post_as_curl_sends_it_resets() -> None:
    """``curl -X POST localhost:8080/__mockquay__/reset``: no body, no headers but Host."""
    client = create_app(Settings(worker="off")).test_client()
    client.post("/__mockquay__/reset?to=empty", headers={"X-Mockquay-Client": "tests"})
    response = client.post("/__mockquay__/reset")
    assert (response.status_code, response.json) == (200, {"reset": "fixtures"})
    assert sorted(users(client)) == BUNDLED_USERS


def test_a_plain_post_runs_the_worker() -> None:
    client = create_app(Settings(worker="manual", default_fixtures=False)).test_client()
    response = client.post("/__mockquay__/worker/run")
    assert (response.status_code, response.json) == (200, {"claimed": [], "finished": []})


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "multipart/form-data; boundary=x"},
    ],
    ids=["text-plain", "form", "multipart"],
)
def test_a_scripts_form_or_text_post_is_served(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    """curl ``-d`` sends a form body; without Origin or Sec-Fetch-* no browser sent it."""
    response = client.post(RESET_TO_EMPTY, data="x", headers=headers)
    assert (response.status_code, response.json) == (200, {"reset": "empty"})
    assert users(client) == []


@pytest.mark.parametrize("site", ["cross-site", "same-site", "Cross-Site"])
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/__mockquay__/state"), ("POST", RESET_TO_EMPTY)]
)
def test_a_request_from_another_site_is_403(
    client: FlaskClient, site: str, method: str, path: str
) -> None:
    response = client.open(path, method=method, json={}, headers={"Sec-Fetch-Site": site})
    assert response.status_code == 403
    assert response.json == {
        "error": "the admin API refuses requests from another site "
        f"(Sec-Fetch-Site: {site.lower()})"
    }
    assert sorted(users(client)) == BUNDLED_USERS


def test_fault_header_from_another_site_is_403(client: FlaskClient) -> None:
    headers = {**ADMIN, "X-Mockquay-Fault": "status=503", "Sec-Fetch-Site": "cross-site"}
    response = client.get(MIRROR, headers=headers)
    assert (response.status_code, response.json) == (
        403,
        {"error": "the admin API refuses requests from another site (Sec-Fetch-Site: cross-site)"},
    )


def test_delete_needs_no_json_since_browsers_ask_before_a_cross_site_delete(
    client: FlaskClient,
) -> None:
    client.post("/__mockquay__/faults", json={"id": "busy", "status": 503})
    response = client.delete("/__mockquay__/faults")
    assert (response.status_code, response.json) == (200, {"deleted": ["busy"]})


def test_the_admin_api_never_answers_a_cors_preflight_with_cors_headers(
    client: FlaskClient,
) -> None:
    response = client.options(
        "/__mockquay__/state",
        headers={"Origin": "http://localhost", "Access-Control-Request-Method": "PUT"},
    )
    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:9999"])
@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/__mockquay__/state"), ("POST", RESET_TO_EMPTY)]
)
def test_a_request_from_another_origin_is_403(
    client: FlaskClient, origin: str, method: str, path: str
) -> None:
    response = client.open(path, method=method, json={}, headers={"Origin": origin})
    assert response.status_code == 403
    assert response.json == {
        "error": f"the admin API refuses requests from another origin ({origin})"
    }
    assert sorted(users(client)) == BUNDLED_USERS


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8080", "127.0.0.1:8080", "127.3.2.1", "[::1]:8080", "[::1]"]
)
def test_loopback_host_names_reach_the_admin_api(client: FlaskClient, host: str) -> None:
    response = client.get("/__mockquay__/health", headers={"Host": host})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("evil.example", "evil.example"),
        ("rebound.example:8080", "rebound.example"),
        ("10.0.0.5:8080", "10.0.0.5"),
        ("localhost.evil.example", "localhost.evil.example"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/__mockquay__/state", "/__mockquay__/openapi.json", "/__mockquay__/swagger-ui"]
)
def test_other_host_names_are_403_as_a_dns_rebinding_page_would_send(
    client: FlaskClient, host: str, name: str, path: str
) -> None:
    response = client.get(path, headers={"Host": host})
    assert (response.status_code, response.json) == (403, host_refused(name))


@pytest.mark.parametrize("host", ["", "[", "a:b:c", " localhost"])
def test_an_empty_or_invalid_host_header_is_403(client: FlaskClient, host: str) -> None:
    response = client.get("/__mockquay__/health", headers={"Host": host})
    assert response.status_code == 403
    assert response.json == {
        "error": "the admin API answers loopback host names only, not an empty or invalid "
        "Host header: allow it with --allowed-host or MOCKQUAY_ALLOWED_HOSTS"
    }


def test_the_quay_api_answers_any_host_name(client: FlaskClient) -> None:
    response = client.get(MIRROR, headers={**ADMIN, "Host": "quay.example:8443"})
    assert response.status_code == 200


def test_allowed_hosts_adds_host_names() -> None:
    client = create_app(Settings(allowed_hosts=("mockquay", "Quay.Test"))).test_client()
    for host in ("mockquay:8080", "quay.test", "localhost"):
        assert client.get("/__mockquay__/health", headers={"Host": host}).status_code == 200
    refused = client.get("/__mockquay__/health", headers={"Host": "other:8080"})
    assert (refused.status_code, refused.json) == (403, host_refused("other"))


def test_allowed_hosts_star_allows_every_host_name() -> None:
    client = create_app(Settings(allowed_hosts=("*",))).test_client()
    response = client.get("/__mockquay__/health", headers={"Host": "anything.example"})
    assert response.status_code == 200


def test_allowed_hosts_come_from_the_flag_or_the_environment() -> None:
    arguments = _parser().parse_args(["serve", "--allowed-host", "a", "--allowed-host", "*"])
    assert arguments.allowed_hosts == ["a", "*"]
    settings = Settings.from_env({}, allowed_hosts=arguments.allowed_hosts)
    assert settings.allowed_hosts == ("a", "*")
    from_env = Settings.from_env({"MOCKQUAY_ALLOWED_HOSTS": "mockquay, quay.test,"})
    assert from_env.allowed_hosts == ("mockquay", "quay.test")
    assert Settings.from_env({}).allowed_hosts == ()


@pytest.fixture
def guarded() -> FlaskClient:
    return create_app(Settings(admin_token="s3cret")).test_client()


@pytest.mark.parametrize("token", [None, "guess"])
def test_fault_header_without_the_admin_token_is_401_when_one_is_set(
    guarded: FlaskClient, token: str | None
) -> None:
    headers = {**ADMIN, "X-Mockquay-Fault": "status=503"}
    if token is not None:
        headers["X-Mockquay-Admin-Token"] = token
    response = guarded.get(MIRROR, headers=headers)
    assert (response.status_code, response.json) == (401, WRONG_TOKEN)
    assert "X-Mockquay-Fault" not in response.headers


def test_fault_header_with_the_admin_token_applies(guarded: FlaskClient) -> None:
    headers = {**ADMIN, "X-Mockquay-Fault": "status=503", "X-Mockquay-Admin-Token": "s3cret"}
    response = guarded.get(MIRROR, headers=headers)
    assert (response.status_code, response.headers["X-Mockquay-Fault"]) == (503, "request")


def test_the_admin_token_guards_no_quay_request_without_the_fault_header(
    guarded: FlaskClient,
) -> None:
    assert guarded.get(MIRROR, headers=ADMIN).status_code == 200


def test_fault_header_needs_no_token_when_none_is_set(client: FlaskClient) -> None:
    response = client.get(MIRROR, headers={**ADMIN, "X-Mockquay-Fault": "status=503"})
    assert (response.status_code, response.headers["X-Mockquay-Fault"]) == (503, "request")


def test_fault_header_from_a_rebinding_host_is_403(client: FlaskClient) -> None:
    headers = {**ADMIN, "X-Mockquay-Fault": "status=503", "Host": "evil.example"}
    response = client.get(MIRROR, headers=headers)
    assert (response.status_code, response.json) == (403, host_refused("evil.example"))


def test_an_anonymous_hang_over_http_is_answered_401_at_once_when_a_token_is_set() -> None:
    server = Server(create_app(Settings(admin_token="s3cret")), "127.0.0.1", 0).start()
    try:
        response = requests.get(
            server.url + MIRROR, headers={"X-Mockquay-Fault": "transport=hang"}, timeout=10
        )
        assert (response.status_code, response.json()) == (401, WRONG_TOKEN)
        journal = requests.get(
            server.url + "/__mockquay__/requests", headers={"X-Mockquay-Admin-Token": "s3cret"}
        ).json()["requests"]
        assert [(entry["status"], entry["fault"]) for entry in journal] == [(401, None)]
    finally:
        server.stop()
