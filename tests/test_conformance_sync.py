"""Conformance: ``syncNow`` and ``syncCancel`` (spec sections 2.4 and 2.5), failure paths in order.

The fields each one writes, from every status, are in ``test_conformance_transitions``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support.conformance import (
    CSRF_403,
    HTML,
    JSON,
    ORGREPO,
    SIMPLE,
    api_error,
    assert_answer,
    audit_log,
    changes,
    client_for,
    mirror_path,
    state,
    stored,
)
from support.world import ALL_PROFILES, SETUP_MIRROR, auth, org_mirrored, quay_test_world

from mockquay.extension import emulator_of

ACTIONS = ("sync-now", "sync-cancel")


def world_with(**mirror: Any) -> dict[str, Any]:
    document = quay_test_world()
    document["mirrors"][0].update(mirror)
    return document


def sync(client, action: str, repository: str = SIMPLE, user: str | None = "devtable"):
    return client.post(mirror_path(repository, action), headers=auth(user))


# Step 1: the pipeline comes first.


@pytest.mark.parametrize("action", ACTIONS)
def test_csrf_comes_before_a_missing_repository(action):
    client = client_for(quay_test_world())
    assert_answer(sync(client, action, "devtable/unicorn", None), 403, CSRF_403, HTML)


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("action", ACTIONS)
def test_permission_comes_before_a_missing_repository(profile, action):
    client = client_for(quay_test_world(), profile)
    before = state(client)
    response = sync(client, action, "devtable/unicorn", "freshuser")
    assert_answer(response, 403, api_error(403), JSON)
    assert state(client) == before


# Steps 2 to 4.


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("action", ACTIONS)
def test_missing_repository_is_404(profile, action):
    client = client_for(quay_test_world(), profile)
    before = state(client)
    assert_answer(sync(client, action, "devtable/unicorn"), 404, api_error(404), JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("action", ACTIONS)
def test_repository_marked_for_deletion_is_404(profile, action):
    client = client_for(world_with(sync_status="SYNC_NOW"), profile)
    # A fixture's mirror puts its repository in MIRROR, so the state is set by a second seed.
    deleted = {"name": SIMPLE, "state": "MARKED_FOR_DELETION"}
    emulator_of(client.application).seed({"repositories": [deleted]})
    before = state(client)
    assert_answer(sync(client, action), 404, api_error(404), JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("action", ACTIONS)
def test_missing_mirror_is_404(profile, action):
    client = client_for(quay_test_world(mirror=False), profile)
    before = state(client)
    assert_answer(sync(client, action), 404, api_error(404), JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_sync_now_while_syncing_is_404_and_changes_nothing(profile):
    document = world_with(sync_status="SYNCING", sync_expiration_date="2030-01-01T00:00:00Z")
    client = client_for(document, profile)
    before = state(client)
    assert_answer(sync(client, "sync-now"), 404, api_error(404), JSON)
    assert state(client) == before
    assert audit_log(client, SIMPLE) == []


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize("status", ["NEVER_RUN", "SUCCESS", "FAIL"])
def test_sync_cancel_when_not_running_is_404_and_changes_nothing(profile, status):
    client = client_for(world_with(sync_status=status), profile)
    before = state(client)
    assert_answer(sync(client, "sync-cancel"), 404, api_error(404), JSON)
    assert state(client) == before
    assert audit_log(client, SIMPLE) == []


def test_sync_cancel_when_cancelled_is_404_and_changes_nothing():
    client = client_for(world_with(sync_status="CANCEL", sync_retries_remaining=0))
    before = state(client)
    assert_answer(sync(client, "sync-cancel"), 404, api_error(404), JSON)
    assert state(client) == before


# Success.


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize(
    ("action", "status"), [("sync-now", "NEVER_RUN"), ("sync-cancel", "SYNC_NOW")]
)
def test_success_is_204_with_an_empty_json_labelled_body(profile, action, status):
    client = client_for(world_with(sync_status=status), profile)
    response = sync(client, action)
    assert_answer(response, 204, b"", JSON)


@pytest.mark.parametrize(
    ("action", "status", "logged"),
    [("sync-now", "NEVER_RUN", "SYNC_NOW"), ("sync-cancel", "SYNCING", "SYNC_CANCEL")],
)
def test_success_writes_one_audit_entry(action, status, logged):
    client = client_for(world_with(sync_status=status))
    assert_answer(sync(client, action), 204, b"", JSON)
    assert changes(client, SIMPLE) == [("sync_status", logged)]
    [entry] = audit_log(client, SIMPLE)
    assert (entry["kind"], entry["performer"]) == ("repo_mirror_config_changed", "devtable")


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_sync_now_of_a_disabled_mirror_is_allowed(profile):
    client = client_for(world_with(is_enabled=False), profile)
    assert_answer(sync(client, "sync-now"), 204, b"", JSON)
    mirror = stored(client, "mirrors", SIMPLE)
    assert (mirror["sync_status"], mirror["is_enabled"]) == ("SYNC_NOW", False)


@pytest.mark.parametrize(
    ("action", "status", "after"),
    [("sync-now", "NEVER_RUN", "SYNC_NOW"), ("sync-cancel", "SYNC_NOW", "CANCEL")],
)
def test_sync_operations_ignore_an_org_level_mirror(action, status, after):
    document = org_mirrored(quay_test_world())
    mirror = copy.deepcopy(SETUP_MIRROR)
    mirror.update(repository=ORGREPO, robot_username="buynlarge+coolrobot", sync_status=status)
    document["mirrors"].append(mirror)
    client = client_for(document)
    assert_answer(sync(client, action, ORGREPO), 204, b"", JSON)
    assert stored(client, "mirrors", ORGREPO)["sync_status"] == after


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_sync_now_twice_is_idempotent(profile):
    client = client_for(quay_test_world(), profile)
    assert_answer(sync(client, "sync-now"), 204, b"", JSON)
    first = state(client)
    assert_answer(sync(client, "sync-now"), 204, b"", JSON)
    assert state(client) == first


def test_sync_cancel_twice_is_204_then_404():
    client = client_for(world_with(sync_status="SYNC_NOW"))
    assert_answer(sync(client, "sync-cancel"), 204, b"", JSON)
    cancelled = state(client)
    assert_answer(sync(client, "sync-cancel"), 404, api_error(404), JSON)
    assert state(client) == cancelled


def test_sync_now_after_cancel_gives_one_retry():
    client = client_for(world_with(sync_status="SYNC_NOW"))
    assert_answer(sync(client, "sync-cancel"), 204, b"", JSON)
    assert_answer(sync(client, "sync-now"), 204, b"", JSON)
    mirror = stored(client, "mirrors", SIMPLE)
    assert (mirror["sync_status"], mirror["sync_retries_remaining"]) == ("SYNC_NOW", 1)
