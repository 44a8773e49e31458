"""Smoke tests over real HTTP against ``mockquay serve`` started as a process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import requests
from support.world import ACME_CREATE_BODY as CREATE
from support.world import Served

from mockquay.domain.clock import parse_instant
from mockquay.domain.dates import format_rfc2822

ADMIN = {"Authorization": "Bearer admin-token"}


def serve_until_exit(*arguments: str) -> subprocess.CompletedProcess:
    """``mockquay serve --port 0 ARGUMENTS`` run to its exit (for a refusal at start)."""
    return subprocess.run(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture(scope="module")
def server():
    """One ``mockquay serve`` for the module's tests that only talk to it over HTTP."""
    server = Served()
    yield server
    server.stop()


@pytest.fixture
def served(server):
    """The module's server, back to its boot fixtures."""
    assert requests.post(f"{server.url}/__mockquay__/reset").status_code == 200
    return server


def test_ready_line_names_the_url_and_profile(served):
    assert served.ready["event"] == "ready"
    assert served.ready["url"].startswith("http://127.0.0.1:")
    assert served.ready["profile"] == "latest"


def test_get_mirror_over_http(served):
    response = requests.get(f"{served.url}/api/v1/repository/acme/etcd/mirror", headers=ADMIN)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["external_reference"] == "quay.io/coreos/etcd"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_create_change_sync_over_http(served):
    base = f"{served.url}/api/v1/repository/acme/app/mirror"
    created = requests.post(base, json=CREATE, headers=ADMIN)
    assert (created.status_code, created.content) == (201, b'""\n')
    changed = requests.put(base, json={"sync_interval": 60}, headers=ADMIN)
    assert (changed.status_code, changed.content) == (201, b'""\n')
    synced = requests.post(f"{base}/sync-now", headers=ADMIN)
    assert (synced.status_code, synced.content) == (204, b"")
    view = requests.get(base, headers=ADMIN).json()
    assert (view["sync_interval"], view["sync_status"]) == (60, "SYNC_NOW")


def test_unauthenticated_write_gets_quay_csrf_answer_over_http(served):
    response = requests.post(f"{served.url}/api/v1/repository/acme/app/mirror", json=CREATE)
    assert response.status_code == 403
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.content == b'{"error": "CSRF token was invalid or missing."}'


def test_profile_flag_and_environment(tmp_path):
    server = Served("--profile", "3.16.2")
    try:
        assert server.ready["profile"] == "3.15"
    finally:
        server.stop()
    server = Served(env={"MOCKQUAY_PROFILE": "3.8"})
    try:
        assert server.ready["profile"] == "3.8"
        health = requests.get(f"{server.url}/__mockquay__/health").json()
        assert health["profile"] == "3.8"
    finally:
        server.stop()


def test_unknown_profile_is_refused_with_the_known_ones():
    result = serve_until_exit("--profile", "2.9")
    assert result.returncode == 2
    assert (
        "unknown Quay profile '2.9': use one of 3.8, 3.12, 3.15, 3.17, 3.17.1, 3.17.2, latest"
        in result.stderr
    )


def test_sigterm_flushes_state_and_a_restart_keeps_it(tmp_path):
    data = tmp_path / "state.json"
    server = Served("--data", str(data))
    base = f"{server.url}/api/v1/repository/acme/app/mirror"
    assert requests.post(base, json=CREATE, headers=ADMIN).status_code == 201
    assert server.stop() == 0
    json.loads(data.read_text())
    restarted = Served("--data", str(data))
    try:
        url = f"{restarted.url}/api/v1/repository/acme/app/mirror"
        assert (
            requests.get(url, headers=ADMIN).json()["external_reference"] == "quay.io/coreos/etcd"
        )
    finally:
        assert restarted.stop() == 0


def test_sigint_stops_the_server_cleanly(tmp_path):
    data = tmp_path / "state.json"
    server = Served("--data", str(data))
    base = f"{server.url}/api/v1/repository/acme/app/mirror"
    assert requests.post(base, json=CREATE, headers=ADMIN).status_code == 201
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=10) == 0
    assert json.loads(server.process.stdout.read()) == {"event": "stopped"}
    server.process.stdout.close()
    server.process.stderr.close()
    assert "quay.io/coreos/etcd" in data.read_text()


def test_invalid_fixtures_stop_the_server_with_the_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [{username: a, colour: red}]\n")
    result = serve_until_exit("--fixtures", str(bad))
    assert result.returncode == 2
    assert f"{bad}: users[0]: unknown key(s): colour" in result.stderr


def test_kill_9_loses_no_acknowledged_write(tmp_path):
    data = tmp_path / "state.json"
    server = Served("--data", str(data))
    url = f"{server.url}/api/v1/repository/acme/app/mirror"
    assert requests.post(url, json=CREATE, headers=ADMIN).status_code == 201
    for interval in range(3600, 3620):
        answer = requests.put(url, json={"sync_interval": interval}, headers=ADMIN)
        assert answer.status_code == 201
    server.process.kill()
    server.process.communicate(timeout=10)
    restarted = Served("--data", str(data))
    try:
        assert (
            requests.get(url.replace(server.url, restarted.url), headers=ADMIN).json()[
                "sync_interval"
            ]
            == 3619
        )
    finally:
        assert restarted.stop() == 0


