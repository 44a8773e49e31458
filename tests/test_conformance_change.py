"""Conformance: ``changeRepoMirrorConfig`` (PUT ``.../mirror``, spec section 2.3).

Quay's current code validates every field before it changes any: each failure path is shown
in Quay's order with a body wrong in two ways, and every refused PUT leaves the state as it was.
Then the mutations: what each field stores, and the audit entries in Quay's order.
"""

from __future__ import annotations

from calendar import timegm
from datetime import datetime
from typing import Any

import pytest
from support.conformance import (
    BAD_DATE,
    CREATED,
    DELETE_USERNAME,
    EMPTY_RULE,
    JSON,
    LOCATION_NOT_ALLOWED,
    NO_ROBOT,
    ORG_MIRROR_CONFLICT,
    ORGREPO,
    PASSWORD_ALONE,
    SIMPLE,
    SPARSE_OFF,
    api_error,
    assert_answer,
    assert_schema_error,
    audit_log,
    changes,
    client_for,
    detail_answer,
    dme,
    mirror_path,
    org_world,
    permission_of,
    state,
    stored,
    view,
)
from support.world import ALL_PROFILES, auth, quay_test_world

EMPTY_RULE_VALUE = {"rule_kind": "tag_glob_csv", "rule_value": []}


def put(client, body: Any, repository: str = SIMPLE):
    return client.put(mirror_path(repository), headers=auth("devtable"), json=body)


def assert_refused(client, body: Any, expected: bytes, repository: str = SIMPLE) -> None:
    """The PUT gets exactly ``expected`` (a JSON answer, 404 for ``not_found``, else 400) and
    changes nothing."""
    before = state(client)
    status = 404 if expected == api_error(404) else 400
    assert_answer(put(client, body, repository), status, expected, JSON)
    assert state(client) == before


# Failure paths, in Quay's order.


def test_9_schema_comes_before_a_missing_repository():
    client = client_for(quay_test_world())
    before = state(client)
    assert_schema_error(
        put(client, {"sync_interval": -1}, "devtable/unicorn"), "-1 is less than the minimum of 0"
    )
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_10_missing_repository_is_404(profile):
    client = client_for(quay_test_world(), profile)
    before = state(client)
    assert_answer(put(client, {}, "devtable/unicorn"), 404, api_error(404), JSON)
    assert state(client) == before


def test_10_missing_repository_comes_before_the_org_mirror_conflict():
    client = client_for(org_world(org_mirror=True))
    assert_refused(client, {"sync_interval": 1}, api_error(404), "buynlarge/unicorn")


def test_11_org_mirror_conflict_comes_before_a_missing_mirror():
    client = client_for(org_world(org_mirror=True))
    assert_refused(client, {"sync_interval": 1}, api_error(400, ORG_MIRROR_CONFLICT), ORGREPO)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_12_missing_mirror_is_404(profile):
    client = client_for(quay_test_world(mirror=False), profile)
    before = state(client)
    assert_answer(put(client, {"sync_interval": 1}), 404, api_error(404), JSON)
    assert state(client) == before


def test_12_missing_mirror_comes_before_the_reference_check():
    client = client_for(quay_test_world(mirror=False))
    assert_refused(client, {"external_reference": "10.0.0.1/x/y"}, api_error(404))


@pytest.mark.parametrize(
    ("reference", "detail"),
    [
        ("", "External registry reference is required"),
        ("   ", "External registry reference is required"),
        ("10.0.0.1/team/repo", LOCATION_NOT_ALLOWED),
        ("[::1]:5000/team/repo", LOCATION_NOT_ALLOWED),
        ("metadata.google.internal/x/y", LOCATION_NOT_ALLOWED),
        ("quay.io", "External registry reference must include a repository path"),
        ("docker://quay.io/x", "External registry reference must not include a URL scheme"),
        ("quay.io/x#y", "External registry reference contains an invalid character"),
    ],
    ids=["empty", "blank", "private-ip", "loopback-v6", "metadata", "no-path", "scheme", "hash"],
)
def test_13_rejected_reference_is_400(reference, detail):
    client = client_for(quay_test_world())
    assert_refused(client, {"external_reference": reference}, api_error(400, detail))


