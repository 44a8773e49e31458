"""The simulated worker never acts before the change that let it act (issue 16).

Quay's worker polls every ``REPO_MIRROR_INTERVAL`` with ``utcnow()``
(``workers/repomirrorworker/__init__.py``), so a change committed at T is seen by the first
poll at or after T: every log entry and tag time the worker writes is at or after T.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from datetime import datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.world import auth, build_app, quay_test_world

from mockquay.app import create_app
from mockquay.domain import audit, mirror_worker, tags
from mockquay.domain.keys import LOG_COUNTERS, RepositoryRef
from mockquay.domain.sync import sub_second
from mockquay.extension import emulator_of
from mockquay.settings import Settings

START = datetime(2026, 1, 1)
CLOCK = "/__mockquay__/clock"
CLIENT = {"X-Mockquay-Client": "tests"}
REPOSITORY = "devtable/simple"
MIRROR = f"/api/v1/repository/{REPOSITORY}/mirror"
DEVTABLE = auth("devtable")

ETCD = {
    "host": "quay.io",
    "repositories": {
        "coreos/etcd": {
            "tags": {"v3.5.0": {"copy_seconds": 4}, "v3.4.0": {"copy_seconds": 2}, "v3.3.0": {}}
        }
    },
}

MIRROR_ENTRY = {
    "repository": REPOSITORY,
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 3600,
    "sync_start_date": "2030-01-01T00:00:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    "robot_username": "devtable+dtrobot",
    "skopeo_timeout_interval": 300,
}

CREATE_BODY = {key: value for key, value in MIRROR_ENTRY.items() if key != "repository"}


def world(*, mirror: bool = True, worker: str = "auto", **fields) -> dict:
    document = quay_test_world(mirror=False)
    document["settings"].update(
        clock={"mode": "manual", "start": "2026-01-01T00:00:00Z"}, worker={"mode": worker}
    )
    document["mirrors"] = [{**copy.deepcopy(MIRROR_ENTRY), **fields}] if mirror else []
    document["registries"] = [copy.deepcopy(ETCD)]
    return document


def advance(client, seconds) -> None:
    response = client.post(CLOCK, json={"advance": seconds})
    assert response.status_code == 200, response.json


def now(client) -> datetime:
    return datetime.fromisoformat(client.get(CLOCK).json["now"][:-1])


def worker_times(client) -> list[tuple[str, datetime]]:
    """Every time the worker wrote for the repository, in the order written: its log entries
    (``kind``, ``datetime``), then the tag rows' starts and ends."""
    with emulator_of(client.application).store.transaction() as tx:
        times = [
            (entry["kind"], datetime.fromisoformat(entry["datetime"]))
            for entry in audit.entries(tx, REPOSITORY)
            if entry["kind"].startswith("repo_mirror_sync")
        ]
        for row in tags.history(tx, RepositoryRef.parse(REPOSITORY)):
            for edge in ("lifetime_start_ms", "lifetime_end_ms"):
                if row[edge] is not None:
                    times.append((f"tag {edge}", datetime(1970, 1, 1) + row[edge] * MS))
    return times


MS = timedelta(milliseconds=1)
#: Where the polls fall within their second with the default seed (0).
PHASE = sub_second(0, "poll")


def assert_caused(client, changed_at: datetime, first_poll: datetime) -> None:
    """The worker ran (a start entry at the poll of ``first_poll``'s second), all at or after
    ``changed_at``, with its log entries in time order."""
    times = worker_times(client)
    logs = [moment for kind, moment in times if not kind.startswith("tag")]
    assert times[0] == ("repo_mirror_sync_started", first_poll + PHASE)
    assert [(kind, moment) for kind, moment in times if moment < changed_at] == []
    assert logs == sorted(logs)


def test_sync_now_after_an_idle_hour_runs_at_the_next_tick_not_before(make_client):
    client = make_client(world())
    advance(client, 3610)
    assert client.post(f"{MIRROR}/sync-now", headers=DEVTABLE).status_code == 204
    advance(client, 60)
    assert client.get(MIRROR, headers=DEVTABLE).json["sync_status"] == "SUCCESS"
    assert_caused(client, START + timedelta(seconds=3610), START + timedelta(seconds=3630))


def test_sync_now_after_a_long_idle_advance(make_client):
    client = make_client(world())
    advance(client, "P30D")
    assert client.post(f"{MIRROR}/sync-now", headers=DEVTABLE).status_code == 204
    advance(client, 30)
    assert_caused(client, START + timedelta(days=30), START + timedelta(days=30))


