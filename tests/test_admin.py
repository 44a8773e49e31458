"""The admin API's first part: health, reset, seed, state and the admin token."""

from __future__ import annotations

import shutil

import pytest

from mockquay.app import create_app
from mockquay.extension import emulator_of
from mockquay.settings import Settings

ADMIN_HEADERS = {"Authorization": "Bearer admin-token"}
MIRROR = "/api/v1/repository/acme/etcd/mirror"
#: What mockquay's own clients send, so that a POST without a JSON body passes.
CLIENT = {"X-Mockquay-Client": "tests"}


def test_health_reports_ready_profile_and_version(default_client):
    response = default_client.get("/__mockquay__/health")
    assert response.status_code == 200
    assert response.json == {"ready": True, "profile": "latest", "version": "0.1.0"}


def test_reset_returns_to_the_boot_fixtures(default_client):
    assert default_client.post(f"{MIRROR}/sync-now", headers=ADMIN_HEADERS).status_code == 204
    before = default_client.get("/__mockquay__/state").json
    assert default_client.post("/__mockquay__/reset", headers=CLIENT).json == {"reset": "fixtures"}
    after = default_client.get("/__mockquay__/state").json
    assert before["mirrors"][0]["sync_status"] == "SYNC_NOW"
    assert after["mirrors"][0]["sync_status"] == "NEVER_RUN"


def test_reset_to_empty_leaves_nothing(default_client):
    assert default_client.post("/__mockquay__/reset?to=empty", headers=CLIENT).status_code == 200
    state = default_client.get("/__mockquay__/state").json
    assert state["users"] == [] and state["repositories"] == [] and state["mirrors"] == []
    assert default_client.get(MIRROR, headers=ADMIN_HEADERS).status_code == 401  # token gone too


def test_reset_refuses_an_unknown_target(default_client):
    response = default_client.post("/__mockquay__/reset?to=yesterday", headers=CLIENT)
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
    response = default_client.post(
        "/__mockquay__/seed", data="x", content_type="text/plain", headers=CLIENT
    )
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
    state = default_client.get("/__mockquay__/state?secrets=true").json
    assert default_client.put("/__mockquay__/state", json=state).status_code == 200
    assert default_client.get("/__mockquay__/state?secrets=true").json == state


def with_mirror_password(client):
    change = {"external_registry_username": "puller", "external_registry_password": "hunter2"}
    assert client.put(MIRROR, json=change, headers=ADMIN_HEADERS).status_code == 201


def test_state_hides_passwords_and_tokens_without_an_admin_token(default_client):
    with_mirror_password(default_client)
    response = default_client.get("/__mockquay__/state")
    state = response.json
    assert state["mirrors"][0]["external_registry_password"] == "<redacted>"
    assert state["mirrors"][0]["external_registry_username"] == "puller"
    assert {token["token"] for token in state["tokens"]} == {"<redacted>"}
    assert {robot["token"] for robot in state["robots"]} == {"<redacted>"}
    assert b"hunter2" not in response.data and b"admin-token" not in response.data


def test_state_with_secrets_true_shows_them(default_client):
    with_mirror_password(default_client)
    state = default_client.get("/__mockquay__/state?secrets=true").json
    assert state["mirrors"][0]["external_registry_password"] == "hunter2"
    assert "admin-token" in {token["token"] for token in state["tokens"]}


def test_state_shows_secrets_to_the_holder_of_the_admin_token():
    client = create_app(Settings(admin_token="s3cret")).test_client()
    with_mirror_password(client)
    admin = {"X-Mockquay-Admin-Token": "s3cret"}
    state = client.get("/__mockquay__/state", headers=admin).json
    assert state["mirrors"][0]["external_registry_password"] == "hunter2"
    assert client.get("/__mockquay__/state?secrets=true").status_code == 401


@pytest.mark.parametrize(
    "method, path", [("PUT", "/__mockquay__/state"), ("POST", "/__mockquay__/seed")]
)
def test_a_document_with_redacted_secrets_is_refused_and_changes_nothing(
    default_client, method, path
):
    redacted = default_client.get("/__mockquay__/state").json
    before = default_client.get("/__mockquay__/state?secrets=true").json
    response = default_client.open(path, method=method, json=redacted)
    assert (response.status_code, response.json) == (
        400,
        {
            "error": "the document holds secrets exported as '<redacted>': take the state with "
            "GET /__mockquay__/state?secrets=true to put it back"
        },
    )
    assert default_client.get("/__mockquay__/state?secrets=true").json == before


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


def test_health_reports_the_state_file_being_written(tmp_path):
    app = create_app(Settings(data=str(tmp_path / "state.json")))
    try:
        response = app.test_client().get("/__mockquay__/health")
        assert response.json["persistence"] == {
            "file": str(tmp_path / "state.json"),
            "ok": True,
            "error": None,
            "since": None,
        }
    finally:
        emulator_of(app).close()


def test_health_reports_a_failing_state_file_until_it_is_written_again(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    app = create_app(Settings(data=str(folder / "state.json")))
    store = emulator_of(app).store
    client = app.test_client()
    try:
        shutil.rmtree(folder)
        store._files.tick()
        failing = client.get("/__mockquay__/health").json["persistence"]
        assert failing["ok"] is False and "was removed" in failing["error"]
        folder.mkdir()
        store._files.tick()
        assert client.get("/__mockquay__/health").json["persistence"]["ok"] is True
    finally:
        emulator_of(app).close()


def test_state_with_a_secrets_value_other_than_true_or_false_is_400(client):
    response = client.get("/__mockquay__/state?secrets=yes")
    assert response.status_code == 400
    assert response.get_json() == {"error": "'secrets' must be 'true' or 'false'"}