def test_13_reference_comes_before_a_bad_date():
    client = client_for(quay_test_world())
    body = {"external_reference": "10.0.0.1/x/y", "sync_start_date": "nope"}
    assert_refused(client, body, api_error(400, LOCATION_NOT_ALLOWED))


def test_14_bad_date_comes_before_the_sparse_index_check():
    client = client_for(quay_test_world())
    body = {"sync_start_date": "nope", "architecture_filter": ["amd64"]}
    assert_refused(client, body, detail_answer(BAD_DATE))


def test_16_sparse_index_comes_before_the_credentials_check():
    client = client_for(quay_test_world())
    body = {"architecture_filter": ["amd64"], "external_registry_password": "x"}
    assert_refused(client, body, detail_answer(SPARSE_OFF))


def test_16_invalid_architectures_come_before_the_credentials_check():
    client = client_for(quay_test_world(features={"SPARSE_INDEX": True}))
    body = {"architecture_filter": ["amd64", "mips"], "external_registry_password": "x"}
    assert_refused(client, body, detail_answer("Invalid architectures: mips"))


def test_17_password_without_username_comes_before_an_empty_rule():
    client = client_for(quay_test_world())
    body = {"external_registry_password": "x", "root_rule": EMPTY_RULE_VALUE}
    assert_refused(client, body, detail_answer(PASSWORD_ALONE))


def test_18_deleting_the_username_while_setting_a_password_is_400():
    client = client_for(quay_test_world())
    body = {"external_registry_username": None, "external_registry_password": "x"}
    assert_refused(client, body, detail_answer(DELETE_USERNAME))


def test_18_deleting_the_username_comes_before_an_empty_rule():
    client = client_for(quay_test_world())
    body = {
        "external_registry_username": None,
        "external_registry_password": "x",
        "root_rule": EMPTY_RULE_VALUE,
    }
    assert_refused(client, body, detail_answer(DELETE_USERNAME))


def test_19_empty_rule_comes_before_the_robot_lookup():
    client = client_for(quay_test_world())
    body = {"root_rule": EMPTY_RULE_VALUE, "robot_username": "devtable+doesntExist"}
    assert_refused(client, body, api_error(400, EMPTY_RULE))


@pytest.mark.parametrize(
    ("robot", "message"),
    [
        ("devtable+doesntExist", NO_ROBOT),
        ("freshuser", NO_ROBOT),
        ("", NO_ROBOT),
        ("buynlarge+coolrobot", "Invalid robot"),
    ],
    ids=["unknown", "a-user", "empty", "other-namespace"],
)
def test_20_bad_robot_is_400_dme(robot, message):
    client = client_for(quay_test_world())
    assert_refused(client, {"robot_username": robot}, dme(message))


def test_20_bad_robot_grants_nothing():
    document = quay_test_world()
    client = client_for(document)
    body = {"robot_username": "buynlarge+coolrobot"}
    assert_refused(client, body, dme("Invalid robot"))
    assert permission_of(client, SIMPLE, "buynlarge+coolrobot") is None


# Validate first, then apply: nothing changes on a 400.

