"""The admin API's first part: health, reset, seed, state and the admin token."""

from __future__ import annotations

from mockquay.app import create_app
from mockquay.settings import Settings

ADMIN_HEADERS = {"Authorization": "Bearer admin-token"}
MIRROR = "/api/v1/repository/acme/etcd/mirror"


def test_health_reports_ready_profile_and_version(default_client):
    response = default_client.get("/__mockquay__/health")
    assert response.status_code == 200
    assert response.json == {"ready": True, "profile": "latest", "version": "0.1.0"}


def test_reset_returns_to_the_boot_fixtures(default_client):
    assert default_client.post(f"{MIRROR}/sync-now", headers=ADMIN_HEADERS).status_code == 204
    before = default_client.get("/__mockquay__/state").json
    assert default_client.post("/__mockquay__/reset").json == {"reset": "fixtures"}
    after = default_client.get("/__mockquay__/state").json
    assert before["mirrors"][0]["sync_status"] == "SYNC_NOW"
    assert after["mirrors"][0]["sync_status"] == "NEVER_RUN"


def test_reset_to_empty_leaves_nothing(default_client):
    assert default_client.post("/__mockquay__/reset?to=empty").status_code == 200
    state = default_client.get("/__mockquay__/state").json
    assert state["users"] == [] and state["repositories"] == [] and state["mirrors"] == []
    assert default_client.get(MIRROR, headers=ADMIN_HEADERS).status_code == 401  # token gone too


def test_reset_refuses_an_unknown_target(default_client):
    response = default_client.post("/__mockquay__/reset?to=yesterday")
    assert response.status_code == 400
    assert response.json == {"error": "'to' must be 'fixtures' or 'empty'"}


def test_seed_applies_a_document_on_top_of_the_state(default_client):
    response = default_client.post(
        "/__mockquay__/seed", json={"repositories": [{"name": "acme/extra"}]}
    )
    assert response.status_code == 200
    names = [
        repo["name"] for repo in default_client.get("/__mockquay__/state").json["repositories"]
    ]
    assert "acme/extra" in names and "acme/app" in names


def test_seed_refuses_an_invalid_document_and_changes_nothing(default_client):
    before = default_client.get("/__mockquay__/state").json
    response = default_client.post(
        "/__mockquay__/seed",
        json={"repositories": [{"name": "acme/new"}, {"name": "ghost/app"}]},
    )
    assert response.status_code == 400
    assert response.json["error"] == "invalid fixture document"
    assert response.json["problems"] == [
        "<seed>: repositories[1]: namespace 'ghost' is not a user or organization"
    ]
    assert default_client.get("/__mockquay__/state").json == before


def test_seed_needs_a_json_body(default_client):
    response = default_client.post("/__mockquay__/seed", data="x", content_type="text/plain")
    assert response.status_code == 400
    assert response.json == {"error": "the body must be a JSON fixture document"}


def test_put_state_replaces_everything(default_client):
    document = {"users": [{"username": "solo"}], "repositories": [{"name": "solo/app"}]}
    assert default_client.put("/__mockquay__/state", json=document).status_code == 200
    state = default_client.get("/__mockquay__/state").json
    assert [user["username"] for user in state["users"]] == ["solo"]
    assert [repo["name"] for repo in state["repositories"]] == ["solo/app"]


def test_put_state_with_an_invalid_document_keeps_the_old_state(default_client):
    before = default_client.get("/__mockquay__/state").json
    response = default_client.put("/__mockquay__/state", json={"users": "everyone"})
    assert response.status_code == 400
    assert default_client.get("/__mockquay__/state").json == before


def test_exported_state_never_needs_the_quay_api_to_round_trip(default_client):
    state = default_client.get("/__mockquay__/state").json
    assert default_client.put("/__mockquay__/state", json=state).status_code == 200
    assert default_client.get("/__mockquay__/state").json == state


def test_admin_token_is_enforced_when_set():
    client = create_app(Settings(worker="off", admin_token="s3cret")).test_client()
    refused = client.get("/__mockquay__/health")
    assert refused.status_code == 401
    assert refused.json == {"error": "missing or wrong X-Mockquay-Admin-Token header"}
    wrong = client.post("/__mockquay__/reset", headers={"X-Mockquay-Admin-Token": "guess"})
    assert wrong.status_code == 401
    allowed = client.get("/__mockquay__/health", headers={"X-Mockquay-Admin-Token": "s3cret"})
    assert allowed.status_code == 200


def test_admin_token_does_not_guard_the_quay_api():
    client = create_app(Settings(worker="off", admin_token="s3cret")).test_client()
    assert client.get(MIRROR, headers=ADMIN_HEADERS).status_code == 200
