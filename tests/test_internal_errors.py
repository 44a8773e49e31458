"""mockquay's own bugs: a marked, logged 500 that rolls back, never mistaken for Quay's."""

from __future__ import annotations

import logging

from mockquay.domain import audit, mirror
from mockquay.quay_api.answers import EMULATED_HEADER, INTERNAL_ERROR_HEADER

ADMIN = {"Authorization": "Bearer admin-token"}
CREATE = {
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 60,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "skopeo_timeout_interval": 300,
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    "robot_username": "acme+mirrorbot",
}


def test_an_unexpected_exception_is_a_marked_and_logged_500(default_client, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise KeyError("bug")

    monkeypatch.setattr(mirror, "view_mirror_config", broken)
    with caplog.at_level(logging.ERROR, logger="mockquay"):
        response = default_client.get("/api/v1/repository/acme/etcd/mirror", headers=ADMIN)
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert response.headers[INTERNAL_ERROR_HEADER] == "KeyError"
    assert EMULATED_HEADER not in response.headers
    assert any(
        "mockquay internal error on GET /api/v1/repository/acme/etcd/mirror" in record.message
        and record.exc_info
        for record in caplog.records
    )


def test_an_unexpected_exception_rolls_back_what_the_request_wrote(default_client, monkeypatch):
    before = default_client.get("/__mockquay__/state").json

    def broken(*args, **kwargs):
        raise RuntimeError("bug after the mirror was written")

    monkeypatch.setattr(audit, "record", broken)
    response = default_client.post("/api/v1/repository/acme/app/mirror", json=CREATE, headers=ADMIN)
    assert response.status_code == 500
    assert response.headers[INTERNAL_ERROR_HEADER] == "RuntimeError"
    assert default_client.get("/__mockquay__/state").json == before


def test_quays_own_500_is_marked_emulated_not_internal(default_client):
    body = {key: value for key, value in CREATE.items() if key != "robot_username"}
    response = default_client.post("/api/v1/repository/acme/app/mirror", json=body, headers=ADMIN)
    assert response.status_code == 500
    assert EMULATED_HEADER in response.headers
    assert INTERNAL_ERROR_HEADER not in response.headers