def test_create_with_a_past_start_date_runs_from_the_create(make_client):
    client = make_client(world(mirror=False))
    advance(client, 3600)
    response = client.post(
        MIRROR, json={**CREATE_BODY, "sync_start_date": "2025-06-01T00:00:00Z"}, headers=DEVTABLE
    )
    assert response.status_code == 201, response.json
    advance(client, 60)
    assert client.get(MIRROR, headers=DEVTABLE).json["sync_status"] == "SUCCESS"
    assert_caused(client, START + timedelta(hours=1), START + timedelta(hours=1))


def test_put_re_enabling_a_due_mirror_runs_from_the_put(make_client):
    client = make_client(world(is_enabled=False, sync_start_date="2025-06-01T00:00:00Z"))
    advance(client, 3615)
    response = client.put(MIRROR, json={"is_enabled": True}, headers=DEVTABLE)
    assert response.status_code == 201, response.json
    advance(client, 60)
    assert_caused(client, START + timedelta(seconds=3615), START + timedelta(seconds=3630))


def test_put_moving_the_start_date_into_the_past_runs_from_the_put(make_client):
    client = make_client(world())
    advance(client, 3600)
    response = client.put(
        MIRROR, json={"sync_start_date": "2025-06-01T00:00:00Z"}, headers=DEVTABLE
    )
    assert response.status_code == 201, response.json
    advance(client, 60)
    assert_caused(client, START + timedelta(hours=1), START + timedelta(hours=1))


def test_seed_of_a_due_mirror_runs_from_the_seed(make_client):
    client = make_client(world(mirror=False))
    advance(client, 3600)
    entry = {**MIRROR_ENTRY, "sync_start_date": "2025-06-01T00:00:00Z"}
    response = client.post("/__mockquay__/seed", json={"mirrors": [entry]}, headers=CLIENT)
    assert response.status_code == 200, response.json
    advance(client, 60)
    assert_caused(client, START + timedelta(hours=1), START + timedelta(hours=1))


def test_seed_turning_the_worker_on_runs_from_the_seed(make_client):
    client = make_client(world(worker="off", sync_start_date="2025-06-01T00:00:00Z"))
    advance(client, 3600)
    seed = {"settings": {"worker": {"mode": "auto"}}}
    assert client.post("/__mockquay__/seed", json=seed, headers=CLIENT).status_code == 200
    advance(client, 60)
    assert_caused(client, START + timedelta(hours=1), START + timedelta(hours=1))


def test_reset_runs_the_boot_mirror_from_the_clock_start(tmp_path):
    fixture = tmp_path / "world.json"
    fixture.write_text(json.dumps(world(sync_start_date="2025-06-01T00:00:00Z")))
    client = create_app(Settings(fixtures=(str(fixture),), worker="off")).test_client()
    advance(client, 3600)
    assert client.post("/__mockquay__/reset", headers=CLIENT).status_code == 200
    assert now(client) == START
    advance(client, 60)
    assert_caused(client, START, START)


def test_real_clock_sync_now_is_picked_up_by_a_later_poll():
    document = world()
    document["settings"]["clock"] = {"mode": "real"}
    document["settings"]["worker"]["interval"] = 1
    document["registries"][0]["repositories"]["coreos/etcd"]["tags"] = {"v3.0": {"copy_seconds": 0}}
    app = create_app(Settings(default_fixtures=False))
    emulator_of(app).replace(document)
    client = app.test_client()
    try:
        advance(client, 3600)
        asked = now(client)
        assert client.post(f"{MIRROR}/sync-now", headers=DEVTABLE).status_code == 204
        for _ in range(200):
            if client.get(MIRROR, headers=DEVTABLE).json["sync_status"] == "SUCCESS":
                break
            time.sleep(0.05)
        times = worker_times(client)
        assert times[0][0] == "repo_mirror_sync_started"
        assert asked <= times[0][1] <= asked + timedelta(seconds=5)
    finally:
        emulator_of(app).close()


ADVANCE = st.tuples(st.just("advance"), st.sampled_from([0, 1, 5, 29, 30, 31, 600, 3600, 86400]))

OPERATIONS = st.one_of(
    st.tuples(st.just("sync-now")),
    st.tuples(st.just("sync-cancel")),
    st.tuples(st.just("create"), st.sampled_from(["2025-06-01T00:00:00Z", "2026-01-01T02:00:00Z"])),
    st.tuples(
        st.just("put"),
        st.sampled_from(
            [
                {"is_enabled": True},
                {"is_enabled": False},
                {"sync_start_date": "2025-06-01T00:00:00Z"},
                {"sync_start_date": "2026-01-01T00:10:00Z"},
                {"sync_interval": 60},
            ]
        ),
    ),
    st.tuples(st.just("state"), st.sampled_from(["MIRROR", "NORMAL"])),
    st.tuples(st.just("worker"), st.sampled_from(["auto", "manual", "off"])),
    st.tuples(st.just("run")),
    st.tuples(st.just("replace")),
)


