"""``POST /__mockquay__/worker/claim``: the repository-mirror worker's claim, on request."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest
from support.world import SETUP_MIRROR, auth, build_app, quay_test_world

from mockquay.app import create_app
from mockquay.domain.dates import utcnow
from mockquay.settings import Settings

CLAIM = "/__mockquay__/worker/claim"
MIRROR = "/api/v1/repository/devtable/simple/mirror"
AT = "2026-03-01T10:00:00Z"
USAGE = (
    'the body must be {"repository": "<namespace>/<name>"} with an optional "at": '
    "a claim time like 2026-01-01T00:00:00Z (%Y-%m-%dT%H:%M:%SZ)"
)


def world_client(profile: str = "latest", **mirror_fields):
    world = quay_test_world(mirror=False)
    world["mirrors"] = [dict(copy.deepcopy(SETUP_MIRROR), **mirror_fields)]
    return build_app(world, profile=profile).test_client()


def refusal(reason: str) -> dict:
    return {"error": f"the worker would not claim this mirror: {reason}"}


def test_claim_makes_the_mirror_syncing_and_answers_with_its_view():
    client = world_client()
    response = client.post(CLAIM, json={"repository": "devtable/simple", "at": AT})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    expected = client.get(MIRROR, headers=auth("devtable")).json
    assert response.json == expected
    assert (expected["sync_status"], expected["sync_expiration_date"]) == (
        "SYNCING",
        "2026-03-01T22:00:00Z",
    )
    assert (expected["sync_retries_remaining"], expected["sync_start_date"]) == (
        3,
        "2020-01-02T06:30:00Z",
    )


def test_claim_without_a_time_claims_now():
    client = world_client()
    before = utcnow().replace(microsecond=0)
    response = client.post(CLAIM, json={"repository": "devtable/simple"})
    after = utcnow()
    assert response.status_code == 200
    expires = datetime.fromisoformat(response.json["sync_expiration_date"].removesuffix("Z"))
    assert before + timedelta(hours=12) <= expires <= after + timedelta(hours=12)


def test_a_disabled_mirror_asked_to_sync_now_is_claimed():
    client = world_client(is_enabled=False, sync_status="SYNC_NOW")
    response = client.post(CLAIM, json={"repository": "devtable/simple", "at": AT})
    assert response.status_code == 200
    assert response.json["sync_status"] == "SYNCING"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"is_enabled": False}, "the mirror is disabled and not SYNC_NOW"),
        (
            {"sync_status": "CANCEL", "sync_retries_remaining": 0},
            "the mirror has no sync_retries_remaining",
        ),
        (
            {"sync_start_date": "2026-03-01T10:00:01Z"},
            "the mirror's sync_start_date 2026-03-01T10:00:01Z is not yet due",
        ),
        (
            {"sync_status": "SYNC_NOW", "sync_expiration_date": "2026-03-01T09:00:00Z"},
            "the mirror has a sync_expiration_date",
        ),
        (
            {"sync_status": "SYNCING", "sync_expiration_date": "2026-03-01T09:00:00Z"},
            "the mirror is already SYNCING",
        ),
    ],
    ids=["disabled", "no-retries", "not-due", "expiration-set", "expired-syncing"],
)
def test_a_mirror_the_worker_would_skip_is_refused_and_unchanged(fields, reason):
    client = world_client(**fields)
    before = client.get(MIRROR, headers=auth("devtable")).json
    response = client.post(CLAIM, json={"repository": "devtable/simple", "at": AT})
    assert (response.status_code, response.json) == (409, refusal(reason))
    assert client.get(MIRROR, headers=auth("devtable")).json == before


def test_a_mirror_is_claimed_once():
    client = world_client()
    assert client.post(CLAIM, json={"repository": "devtable/simple", "at": AT}).status_code == 200
    again = client.post(CLAIM, json={"repository": "devtable/simple", "at": AT})
    assert (again.status_code, again.json) == (409, refusal("the mirror is already SYNCING"))


def test_a_repository_out_of_mirror_state_is_refused():
    client = world_client()
    seeded = client.post(
        "/__mockquay__/seed",
        json={"repositories": [{"name": "devtable/simple", "state": "NORMAL"}]},
    )
    assert seeded.status_code == 200
    response = client.post(CLAIM, json={"repository": "devtable/simple", "at": AT})
    assert (response.status_code, response.json) == (
        409,
        refusal("the repository's state is NORMAL, not MIRROR"),
    )


@pytest.mark.parametrize("repository", ["devtable/unicorn", "buynlarge/orgrepo", "onlyname"])
def test_no_mirror_is_404(repository):
    client = world_client()
    response = client.post(CLAIM, json={"repository": repository, "at": AT})
    assert (response.status_code, response.json) == (
        404,
        {"error": f"no mirror for repository {repository!r}"},
    )


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"repository": 5},
        {"repository": "devtable/simple", "at": "March 1st"},
        {"repository": "devtable/simple", "at": 5},
        {"repository": "devtable/simple", "when": AT},
    ],
)
def test_a_malformed_request_is_400(body):
    client = world_client()
    response = client.post(CLAIM, json=body)
    assert (response.status_code, response.json) == (400, {"error": USAGE})
    assert client.get(MIRROR, headers=auth("devtable")).json["sync_status"] == "NEVER_RUN"


def test_claim_needs_the_admin_token_when_one_is_set():
    client = create_app(Settings(admin_token="s3cret")).test_client()
    body = {"repository": "acme/etcd", "at": AT}
    refused = client.post(CLAIM, json=body)
    assert (refused.status_code, refused.json) == (
        401,
        {"error": "missing or wrong X-Mockquay-Admin-Token header"},
    )
    allowed = client.post(CLAIM, json=body, headers={"X-Mockquay-Admin-Token": "s3cret"})
    assert allowed.status_code == 200


def test_sync_now_on_a_claimed_mirror_is_404():
    client = world_client()
    client.post(CLAIM, json={"repository": "devtable/simple", "at": AT})
    response = client.post(f"{MIRROR}/sync-now", headers=auth("devtable"))
    assert response.status_code == 404
    assert response.json["error_type"] == "not_found"
    assert client.get(MIRROR, headers=auth("devtable")).json["sync_status"] == "SYNCING"


def test_sync_cancel_frees_a_claimed_mirror():
    client = world_client()
    client.post(CLAIM, json={"repository": "devtable/simple", "at": AT})
    response = client.post(f"{MIRROR}/sync-cancel", headers=auth("devtable"))
    assert (response.status_code, response.data) == (204, b"")
    after = client.get(MIRROR, headers=auth("devtable")).json
    assert (after["sync_status"], after["sync_expiration_date"]) == ("CANCEL", None)
