"""Conformance: the API-driven rows of the mirror state machine (spec section 3.2).

A mirror is seeded in each status and sent sync-now or sync-cancel; every field the answer
writes is checked, and every field it must not touch is checked to be unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
from support.conformance import (
    CREATED,
    JSON,
    SIMPLE,
    api_error,
    assert_answer,
    client_for,
    mirror_path,
    state,
    stored,
    view,
)
from support.world import ALL_PROFILES, CREATE_BODY, auth, quay_test_world

START = "2020-01-02T06:30:00"
EXPIRATION = "2030-05-06T07:08:09"

#: (status, retries, expiration) a mirror can be seeded in; SYNCING holds a claim.
SEEDS = [
    ("NEVER_RUN", 3, None),
    ("SUCCESS", 3, None),
    ("FAIL", 2, None),
    ("FAIL", 1, None),
    ("SYNC_NOW", 0, None),
    ("SYNC_NOW", 2, None),
    ("SYNCING", 3, EXPIRATION),
    ("SYNCING", 1, EXPIRATION),
    ("CANCEL", 0, None),
]


def seeded(status: str, retries: int, expiration: str | None) -> dict[str, Any]:
    document = quay_test_world()
    document["mirrors"][0].update(
        sync_status=status,
        sync_retries_remaining=retries,
        sync_expiration_date=None if expiration is None else expiration + "Z",
    )
    return document


def _ids(seed: tuple[str, int, str | None]) -> str:
    return f"{seed[0]}-retries-{seed[1]}"


def _profiles_for(status: str) -> tuple[str, ...]:
    # CANCEL exists from Quay 3.15 on; the older lines never reach it.
    return ("3.15", "3.17", "latest") if status == "CANCEL" else ALL_PROFILES


SYNC_NOW_CASES = [
    pytest.param(*seed, profile, id=f"{_ids(seed)}-{profile}")
    for seed in SEEDS
    for profile in _profiles_for(seed[0])
]


@pytest.mark.parametrize(("status", "retries", "expiration", "profile"), SYNC_NOW_CASES)
def test_sync_now(status, retries, expiration, profile):
    client = client_for(seeded(status, retries, expiration), profile)
    before = stored(client, "mirrors", SIMPLE)
    response = client.post(mirror_path(SIMPLE, "sync-now"), headers=auth("devtable"))
    after = stored(client, "mirrors", SIMPLE)
    if status == "SYNCING":
        assert_answer(response, 404, api_error(404), JSON)
        assert after == before
        return
    assert_answer(response, 204, b"", JSON)
    assert after.pop("sync_transaction_id") != before.pop("sync_transaction_id")
    expected = dict(
        before,
        sync_status="SYNC_NOW",
        sync_expiration_date=None,
        sync_retries_remaining=max(retries, 1),
    )
    assert after == expected
    assert after["sync_start_date"] == START


@pytest.mark.parametrize(
    ("status", "retries", "expiration"), [pytest.param(*seed, id=_ids(seed)) for seed in SEEDS]
)
def test_sync_cancel(status, retries, expiration):
    client = client_for(seeded(status, retries, expiration))
    before = stored(client, "mirrors", SIMPLE)
    response = client.post(mirror_path(SIMPLE, "sync-cancel"), headers=auth("devtable"))
    after = stored(client, "mirrors", SIMPLE)
    if status not in ("SYNCING", "SYNC_NOW"):
        assert_answer(response, 404, api_error(404), JSON)
        assert after == before
        return
    assert_answer(response, 204, b"", JSON)
    assert after.pop("sync_transaction_id") != before.pop("sync_transaction_id")
    expected = dict(
        before, sync_status="CANCEL", sync_expiration_date=None, sync_retries_remaining=0
    )
    assert after == expected
    assert after["sync_start_date"] == START


@pytest.mark.parametrize("status", ["SYNCING", "SYNC_NOW"])
def test_sync_cancel_leaves_the_rest_of_the_state_alone(status):
    client = client_for(seeded(status, 2, EXPIRATION if status == "SYNCING" else None))
    before = state(client)
    client.post(mirror_path(SIMPLE, "sync-cancel"), headers=auth("devtable"))
    after = state(client)
    before_mirror, after_mirror = before.pop("mirrors"), after.pop("mirrors")
    assert after == before
    assert [m["repository"] for m in after_mirror] == [m["repository"] for m in before_mirror]


def test_create_starts_the_mirror_in_never_run():
    client = client_for(quay_test_world(mirror=False))
    body = dict(CREATE_BODY, sync_start_date="2024-02-29T12:00:00Z")
    response = client.post(mirror_path(SIMPLE), headers=auth("devtable"), json=body)
    assert_answer(response, 201, CREATED, JSON)
    mirror = view(client, SIMPLE)
    assert (
        mirror["sync_status"],
        mirror["sync_retries_remaining"],
        mirror["sync_expiration_date"],
        mirror["sync_start_date"],
    ) == ("NEVER_RUN", 3, None, "2024-02-29T12:00:00Z")
    assert stored(client, "repositories", SIMPLE)["state"] == "MIRROR"
