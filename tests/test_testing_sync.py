"""``mockquay.clock``, ``mockquay.worker`` and ``wait_for_sync`` of the Python controls."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mockquay.testing import MockQuay, SyncTimeout

START = "2026-01-01T00:00:00Z"
CLOCKED = {"settings": {"clock": {"mode": "manual", "start": START}}}
ADMIN = {"Authorization": "Bearer admin-token"}
ETCD = "/api/v1/repository/acme/etcd"

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def quay():
    with MockQuay() as quay:
        yield quay


@pytest.fixture
def mq(quay):
    quay.reset()
    quay.seed(CLOCKED)
    return quay


def why_it_gave_up(mq: MockQuay, repository: str) -> str:
    with pytest.raises(SyncTimeout) as raised:
        mq.wait_for_sync(repository)
    return str(raised.value)


def test_clock_now_and_mode(mq):
    assert mq.clock.now == datetime(2026, 1, 1)
    assert mq.clock.mode == "manual"


def test_advance_takes_seconds_minutes_hours_and_days(mq):
    assert mq.clock.advance(30, minutes=1, hours=1, days=1) == datetime(2026, 1, 2, 1, 1, 30)


def test_set_moves_forward(mq):
    assert mq.clock.set("2026-02-01T00:00:00Z") == datetime(2026, 2, 1)
    assert mq.clock.set(datetime(2026, 3, 1)) == datetime(2026, 3, 1)


def test_the_manual_clock_is_the_default(quay):
    quay.reset()
    first = quay.clock.now
    assert quay.clock.mode == "manual"
    assert quay.clock.now == first


def test_sync_now_then_wait_for_sync_then_tags(mq):
    session = mq.session()
    mq.clock.advance(minutes=1)
    assert session.post(f"{ETCD}/mirror/sync-now").status_code == 204
    mirror = mq.wait_for_sync("acme/etcd")
    assert mirror["sync_status"] == "SUCCESS"
    # The sync-now copied the three tags again; the first sync's rows ended then.
    alive = session.get(f"{ETCD}/tag/", params={"onlyActiveTags": "true"}).json()["tags"]
    assert sorted(tag["name"] for tag in alive) == ["v3.3.0", "v3.4.0", "v3.5.0"]


def test_wait_for_sync_returns_at_once_when_not_syncing(mq):
    assert mq.wait_for_sync("acme/etcd")["sync_status"] == "NEVER_RUN"
    assert mq.clock.now == datetime(2026, 1, 1)


def test_wait_for_sync_names_the_state_it_is_stuck_in(mq):
    mq.seed({"settings": {"worker": {"mode": "manual"}}})
    session = mq.session()
    session.post(f"{ETCD}/mirror/sync-now")
    assert why_it_gave_up(mq, "acme/etcd") == (
        "the mirror of acme/etcd is stuck in SYNC_NOW: the worker is 'manual', not 'auto'\n"
        "  the worker would claim it now\n"
        "  repository state MIRROR, sync_status SYNC_NOW, is_enabled true, "
        "sync_expiration_date null\n"
        "  worker mode 'manual', next event none\n"
        "  last sync: none"
    )


def test_wait_for_sync_says_the_repository_is_not_in_state_mirror(mq):
    mq.seed({"repositories": [{"name": "acme/etcd", "state": "NORMAL"}]})
    mq.session().post(f"{ETCD}/mirror/sync-now")
    assert why_it_gave_up(mq, "acme/etcd") == (
        "the mirror of acme/etcd is stuck in SYNC_NOW: the worker has nothing more to do for it\n"
        "  the worker would not claim it: the repository's state is NORMAL, not MIRROR\n"
        "  repository state NORMAL, sync_status SYNC_NOW, is_enabled true, "
        "sync_expiration_date null\n"
        "  worker mode 'auto', next event none\n"
        "  last sync: none"
    )


def test_wait_for_sync_gives_the_last_failed_sync_and_its_message(mq):
    mq.seed({"registries": [{"host": "quay.io", "tls": "unreachable"}]})
    session = mq.session()
    session.post(f"{ETCD}/mirror/sync-now")
    assert mq.wait_for_sync("acme/etcd")["sync_status"] == "FAIL"
    mq.seed({"settings": {"worker": {"mode": "off"}}})
    session.post(f"{ETCD}/mirror/sync-now")
    assert why_it_gave_up(mq, "acme/etcd") == (
        "the mirror of acme/etcd is stuck in SYNC_NOW: the worker is 'off', not 'auto'\n"
        "  the worker would claim it now\n"
        "  repository state MIRROR, sync_status SYNC_NOW, is_enabled true, "
        "sync_expiration_date null\n"
        "  worker mode 'off', next event none\n"
        "  last sync: repo_mirror_sync_failed at 2026-01-01T00:00:00.791537Z: "
        "'quay.io/coreos/etcd' with tag pattern 'v3.*': ('skopeo list-tags failed: See output', "
        "'', 'time=\"2026-01-01T00:00:00Z\" level=fatal msg=\"Error listing repository tags: "
        'pinging container registry quay.io: Get \\\\"https://quay.io/v2/\\\\": dial tcp '
        "quay.io:443: connect: connection refused\"\\n')"
    )


def test_wait_for_sync_gives_up_on_a_stuck_syncing_mirror(mq):
    mq.seed(
        {
            "mirrors": [
                {
                    "repository": "acme/etcd",
                    "external_reference": "quay.io/coreos/etcd",
                    "sync_interval": 86400,
                    "sync_start_date": START,
                    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
                    "sync_status": "SYNCING",
                    "sync_expiration_date": "2026-01-01T12:00:00Z",
                }
            ]
        }
    )
    assert why_it_gave_up(mq, "acme/etcd") == (
        "the mirror of acme/etcd is stuck in SYNCING: the worker has nothing more to do for it\n"
        "  the worker would not claim it: the mirror is already SYNCING\n"
        "  repository state MIRROR, sync_status SYNCING, is_enabled true, "
        "sync_expiration_date 2026-01-01T12:00:00Z\n"
        "  worker mode 'auto', next event none\n"
        "  last sync: none"
    )


def test_worker_run(mq):
    mq.seed({"settings": {"worker": {"mode": "manual"}}})
    assert mq.worker.run() == {
        "claimed": ["acme/etcd"],
        "finished": [{"repository": "acme/etcd", "sync_status": "SUCCESS"}],
    }


def test_failing_upstream_through_three_retries(mq):
    mq.seed({"registries": [{"host": "quay.io", "tls": "unreachable"}]})
    statuses = []
    for _ in range(3):
        mq.session().post(f"{ETCD}/mirror/sync-now")
        mirror = mq.wait_for_sync("acme/etcd")
        statuses.append((mirror["sync_status"], mirror["sync_retries_remaining"]))
    assert statuses == [("FAIL", 2), ("FAIL", 1), ("FAIL", 3)]
    # The next grid point after the third failure, with that failure's sub-second part.
    assert mirror["sync_start_date"] == "2026-01-02T00:00:00.791537Z"


def test_the_plugin_fixture_has_the_helpers(pytester):
    pytester.makepyfile(
        """
        def test_sync(mockquay):
            mockquay.seed({"settings": {"clock": {"start": "2026-01-01T00:00:00Z"}}})
            mockquay.clock.advance(minutes=1)
            assert mockquay.state()["mirrors"][0]["sync_status"] == "SUCCESS"
            assert mockquay.worker.info()["mode"] == "auto"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_day_of_advances(mq):
    assert mq.clock.advance(days=1) - datetime(2026, 1, 1) == timedelta(days=1)
