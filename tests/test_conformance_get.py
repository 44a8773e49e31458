"""Conformance: ``getRepoMirrorConfig`` (GET ``.../mirror``, spec section 2.1).

Failure paths in Quay's order (pipeline, repository, mirror), then the 14 keys of the answer in
Quay's order, with each value as Quay shows it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from support.conformance import (
    JSON,
    SIMPLE,
    api_error,
    assert_answer,
    client_for,
    mirror_path,
    state,
    stored,
)
from support.world import ALL_PROFILES, SETUP_MIRROR, auth, quay_test_world

from mockquay.extension import emulator_of

KEYS = [
    "is_enabled",
    "mirror_type",
    "external_reference",
    "external_registry_username",
    "external_registry_config",
    "sync_interval",
    "sync_start_date",
    "sync_expiration_date",
    "sync_retries_remaining",
    "sync_status",
    "root_rule",
    "robot_username",
    "skopeo_timeout_interval",
    "architecture_filter",
]


def world_with(**mirror: Any) -> dict[str, Any]:
    """Quay's test world, its mirror changed by ``mirror`` (fixture keys)."""
    document = quay_test_world()
    document["mirrors"][0].update(copy.deepcopy(mirror))
    return document


def get(client, repository: str = SIMPLE, user: str = "devtable"):
    return client.get(mirror_path(repository), headers=auth(user))


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_repository_marked_for_deletion_is_404_even_with_a_mirror(profile):
    client = client_for(quay_test_world(), profile)
    # A fixture's mirror puts its repository in MIRROR, so the state is set by a second seed.
    deleted = {"name": SIMPLE, "state": "MARKED_FOR_DELETION"}
    emulator_of(client.application).seed({"repositories": [deleted]})
    assert stored(client, "mirrors", SIMPLE) is not None
    assert_answer(get(client), 404, api_error(404), JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_missing_mirror_of_an_existing_repository_is_404(profile):
    client = client_for(quay_test_world(mirror=False), profile)
    assert_answer(get(client), 404, api_error(404), JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_forbidden_caller_gets_403_whether_or_not_the_repository_exists(profile):
    client = client_for(quay_test_world(), profile)
    assert_answer(get(client, SIMPLE, "freshuser"), 403, api_error(403), JSON)
    assert_answer(get(client, "devtable/unicorn", "freshuser"), 403, api_error(403), JSON)
    assert_answer(get(client, "nobody/unicorn", "freshuser"), 403, api_error(403), JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_get_changes_nothing(profile):
    client = client_for(quay_test_world(), profile)
    before = state(client)
    get(client)
    assert state(client) == before


def test_keys_are_quays_fourteen_in_order():
    response = get(client_for(quay_test_world()))
    assert list(json.loads(response.data)) == KEYS


def test_password_is_never_returned():
    client = client_for(world_with(external_registry_password="hunter2"))
    response = get(client)
    assert response.status_code == 200
    assert b"hunter2" not in response.data
    assert b"password" not in response.data
    assert b"sync_transaction_id" not in response.data


@pytest.mark.parametrize(
    ("mirror", "shown"),
    [
        ({"is_enabled": False}, {"is_enabled": False}),
        ({"external_registry_username": None}, {"external_registry_username": None}),
        ({"external_registry_config": {}}, {"external_registry_config": {}}),
        (
            {"external_registry_config": {"custom": {"kept": [1, None]}}},
            {"external_registry_config": {"custom": {"kept": [1, None]}}},
        ),
        ({"robot_username": None}, {"robot_username": None}),
        ({"architecture_filter": None}, {"architecture_filter": []}),
        ({"architecture_filter": ["s390x", "amd64"]}, {"architecture_filter": ["s390x", "amd64"]}),
        (
            {"sync_start_date": "2026-01-01T10:00:00.123456Z"},
            {"sync_start_date": "2026-01-01T10:00:00.123456Z"},
        ),
        ({"sync_start_date": None}, {"sync_start_date": None}),
        (
            {
                "sync_status": "SYNCING",
                "sync_expiration_date": "2026-03-04T05:06:07.000001Z",
                "sync_retries_remaining": 1,
            },
            {
                "sync_status": "SYNCING",
                "sync_expiration_date": "2026-03-04T05:06:07.000001Z",
                "sync_retries_remaining": 1,
            },
        ),
        ({"skopeo_timeout_interval": 3600}, {"skopeo_timeout_interval": 3600}),
        ({"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v*", "latest"]}},
         {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v*", "latest"]}}),
    ],
    ids=[
        "disabled",
        "no-username",
        "empty-config",
        "config-verbatim",
        "no-robot",
        "null-architectures-as-empty",
        "architectures-in-stored-order",
        "start-with-microseconds",
        "start-null",
        "syncing-expiration",
        "skopeo-timeout",
        "rule",
    ],
)  # fmt: skip
def test_values_are_shown_as_quay_shows_them(mirror, shown):
    client = client_for(world_with(**mirror))
    expected = {
        "is_enabled": True,
        "mirror_type": "PULL",
        "external_reference": "quay.io/redhat/quay",
        "external_registry_username": "fakeUsername",
        "external_registry_config": SETUP_MIRROR["external_registry_config"],
        "sync_interval": 5000,
        "sync_start_date": "2020-01-02T06:30:00Z",
        "sync_expiration_date": None,
        "sync_retries_remaining": 3,
        "sync_status": "NEVER_RUN",
        "root_rule": SETUP_MIRROR["root_rule"],
        "robot_username": "devtable+dtrobot",
        "skopeo_timeout_interval": 300,
        "architecture_filter": [],
        **shown,
    }
    assert_answer(get(client), 200, (json.dumps(expected) + "\n").encode(), JSON)


@pytest.mark.parametrize(
    "status", ["NEVER_RUN", "SUCCESS", "FAIL", "SYNCING", "SYNC_NOW", "CANCEL"]
)
def test_sync_status_is_the_status_name(status):
    client = client_for(world_with(sync_status=status))
    assert json.loads(get(client).data)["sync_status"] == status