def _apply(client, operation) -> None:
    kind, *arguments = operation
    if kind == "advance":
        advance(client, arguments[0])
    elif kind in ("sync-now", "sync-cancel"):
        client.post(f"{MIRROR}/{kind}", headers=DEVTABLE)
    elif kind == "create":
        body = {**CREATE_BODY, "sync_start_date": arguments[0]}
        client.post(MIRROR, json=body, headers=DEVTABLE)
    elif kind == "put":
        client.put(MIRROR, json=arguments[0], headers=DEVTABLE)
    elif kind == "state":
        path = f"/api/v1/repository/{REPOSITORY}/changestate"
        client.put(path, json={"state": arguments[0]}, headers=DEVTABLE)
    elif kind == "worker":
        seed = {"settings": {"worker": {"mode": arguments[0]}}}
        assert client.post("/__mockquay__/seed", json=seed, headers=CLIENT).status_code == 200
    elif kind == "run":
        client.post("/__mockquay__/worker/run", headers=CLIENT)
    else:
        client.put("/__mockquay__/state", json=world(), headers=CLIENT)


def _log_count(client) -> int:
    with emulator_of(client.application).store.transaction() as tx:
        return (tx.get(LOG_COUNTERS, REPOSITORY) or {"count": 0})["count"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ADVANCE, OPERATIONS), min_size=2, max_size=8))
@example([(("advance", 3600), ("sync-now",)), (("advance", 30), ("run",))])
def test_no_worker_time_is_before_the_call_that_caused_it(steps):
    client = build_app(world()).test_client()
    for operation in [operation for step in steps for operation in step]:
        before, written, asked = set(worker_times(client)), _log_count(client), now(client)
        _apply(client, operation)
        if operation[0] == "replace":
            continue
        new = [item for item in worker_times(client) if item not in before]
        assert [item for item in new if item[1] < asked] == [], (operation, asked)
        if operation[0] == "advance":
            assert [item for item in new if item[1] > now(client)] == [], operation
        logs = [moment for kind, moment in worker_times(client) if not kind.startswith("tag")]
        assert logs == sorted(logs), operation
        assert _log_count(client) >= written


def test_an_advance_past_the_event_limit_stops_with_a_400_naming_it(make_client, monkeypatch):
    client = make_client(world(sync_start_date="2025-06-01T00:00:00Z"))
    monkeypatch.setattr("mockquay.emulator.ADVANCE_EVENTS", 3)
    response = client.post(CLOCK, json={"advance": "P1D"})
    assert response.status_code == 400
    assert response.json == {
        "error": "the advance stopped at 2026-01-01T00:00:02.237465Z, before "
        "2026-01-02T00:00:00Z: one advance runs at most 3 worker events (polls, claims, tag "
        "copies); advance from there in smaller steps"
    }
    assert now(client) == datetime(2026, 1, 1, 0, 0, 2, 237465)
    monkeypatch.undo()
    advance(client, 10)
    assert client.get(MIRROR, headers=DEVTABLE).json["sync_status"] == "SUCCESS"
    assert_caused(client, START, START)


def test_a_quay_api_get_is_answered_while_a_long_advance_runs(monkeypatch):
    document = world(sync_start_date="2025-06-01T00:00:00Z", sync_interval=60)
    document["registries"][0]["repositories"]["coreos/etcd"]["tags"] = {"v3.0": {"copy_seconds": 0}}
    app = build_app(document)
    monkeypatch.setattr(mirror_worker, "SLICE_EVENTS", 10, raising=False)
    ended = threading.Event()
    answers = []

    def long_advance() -> None:
        answers.append(app.test_client().post(CLOCK, json={"advance": "P30D"}).status_code)
        ended.set()

    advancing = threading.Thread(target=long_advance)
    advancing.start()
    client = app.test_client()
    try:
        while emulator_of(app).clock.now() == START and not ended.is_set():
            time.sleep(0.001)
        response = client.get(MIRROR, headers=DEVTABLE)
        reached = emulator_of(app).clock.now()
    finally:
        # A replace of the state ends the advance at its next slice.
        client.put("/__mockquay__/state", json=document, headers=CLIENT)
        advancing.join()
    assert response.status_code == 200
    # Answered after a few slices, long before the advance's thirty days went by.
    assert reached < START + timedelta(days=1)
    assert answers == [200]
