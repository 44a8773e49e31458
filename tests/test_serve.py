"""Smoke tests over real HTTP against ``mockquay serve`` started as a process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
import requests
from support.world import Served

ADMIN = {"Authorization": "Bearer admin-token"}
CREATE = {
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 3600,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    "robot_username": "acme+mirrorbot",
    "skopeo_timeout_interval": 300,
}


@pytest.fixture
def served():
    server = Served()
    yield server
    if server.process.poll() is None:
        server.stop()


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
    result = subprocess.run(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", "--profile", "2.9"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "unknown Quay profile '2.9': use one of 3.8, 3.12, 3.15, 3.17, latest" in result.stderr


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
    result = subprocess.run(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", "--fixtures", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert f"{bad}: users[0]: unknown key(s): colour" in result.stderr