def test_a_manual_clock_goes_on_from_where_a_kill_9_left_it(tmp_path):
    """The state's dates come from the clock: after a restart it is not before any of them."""
    data = tmp_path / "state.json"
    server = Served("--data", str(data), "--clock", "manual")
    clock = f"{server.url}/__mockquay__/clock"
    moved = requests.post(clock, json={"advance": "P3D"}).json()
    url = f"{server.url}/api/v1/repository/acme/etcd/mirror"
    assert requests.put(url, json={"sync_interval": 7200}, headers=ADMIN).status_code == 201
    server.process.kill()
    server.process.communicate(timeout=10)
    restarted = Served("--data", str(data), "--clock", "manual")
    try:
        assert requests.get(f"{restarted.url}/__mockquay__/clock").json() == moved
        logs = requests.get(
            f"{restarted.url}/api/v1/repository/acme/etcd/logs", headers=ADMIN
        ).json()["logs"]
        assert logs[0]["kind"] == "repo_mirror_config_changed"
        assert logs[0]["datetime"] == format_rfc2822(parse_instant(moved["now"]))
    finally:
        assert restarted.stop() == 0


def test_a_data_file_that_is_not_mockquay_state_stops_the_server_and_is_kept(tmp_path):
    data = tmp_path / "state.json"
    data.write_text('{"hello": 1}')
    result = serve_until_exit("--data", str(data))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"mockquay: --data {data} is not a mockquay state file (it has no "
        '"format": "mockquay-state" marker); refusing to use it and leaving it as it is: name '
        "a new or empty file, or one mockquay wrote\n"
    )
    assert data.read_text() == '{"hello": 1}'
    assert [path.name for path in tmp_path.iterdir()] == ["state.json"]


def test_a_data_file_in_a_missing_folder_stops_the_server_at_once(tmp_path):
    data = tmp_path / "missing" / "state.json"
    result = serve_until_exit("--data", str(data))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("mockquay: [Errno 2] No such file or directory: ")
    assert not data.parent.exists()


def test_access_log_line_per_request_on_stderr():
    served = Served()
    requests.get(f"{served.url}/api/v1/repository/acme/etcd/mirror?token=secret", headers=ADMIN)
    served.stop()
    lines = served.stderr.splitlines()
    assert lines[0] == f"mockquay is ready at {served.url}"
    (logged,) = [line for line in lines if '"GET /api/' in line]
    assert logged.startswith("127.0.0.1 - - [")
    assert logged.endswith(
        '] "GET /api/v1/repository/acme/etcd/mirror?token=<redacted> HTTP/1.1" 200 474 '
        "getRepoMirrorConfig -"
    )


def test_json_access_log():
    server = Served("--log-format", "json")
    requests.post(f"{server.url}/api/v1/repository/acme/etcd/mirror/sync-now", headers=ADMIN)
    server.stop()
    (line,) = [line for line in server.stderr.splitlines() if line.startswith("{")]
    record = json.loads(line)
    assert (record["method"], record["status"], record["operation"], record["repository"]) == (
        "POST",
        204,
        "syncNow",
        "acme/etcd",
    )


def test_quiet_prints_neither_hints_nor_access_log():
    server = Served("--quiet")
    requests.get(f"{server.url}/api/v1/repository/acme/etcd/mirror", headers=ADMIN)
    assert server.stop() == 0
    assert server.stderr == ""


def repository_names(server: Served) -> list[str]:
    state = requests.get(f"{server.url}/__mockquay__/state").json()
    return [repository["name"] for repository in state["repositories"]]


@pytest.fixture
def on_bundled(tmp_path):
    """A fixture file that needs the bundled fixtures under it (``acme`` is theirs)."""
    mine = tmp_path / "mine.yaml"
    mine.write_text("repositories: [{name: acme/mine}]\n")
    return mine


@pytest.mark.parametrize("way", ["flags", "variable"])
def test_fixtures_take_bundled_then_a_file(on_bundled, way):
    if way == "flags":
        server = Served("--fixtures", "bundled", "--fixtures", str(on_bundled))
    else:
        server = Served(env={"MOCKQUAY_FIXTURES": f"bundled{os.pathsep}{on_bundled}"})
    try:
        names = repository_names(server)
    finally:
        server.stop()
    assert sorted(names) == [
        "acme/app",
        "acme/etcd",
        "acme/mine",
        "acme/public-base",
        "dev/sandbox",
    ]


def test_a_port_outside_the_range_is_one_line_and_exit_2_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "99999"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "mockquay: port 99999 is outside 0-65535 (--port or MOCKQUAY_PORT)\n"


def test_a_host_that_does_not_resolve_is_one_line_and_exit_2():
    result = serve_until_exit("--host", "999.0.0.1")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("mockquay: cannot listen on 999.0.0.1:0: ")
    assert result.stderr.count("\n") == 1
