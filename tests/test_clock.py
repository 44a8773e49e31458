"""The virtual clock: ``/__mockquay__/clock``, its settings, and the times that come from it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mockquay.app import create_app
from mockquay.domain.clock import Clock, ClockError, parse_duration
from mockquay.domain.dates import utcnow
from mockquay.extension import emulator_of
from mockquay.settings import Settings

CLOCK = "/__mockquay__/clock"
START = "2026-01-01T00:00:00Z"
MANUAL = {"settings": {"clock": {"mode": "manual", "start": START}}}
ADMIN = {"Authorization": "Bearer admin-token"}


@pytest.fixture
def manual_client(make_client):
    """A client on the bundled fixtures with a manual clock at 2026-01-01T00:00:00Z."""
    app = create_app(Settings(clock="manual"))
    emulator_of(app).seed(MANUAL)
    return app.test_client()


def test_get_shows_now_and_mode(manual_client):
    response = manual_client.get(CLOCK)
    assert response.status_code == 200
    assert response.json == {"now": START, "mode": "manual"}


@pytest.mark.parametrize(
    ("advance", "now"),
    [
        (90, "2026-01-01T00:01:30Z"),
        (0, START),
        (1.5, "2026-01-01T00:00:01.500000Z"),
        ("PT1H30M", "2026-01-01T01:30:00Z"),
        ("P1DT2H", "2026-01-02T02:00:00Z"),
        ("P1W", "2026-01-08T00:00:00Z"),
        ("PT0.5S", "2026-01-01T00:00:00.500000Z"),
    ],
)
def test_advance_moves_a_manual_clock(manual_client, advance, now):
    response = manual_client.post(CLOCK, json={"advance": advance})
    assert response.status_code == 200
    assert response.json == {"now": now, "mode": "manual"}
    assert manual_client.get(CLOCK).json["now"] == now


def test_set_moves_the_clock_to_a_later_time(manual_client):
    response = manual_client.post(CLOCK, json={"set": "2026-02-03T04:05:06Z"})
    assert response.json == {"now": "2026-02-03T04:05:06Z", "mode": "manual"}


def test_set_to_now_is_allowed(manual_client):
    assert manual_client.post(CLOCK, json={"set": START}).status_code == 200


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"advance": -1}, "'advance' must not be negative: -1"),
        ({"advance": True}, "'advance' must be a number of seconds or an ISO 8601 duration"),
        ({"advance": None}, "'advance' must be a number of seconds or an ISO 8601 duration"),
        (
            {"advance": "P1M"},
            "'advance' 'P1M' is not an ISO 8601 duration such as PT1H30M or P1DT2H (weeks, "
            "days, hours, minutes and seconds only)",
        ),
        (
            {"advance": "PT"},
            "'advance' 'PT' is not an ISO 8601 duration such as PT1H30M or P1DT2H (weeks, "
            "days, hours, minutes and seconds only)",
        ),
        (
            {"set": "2025-12-31T23:59:59Z"},
            "the clock never goes backwards: 2025-12-31T23:59:59Z is before 2026-01-01T00:00:00Z",
        ),
        ({"set": "tomorrow"}, "'tomorrow' is not an ISO 8601 time such as 2026-01-01T00:00:00Z"),
        ({"set": 5}, "a time must be an ISO 8601 string such as 2026-01-01T00:00:00Z"),
    ],
)
def test_bad_changes_are_400_and_leave_the_clock(manual_client, body, error):
    response = manual_client.post(CLOCK, json=body)
    assert response.status_code == 400
    assert response.json == {"error": error}
    assert manual_client.get(CLOCK).json["now"] == START


@pytest.mark.parametrize("body", [None, [], {}, {"advance": 1, "set": START}, {"later": 5}, "PT1H"])
def test_a_body_that_is_not_one_change_is_400(manual_client, body):
    response = manual_client.post(CLOCK, json=body, headers={"X-Mockquay-Client": "tests"})
    assert response.status_code == 400
    assert response.json["error"].startswith('the body must be {"advance": ')
    assert manual_client.get(CLOCK).json["now"] == START


def test_real_clock_follows_wall_time_plus_advances():
    client = create_app(Settings()).test_client()
    assert client.get(CLOCK).json["mode"] == "real"
    before = utcnow()
    now = _parse(client.post(CLOCK, json={"advance": 3600}).json["now"])
    assert before + timedelta(hours=1) <= now <= utcnow() + timedelta(hours=1)


def test_real_clock_with_a_start_counts_from_it():
    client = create_app(Settings()).test_client()
    client.post("/__mockquay__/seed", json={"settings": {"clock": {"start": START}}})
    now = _parse(client.get(CLOCK).json["now"])
    assert datetime(2026, 1, 1) <= now < datetime(2026, 1, 1, 0, 1)


def test_reset_returns_to_the_start(manual_client):
    manual_client.post(CLOCK, json={"advance": 86400})
    manual_client.post("/__mockquay__/reset", headers={"X-Mockquay-Client": "tests"})
    # The boot fixtures have no clock settings: manual, from the time the server started.
    app_start = emulator_of(manual_client.application).clock.start
    assert manual_client.get(CLOCK).json["now"] == app_start.isoformat() + "Z"


def test_reset_to_fixtures_with_a_start_returns_to_it(make_client):
    client = make_client(MANUAL)
    client.post(CLOCK, json={"advance": 86400})
    client.put("/__mockquay__/state", json=client.get("/__mockquay__/state").json)
    assert client.get(CLOCK).json == {"now": START, "mode": "manual"}


def test_fixture_clock_mode_beats_the_setting():
    app = create_app(Settings(clock="real", default_fixtures=False))
    emulator_of(app).replace(MANUAL)
    assert app.test_client().get(CLOCK).json == {"now": START, "mode": "manual"}


def test_state_keeps_the_clock_settings(make_client):
    client = make_client(MANUAL)
    assert client.get("/__mockquay__/state").json["settings"]["clock"] == {
        "mode": "manual",
        "start": START,
    }


@pytest.mark.parametrize(
    ("clock", "problem"),
    [
        ({"mode": "fast"}, "settings.clock: mode must be one of real, manual"),
        ({"start": "soon"}, "settings.clock: start: 'soon' is not an ISO 8601 time"),
        ({"speed": 2}, "settings.clock: unknown key(s) speed (known: mode, start)"),
        ("manual", "settings.clock: must be a mapping"),
    ],
)
def test_bad_clock_settings_are_refused(manual_client, clock, problem):
    response = manual_client.post("/__mockquay__/seed", json={"settings": {"clock": clock}})
    assert response.status_code == 400
    assert any(problem in line for line in response.json["problems"])
    assert manual_client.get(CLOCK).json == {"now": START, "mode": "manual"}


def test_audit_log_dates_come_from_the_clock(manual_client):
    manual_client.post(CLOCK, json={"set": "2026-03-04T05:06:07Z"})
    manual_client.post("/api/v1/repository/acme/etcd/mirror/sync-now", headers=ADMIN)
    logs = manual_client.get(
        "/api/v1/repository/acme/etcd/logs?starttime=03/01/2026&endtime=03/05/2026", headers=ADMIN
    ).json["logs"]
    assert logs[0]["datetime"] == "Wed, 04 Mar 2026 05:06:07 -0000"


def test_logs_default_window_comes_from_the_clock(manual_client):
    manual_client.post("/api/v1/repository/acme/etcd/mirror/sync-now", headers=ADMIN)
    logs = manual_client.get("/api/v1/repository/acme/etcd/logs", headers=ADMIN).json
    assert (logs["start_time"], len(logs["logs"])) == ("Wed, 31 Dec 2025 00:00:00 -0000", 1)


def test_mirror_health_last_check_comes_from_the_clock(manual_client):
    report = manual_client.get(
        "/api/v1/repository/mirror/health", headers={"Authorization": "Bearer auditor-token"}
    ).json
    assert report["last_check"] == "2026-01-01T00:00:00Z"


def test_worker_claim_defaults_to_the_clock(manual_client):
    response = manual_client.post("/__mockquay__/worker/claim", json={"repository": "acme/etcd"})
    assert response.json["sync_expiration_date"] == "2026-01-01T12:00:00Z"


def test_cli_env_and_settings_choose_the_mode():
    assert Settings.from_env({"MOCKQUAY_CLOCK": "manual"}).clock == "manual"
    assert Settings.from_env({}, clock="manual").clock == "manual"
    assert Settings().clock == "real"
    with pytest.raises(ValueError, match="unknown clock mode 'fast'"):
        Settings(clock="fast")


def test_clock_moves_only_forward():
    clock = Clock("manual", datetime(2026, 1, 1))
    clock.move_to(datetime(2026, 1, 2))
    with pytest.raises(ClockError):
        clock.move_to(datetime(2026, 1, 1))
    assert clock.now() == datetime(2026, 1, 2)


def test_durations_in_seconds_and_iso_8601():
    assert parse_duration("PT1H30M") == timedelta(hours=1, minutes=30)
    assert parse_duration(45) == timedelta(seconds=45)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z"))


def test_serve_takes_clock_and_worker_flags():
    import requests
    from support.world import Served

    served = Served("--clock", "manual", "--worker", "manual")
    try:
        assert requests.get(served.url + CLOCK, timeout=10).json()["mode"] == "manual"
        worker = requests.get(served.url + "/__mockquay__/worker", timeout=10).json()
        assert (worker["mode"], worker["next_event"]) == ("manual", None)
    finally:
        assert served.stop() == 0