EVERY_FIELD_VALID = {
    "is_enabled": False,
    "external_reference": "quay.io/other/repo",
    "robot_username": "devtable+newmirrorbot",
    "sync_start_date": "2021-02-03T04:05:06Z",
    "sync_interval": 60,
    "skopeo_timeout_interval": 600,
    "external_registry_username": "user",
    "external_registry_config": {"verify_tls": False},
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["a"]},
}


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ({"robot_username": "devtable+doesntExist"}, dme(NO_ROBOT)),
        ({"root_rule": EMPTY_RULE_VALUE}, api_error(400, EMPTY_RULE)),
        ({"external_registry_username": None, "external_registry_password": "p"},
         detail_answer(DELETE_USERNAME)),
        ({"architecture_filter": ["amd64"]}, detail_answer(SPARSE_OFF)),
        ({"sync_start_date": "2021-02-03"}, detail_answer(BAD_DATE)),
        ({"external_reference": "localhost/x/y"}, api_error(400, LOCATION_NOT_ALLOWED)),
    ],
    ids=["robot", "rule", "credentials", "architectures", "date", "reference"],
)  # fmt: skip
def test_one_invalid_field_applies_none_of_the_valid_ones(bad, expected):
    client = client_for(quay_test_world())
    assert_refused(client, {**EVERY_FIELD_VALID, **bad}, expected)
    assert permission_of(client, SIMPLE, "devtable+newmirrorbot") is None
    assert audit_log(client, SIMPLE) == []


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_empty_object_is_201_and_changes_nothing(profile):
    client = client_for(quay_test_world(), profile)
    before = state(client)
    assert_answer(put(client, {}), 201, CREATED, JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_unknown_keys_are_ignored(profile):
    client = client_for(quay_test_world(), profile)
    before = state(client)
    body = {"mirror_type": "PUSH", "sync_status": "SUCCESS", "whatever": {"a": 1}}
    assert_answer(put(client, body), 201, CREATED, JSON)
    assert state(client) == before


# Mutations.


def test_every_field_is_applied():
    client = client_for(quay_test_world(features={"SPARSE_INDEX": True}))
    body = {
        **EVERY_FIELD_VALID,
        "external_registry_password": "pw",
        "architecture_filter": ["arm64"],
        "external_registry_config": {
            "verify_tls": False,
            "unsigned_images": True,
            "proxy": {"http_proxy": "h", "https_proxy": "hs", "no_proxy": "n"},
        },
    }
    assert_answer(put(client, body), 201, CREATED, JSON)
    assert view(client, SIMPLE) == {
        "is_enabled": False,
        "mirror_type": "PULL",
        "external_reference": "quay.io/other/repo",
        "external_registry_username": "user",
        "external_registry_config": {
            "verify_tls": False,
            "unsigned_images": True,
            "proxy": {"http_proxy": "h", "https_proxy": "hs", "no_proxy": "n"},
        },
        "sync_interval": 60,
        "sync_start_date": "2021-02-03T04:05:06Z",
        "sync_expiration_date": None,
        "sync_retries_remaining": 3,
        "sync_status": "NEVER_RUN",
        "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["a"]},
        "robot_username": "devtable+newmirrorbot",
        "skopeo_timeout_interval": 600,
        "architecture_filter": ["arm64"],
    }
    assert stored(client, "mirrors", SIMPLE)["external_registry_password"] == "pw"


def test_audit_entries_follow_quays_mutation_order():
    client = client_for(quay_test_world(features={"SPARSE_INDEX": True}))
    body = {
        "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["a"]},
        "external_registry_config": {
            "proxy": {"no_proxy": "n", "https_proxy": "hs", "http_proxy": "h"},
            "unsigned_images": True,
            "verify_tls": False,
        },
        "external_registry_password": "pw",
        "external_registry_username": "user",
        "architecture_filter": ["arm64"],
        "skopeo_timeout_interval": 600,
        "sync_interval": 60,
        "sync_start_date": "2021-02-03T04:05:06Z",
        "robot_username": "devtable+newmirrorbot",
        "external_reference": "quay.io/other/repo",
        "is_enabled": False,
    }
    assert_answer(put(client, body), 201, CREATED, JSON)
    epoch = timegm(datetime(2021, 2, 3, 4, 5, 6).timetuple())
    assert changes(client, SIMPLE) == [
        ("is_enabled", False),
        ("external_reference", "quay.io/other/repo"),
        ("sync_start_date", epoch),
        ("sync_interval", 60),
        ("skopeo_timeout_interval", 600),
        ("architecture_filter", ["arm64"]),
        ("external_registry_username", "user"),
        ("external_registry_password", "********"),
        ("verify_tls", False),
        ("unsigned_images", True),
        ("http_proxy", "h"),
        ("https_proxy", "hs"),
        ("no_proxy", "n"),
        ("mirror_rule", ["a"]),
    ]
    entries = audit_log(client, SIMPLE)
    assert {entry["kind"] for entry in entries} == {"repo_mirror_config_changed"}
    assert {entry["performer"] for entry in entries} == {"devtable"}


def test_robot_change_grants_write_and_is_not_logged():
    client = client_for(quay_test_world())
    assert_answer(put(client, {"robot_username": "devtable+newmirrorbot"}), 201, CREATED, JSON)
    assert view(client, SIMPLE)["robot_username"] == "devtable+newmirrorbot"
    assert permission_of(client, SIMPLE, "devtable+newmirrorbot") == "write"
    assert permission_of(client, SIMPLE, "devtable+dtrobot") == "write"
    assert changes(client, SIMPLE) == []


@pytest.mark.parametrize(
    ("existing", "after"),
    [(None, "write"), ("read", "write"), ("write", "write"), ("admin", "admin")],
    ids=["none", "read", "write", "admin"],
)
def test_robot_change_grants_write_unless_write_or_admin(existing, after):
    document = quay_test_world()
    if existing is not None:
        document["repositories"][0]["permissions"]["devtable+newmirrorbot"] = existing
    client = client_for(document)
    assert_answer(put(client, {"robot_username": "devtable+newmirrorbot"}), 201, CREATED, JSON)
    assert permission_of(client, SIMPLE, "devtable+newmirrorbot") == after


@pytest.mark.parametrize(
    ("body", "logged"),
    [
        ({"external_registry_username": "u", "external_registry_password": None},
         [("external_registry_username", "u"), ("external_registry_password", None)]),
        ({"external_registry_username": None, "external_registry_password": None},
         [("external_registry_username", None), ("external_registry_password", None)]),
        ({"external_registry_username": "u"}, [("external_registry_username", "u")]),
    ],
    ids=["password-cleared", "both-cleared", "username-only"],
)  # fmt: skip
def test_credential_changes_are_logged_without_the_password(body, logged):
    client = client_for(quay_test_world())
    assert_answer(put(client, body), 201, CREATED, JSON)
    assert changes(client, SIMPLE) == logged


def test_start_date_is_logged_as_epoch_seconds():
    client = client_for(quay_test_world())
    assert_answer(put(client, {"sync_start_date": "1970-01-02T00:00:00Z"}), 201, CREATED, JSON)
    assert changes(client, SIMPLE) == [("sync_start_date", 86400)]
    assert view(client, SIMPLE)["sync_start_date"] == "1970-01-02T00:00:00Z"


def test_first_proxy_key_on_a_config_without_proxy_is_dropped():
    document = quay_test_world()
    document["mirrors"][0]["external_registry_config"] = {"verify_tls": True}
    client = client_for(document)
    body = {"external_registry_config": {"proxy": {"http_proxy": "h", "no_proxy": "n"}}}
    assert_answer(put(client, body), 201, CREATED, JSON)
    assert view(client, SIMPLE)["external_registry_config"] == {
        "verify_tls": True,
        "proxy": {"no_proxy": "n"},
    }
    assert changes(client, SIMPLE) == [("http_proxy", "h"), ("no_proxy", "n")]


def test_registry_config_keys_not_sent_are_kept():
    client = client_for(quay_test_world())
    body = {"external_registry_config": {"proxy": {"no_proxy": "x"}}}
    assert_answer(put(client, body), 201, CREATED, JSON)
    config = view(client, SIMPLE)["external_registry_config"]
    assert config == {
        "verify_tls": True,
        "unsigned_images": False,
        "proxy": {
            "http_proxy": "http://insecure.proxy.corp",
            "https_proxy": "https://secure.proxy.corp",
            "no_proxy": "x",
        },
    }


def test_put_leaves_the_sync_state_alone():
    document = quay_test_world()
    document["mirrors"][0].update(
        sync_status="SYNCING", sync_expiration_date="2030-01-01T00:00:00Z", sync_retries_remaining=2
    )
    client = client_for(document)
    assert_answer(put(client, {"sync_interval": 10}), 201, CREATED, JSON)
    mirror = view(client, SIMPLE)
    assert (
        mirror["sync_status"],
        mirror["sync_expiration_date"],
        mirror["sync_retries_remaining"],
        mirror["sync_interval"],
    ) == ("SYNCING", "2030-01-01T00:00:00Z", 2, 10)


def test_put_leaves_the_repository_state_alone():
    client = client_for(quay_test_world())
    assert_answer(put(client, {"is_enabled": False}), 201, CREATED, JSON)
    assert stored(client, "repositories", SIMPLE)["state"] == "MIRROR"
