"""Quay's CORS headers: on every answer of its API layer, not on pages made outside it."""

from __future__ import annotations

import pytest

from mockquay.quay_api.pipeline import CORS_HEADERS

ADMIN = {"Authorization": "Bearer admin-token"}
MIRROR = "/api/v1/repository/acme/etcd/mirror"


def has_cors(response) -> bool:
    return all(response.headers.get(name) == value for name, value in CORS_HEADERS.items())


def lacks_cors(response) -> bool:
    return not any(name in response.headers for name in CORS_HEADERS)


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", MIRROR, ADMIN, 200),
        ("GET", MIRROR, {}, 401),
        ("POST", f"{MIRROR}/sync-now", {}, 403),
        ("GET", "/api/v1/repository/acme/nothing/mirror", ADMIN, 404),
        ("PATCH", MIRROR, ADMIN, 405),
        ("OPTIONS", MIRROR, {}, 200),
    ],
)
def test_api_layer_answers_carry_cors_headers(default_client, method, path, headers, status):
    response = default_client.open(path, method=method, headers=headers)
    assert response.status_code == status
    assert has_cors(response)


def test_html_404_for_a_path_no_route_matches_has_no_cors_headers(default_client):
    response = default_client.get(f"{MIRROR}/", headers=ADMIN)
    assert (response.status_code, response.mimetype) == (404, "text/html")
    assert lacks_cors(response)


def test_emulated_500_page_has_no_cors_headers(default_client):
    body = {
        "external_reference": "quay.io/coreos/etcd",
        "sync_interval": 60,
        "sync_start_date": "2026-01-01T00:00:00Z",
        "skopeo_timeout_interval": 300,
        "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    }
    response = default_client.post("/api/v1/repository/acme/app/mirror", json=body, headers=ADMIN)
    assert response.status_code == 500
    assert "X-Mockquay-Emulated" in response.headers
    assert lacks_cors(response)
