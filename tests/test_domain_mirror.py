"""The rules of ``mockquay.domain.mirror``, called directly with a transaction and a context."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mockquay.domain import audit, mirror
from mockquay.domain.config import QuayConfig
from mockquay.domain.context import Context
from mockquay.domain.errors import DataModelException, DetailAnswer, NotFound
from mockquay.domain.identity import Caller
from mockquay.domain.keys import MIRRORS, REPOSITORIES, RepositoryRef
from mockquay.domain.repository import get_repository
from mockquay.fixtures.loader import apply_document
from mockquay.profiles import get_profile
from mockquay.store import Store, Transaction

NOW = datetime(2026, 3, 1, 12, 0, 0)
APP = RepositoryRef("acme", "app")
BODY = {
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 3600,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v*"]},
    "robot_username": "acme+mirror",
}
STATE = {
    "users": [{"username": "admin"}],
    "organizations": [{"name": "acme"}, {"name": "other"}],
    "robots": [{"name": "acme+mirror"}, {"name": "other+mirror"}],
    "repositories": [{"name": "acme/app", "permissions": {"admin": "admin"}}],
}


@pytest.fixture
def tx() -> Transaction:
    store = Store()
    with store.transaction() as tx:
        apply_document(tx, STATE)
        yield tx


def _ctx(profile: str = "latest", now: datetime = NOW) -> Context:
    return Context(config=QuayConfig(profile=get_profile(profile)), caller=Caller("admin"), now=now)


def _with_mirror(tx: Transaction, **values) -> dict:
    mirror.create_mirror_config(tx, _ctx(), APP, BODY)
    stored = tx.get(MIRRORS, str(APP))
    stored.update(values)
    tx.put(MIRRORS, str(APP), stored)
    return stored


def test_create_stores_a_never_run_mirror_with_three_retries(tx):
    mirror.create_mirror_config(tx, _ctx(), APP, BODY)
    stored = tx.get(MIRRORS, "acme/app")
    assert stored.pop("sync_transaction_id")
    assert stored == mirror.mirror_record(
        external_reference="quay.io/coreos/etcd",
        sync_interval=3600,
        sync_start_date="2026-01-01T00:00:00",
        rule_value=["v*"],
        robot_username="acme+mirror",
    )
    assert (stored["sync_status"], stored["sync_retries_remaining"]) == ("NEVER_RUN", 3)


def test_create_sets_the_repository_to_mirror_and_gives_the_robot_write(tx):
    mirror.create_mirror_config(tx, _ctx(), APP, BODY)
    repo = tx.get(REPOSITORIES, "acme/app")
    assert repo["state"] == "MIRROR"
    assert repo["permissions"] == {"admin": "admin", "acme+mirror": "write"}


def test_create_logs_the_external_reference(tx):
    mirror.create_mirror_config(tx, _ctx(), APP, BODY)
    [entry] = audit.entries(tx, "acme/app")
    assert entry["kind"] == mirror.CHANGED
    assert (entry["metadata"]["changed"], entry["metadata"]["to"]) == (
        "external_reference",
        "quay.io/coreos/etcd",
    )


def test_create_twice_is_a_409(tx):
    mirror.create_mirror_config(tx, _ctx(), APP, BODY)
    with pytest.raises(DetailAnswer) as raised:
        mirror.create_mirror_config(tx, _ctx(), APP, BODY)
    assert (raised.value.status, raised.value.detail) == (
        409,
        "Mirror configuration already exits for repository acme/app",
    )


def test_create_refuses_a_robot_of_another_namespace(tx):
    with pytest.raises(DataModelException) as raised:
        mirror.create_mirror_config(tx, _ctx(), APP, {**BODY, "robot_username": "other+mirror"})
    assert raised.value.message == "Invalid robot"


def test_a_repository_marked_for_deletion_is_not_found(tx):
    repo = tx.get(REPOSITORIES, "acme/app")
    tx.put(REPOSITORIES, "acme/app", {**repo, "state": "MARKED_FOR_DELETION"})
    with pytest.raises(NotFound):
        get_repository(tx, APP)
    with pytest.raises(NotFound):
        mirror.create_mirror_config(tx, _ctx(), APP, BODY)


def test_change_sets_the_field_and_logs_it(tx):
    _with_mirror(tx)
    mirror.change_mirror_config(tx, _ctx(), APP, {"sync_interval": 60})
    assert tx.get(MIRRORS, "acme/app")["sync_interval"] == 60
    last = list(audit.entries(tx, "acme/app"))[-1]
    assert (last["metadata"]["changed"], last["metadata"]["to"]) == ("sync_interval", 60)


def test_view_without_a_mirror_is_not_found(tx):
    with pytest.raises(NotFound):
        mirror.view_mirror_config(tx, _ctx(), APP)


def test_sync_now_asks_for_a_sync_and_restores_a_retry(tx):
    _with_mirror(tx, sync_status="FAIL", sync_retries_remaining=0)
    mirror.sync_now(tx, _ctx(), APP)
    stored = tx.get(MIRRORS, "acme/app")
    assert (stored["sync_status"], stored["sync_retries_remaining"]) == ("SYNC_NOW", 1)


def test_sync_now_while_syncing_is_not_found(tx):
    _with_mirror(tx, sync_status="SYNCING")
    with pytest.raises(NotFound):
        mirror.sync_now(tx, _ctx(), APP)


@pytest.mark.parametrize(
    ("profile", "status", "retries"), [("latest", "CANCEL", 0), ("3.8", "NEVER_RUN", 3)]
)
def test_sync_cancel_sets_the_profiles_cancel_status(tx, profile, status, retries):
    _with_mirror(tx, sync_status="SYNC_NOW")
    mirror.sync_cancel(tx, _ctx(profile), APP)
    stored = tx.get(MIRRORS, "acme/app")
    assert (stored["sync_status"], stored["sync_retries_remaining"]) == (status, retries)


def test_sync_cancel_of_a_mirror_not_syncing_is_not_found(tx):
    _with_mirror(tx)
    with pytest.raises(NotFound):
        mirror.sync_cancel(tx, _ctx(), APP)


def test_claim_makes_a_due_mirror_syncing_until_the_profiles_max_duration(tx):
    _with_mirror(tx)
    mirror.claim_mirror(tx, _ctx(), APP)
    stored = tx.get(MIRRORS, "acme/app")
    assert stored["sync_status"] == "SYNCING"
    assert stored["sync_expiration_date"] == (NOW + timedelta(hours=12)).isoformat()


def test_claim_refuses_a_mirror_not_yet_due(tx):
    _with_mirror(tx)
    with pytest.raises(mirror.NotEligible) as raised:
        mirror.claim_mirror(tx, _ctx(now=datetime(2025, 12, 31)), APP)
    assert str(raised.value) == ("the mirror's sync_start_date 2026-01-01T00:00:00Z is not yet due")


def test_claim_refuses_a_repository_not_in_mirror_state(tx):
    _with_mirror(tx)
    repo = tx.get(REPOSITORIES, "acme/app")
    tx.put(REPOSITORIES, "acme/app", {**repo, "state": "NORMAL"})
    with pytest.raises(mirror.NotEligible) as raised:
        mirror.claim_mirror(tx, _ctx(), APP)
    assert str(raised.value) == "the repository's state is NORMAL, not MIRROR"


def test_claim_refuses_a_mirror_already_syncing(tx):
    _with_mirror(tx, sync_status="SYNCING")
    with pytest.raises(mirror.NotEligible) as raised:
        mirror.claim_mirror(tx, _ctx(), APP)
    assert str(raised.value) == "the mirror is already SYNCING"
