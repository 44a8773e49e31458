"""Every way in for fault rules: admin API, fixture ``faults:``, reset/seed/state, the CLI."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
import requests
import yaml
from support.world import ACME_CREATE_BODY as CREATE
from support.world import Served

from mockquay.app import create_app
from mockquay.cli import main
from mockquay.faults.layer import TransportFault
from mockquay.fixtures.loader import FixtureError, apply_document, bundled_default
from mockquay.settings import Settings
from mockquay.store import Store

ADMIN = {"Authorization": "Bearer admin-token"}
#: What mockquay's own clients send, so that a POST without a JSON body passes.
CLIENT = {"X-Mockquay-Client": "tests"}
MIRROR = "/api/v1/repository/acme/etcd/mirror"
APP_MIRROR = "/api/v1/repository/acme/app/mirror"
BUSY = {"id": "busy", "match": {"operation": "syncNow"}, "status": 503,
        "headers": {"Retry-After": "2"}, "times": 2}  # fmt: skip
BUSY_NORMAL = {
    "id": "busy",
    "match": {"operation": "syncNow"},
    "status": 503,
    "body": None,
    "headers": {"Retry-After": "2"},
    "delay_ms": 0,
    "transport": None,
    "phase": "before",
    "times": 2,
    "after": 0,
    "probability": 1.0,
}


def counts(client) -> dict[str, tuple[int, int]]:
    rules = client.get("/__mockquay__/faults").json["rules"]
    return {rule["id"]: (rule["matched"], rule["fired"]) for rule in rules}


@pytest.fixture
def boot(tmp_path):
    """``boot(*documents, **settings)``: a client on the default fixtures plus documents."""

    def make(*documents, **settings):
        folder = tmp_path / "docs"
        folder.mkdir(exist_ok=True)
        paths = [str(bundled_default())]
        for number, document in enumerate(documents):
            path = folder / f"{number}.yaml"
            path.write_text(yaml.safe_dump(document))
            paths.append(str(path))
        return create_app(Settings(worker="off", fixtures=tuple(paths), **settings)).test_client()

    return make


def test_get_lists_no_rules_and_the_seed(default_client):
    response = default_client.get("/__mockquay__/faults")
    assert (response.status_code, response.json) == (200, {"seed": 0, "rules": []})


def test_post_one_rule_installs_it_in_normal_form(default_client):
    response = default_client.post("/__mockquay__/faults", json=BUSY)
    assert (response.status_code, response.json) == (201, {"rules": [BUSY_NORMAL]})
    listed = default_client.get("/__mockquay__/faults").json["rules"]
    assert listed == [{**BUSY_NORMAL, "matched": 0, "fired": 0}]


def test_post_a_list_appends_in_order_with_automatic_ids(default_client):
    default_client.post("/__mockquay__/faults", json=BUSY)
    response = default_client.post(
        "/__mockquay__/faults", json=[{"status": 500}, {"transport": "reset"}]
    )
    assert response.status_code == 201
    assert [rule["id"] for rule in response.json["rules"]] == ["fault-2", "fault-3"]
    assert list(counts(default_client)) == ["busy", "fault-2", "fault-3"]


def test_an_invalid_rule_is_refused_naming_the_field(default_client):
    response = default_client.post("/__mockquay__/faults", json={"status": 503, "times": 0})
    assert response.status_code == 400
    assert response.json == {
        "error": "invalid fault rule: times: must be a positive integer, or null for no limit",
        "field": "times",
        "problems": ["times: must be a positive integer, or null for no limit"],
    }


def test_a_list_with_one_bad_rule_installs_nothing(default_client):
    response = default_client.post(
        "/__mockquay__/faults",
        json=[{"id": "good", "status": 503}, {"id": "bad", "transport": "cut"}],
    )
    assert response.status_code == 400
    assert response.json["field"] == "[1].transport"
    assert response.json["problems"] == ["[1].transport: must be one of reset, close, malformed, "
                                         "hang"]  # fmt: skip
    assert counts(default_client) == {}


def test_a_taken_id_is_refused(default_client):
    default_client.post("/__mockquay__/faults", json=BUSY)
    response = default_client.post("/__mockquay__/faults", json=BUSY)
    assert response.status_code == 400
    assert response.json["problems"] == ["id: a rule with id 'busy' is already installed"]
    assert list(counts(default_client)) == ["busy"]


def test_a_body_that_is_not_a_rule_is_refused(default_client):
    response = default_client.post(
        "/__mockquay__/faults", data="503", content_type="text/plain", headers=CLIENT
    )
    assert response.status_code == 400
    assert response.json == {"error": "the body must be a fault rule or a list of them"}


def test_delete_one_rule(default_client):
    default_client.post("/__mockquay__/faults", json=[BUSY, {"id": "other", "status": 500}])
    response = default_client.delete("/__mockquay__/faults/busy")
    assert (response.status_code, response.json) == (200, {"deleted": ["busy"]})
    assert list(counts(default_client)) == ["other"]


def test_delete_an_unknown_rule_is_404(default_client):
    response = default_client.delete("/__mockquay__/faults/nothing")
    assert (response.status_code, response.json) == (404, {"error": "no fault rule 'nothing'"})


def test_delete_every_rule(default_client):
    default_client.post("/__mockquay__/faults", json=[BUSY, {"id": "other", "status": 500}])
    response = default_client.delete("/__mockquay__/faults")
    assert (response.status_code, response.json) == (200, {"deleted": ["busy", "other"]})
    assert default_client.get(MIRROR, headers=ADMIN).status_code == 200


def test_the_fault_api_needs_the_admin_token():
    client = create_app(Settings(worker="off", admin_token="sesame")).test_client()
    refused = client.post("/__mockquay__/faults", json=BUSY)
    assert refused.status_code == 401
    assert refused.json == {"error": "missing or wrong X-Mockquay-Admin-Token header"}
    allowed = client.post(
        "/__mockquay__/faults", json=BUSY, headers={"X-Mockquay-Admin-Token": "sesame"}
    )
    assert allowed.status_code == 201


def test_fixture_faults_are_installed_at_boot(boot):
    client = boot({"faults": [BUSY]})
    response = client.post(f"{MIRROR}/sync-now", headers=ADMIN)
    assert (response.status_code, response.headers["Retry-After"]) == (503, "2")
    assert counts(client) == {"busy": (1, 1)}


def test_fixture_fault_problems_name_file_entry_and_field():
    with pytest.raises(FixtureError) as raised:
        with Store().transaction() as tx:
            apply_document(
                tx, {"faults": [{"status": 503}, {"status": 5, "phase": "now"}, "x"]}, "f.yaml"
            )
    assert raised.value.problems == [
        "f.yaml: faults[1]: status: must be an integer from 200 to 599",
        "f.yaml: faults[1]: phase: must be 'before' or 'after'",
        "f.yaml: faults[2]: rule: must be a mapping",
    ]


def test_an_invalid_fault_in_a_seed_changes_nothing(default_client):
    before = default_client.get("/__mockquay__/state").json
    response = default_client.post(
        "/__mockquay__/seed",
        json={"users": [{"username": "carol"}], "faults": [{"transport": "drop"}]},
    )
    assert response.status_code == 400
    assert response.json["problems"] == [
        "<seed>: faults[0]: transport: must be one of reset, close, malformed, hang"
    ]
    assert default_client.get("/__mockquay__/state").json == before
    assert counts(default_client) == {}


def test_seeding_faults_appends_them_and_keeps_counts(default_client):
    default_client.post("/__mockquay__/faults", json=BUSY)
    default_client.post(f"{MIRROR}/sync-now", headers=ADMIN)
    response = default_client.post("/__mockquay__/seed", json={"faults": [{"status": 500}]})
    assert response.status_code == 200
    assert counts(default_client) == {"busy": (1, 1), "fault-2": (0, 0)}


def test_seeding_a_taken_id_is_refused(default_client):
    default_client.post("/__mockquay__/faults", json=BUSY)
    response = default_client.post("/__mockquay__/seed", json={"faults": [BUSY]})
    assert response.json["problems"] == [
        "<seed>: faults[0]: id: a rule with id 'busy' is already installed"
    ]


def test_fixture_seed_sets_the_seed_and_beats_the_flag(boot):
    client = boot({"settings": {"seed": 9}}, seed=5)
    assert client.get("/__mockquay__/faults").json["seed"] == 9


def test_the_seed_flag_applies_without_a_fixture_seed(boot):
    assert boot(seed=5).get("/__mockquay__/faults").json["seed"] == 5


def test_a_fixture_seed_must_be_an_integer():
    with pytest.raises(FixtureError) as raised:
        with Store().transaction() as tx:
            apply_document(tx, {"settings": {"seed": "forty-two"}}, "f.yaml")
    assert raised.value.problems == ["f.yaml: settings.seed: must be an integer"]


def test_reset_restores_the_boot_rules_and_starts_counts_again(boot):
    client = boot({"faults": [BUSY]})
    client.post("/__mockquay__/faults", json={"id": "added", "status": 500})
    client.post(f"{MIRROR}/sync-now", headers=ADMIN)
    assert counts(client) == {"busy": (1, 1), "added": (1, 0)}
    assert client.post("/__mockquay__/reset", headers=CLIENT).status_code == 200
    assert counts(client) == {"busy": (0, 0)}


def test_reset_to_empty_removes_every_rule(boot):
    client = boot({"faults": [BUSY]})
    client.post("/__mockquay__/reset?to=empty", headers=CLIENT)
    assert counts(client) == {}


def test_state_exports_rules_and_replacing_it_installs_them(default_client):
    default_client.post("/__mockquay__/faults", json=BUSY)
    state = default_client.get("/__mockquay__/state?secrets=true").json
    assert state["faults"] == [BUSY_NORMAL]
    default_client.delete("/__mockquay__/faults")
    assert default_client.put("/__mockquay__/state", json=state).status_code == 200
    assert counts(default_client) == {"busy": (0, 0)}
    assert default_client.get("/__mockquay__/state?secrets=true").json == state


@pytest.mark.parametrize("transport", ["reset", "close", "malformed", "hang"])
def test_in_process_a_broken_connection_raises_transport_fault(default_client, transport):
    default_client.post("/__mockquay__/faults", json={"id": "cut", "transport": transport})
    with pytest.raises(TransportFault) as raised:
        default_client.get(MIRROR, headers=ADMIN)
    assert (raised.value.transport, raised.value.rule_id) == (transport, "cut")
    assert isinstance(raised.value, ConnectionError)


def test_in_process_phase_after_commits_before_raising(default_client):
    default_client.post("/__mockquay__/faults", json={"transport": "reset", "phase": "after",
                                                      "times": 1})  # fmt: skip
    with pytest.raises(TransportFault):
        default_client.post(APP_MIRROR, json=CREATE, headers=ADMIN)
    assert default_client.get(APP_MIRROR, headers=ADMIN).status_code == 200


def test_one_log_line_per_injected_fault(default_client, caplog):
    default_client.post("/__mockquay__/faults", json={"id": "busy", "status": 503, "times": 2,
                                                      "delay_ms": 1})  # fmt: skip
    with caplog.at_level(logging.INFO, logger="mockquay.faults"):
        for _ in range(3):
            default_client.get(MIRROR, headers=ADMIN)
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("mockquay.faults", "INFO", f"fault busy on GET {MIRROR}: delay 1 ms, status 503 (before)")
    ] * 2


def test_serve_with_a_faults_file(tmp_path):
    rules = tmp_path / "faults.yaml"
    rules.write_text(yaml.safe_dump([BUSY]))
    server = Served("--faults", str(rules), "--seed", "11")
    try:
        assert server.ready["seed"] == 11
        synced = requests.post(f"{server.url}{MIRROR}/sync-now", headers=ADMIN, timeout=10)
        assert (synced.status_code, synced.headers["X-Mockquay-Fault"]) == (503, "busy")
        assert (
            requests.post(
                f"{server.url}/__mockquay__/reset", headers=CLIENT, timeout=10
            ).status_code
            == 200
        )
        listed = requests.get(f"{server.url}/__mockquay__/faults", timeout=10).json()
        assert listed == {"seed": 11, "rules": [{**BUSY_NORMAL, "matched": 0, "fired": 0}]}
    finally:
        server.stop()
    stderr = server.stderr
    lines = [line for line in stderr.splitlines() if "mockquay.faults" in line]
    assert len(lines) == 1
    assert lines[0].endswith(
        f"mockquay.faults: fault busy on POST {MIRROR}/sync-now: status 503 (before)"
    )


def test_serve_reads_the_seed_from_the_environment():
    server = Served(env={"MOCKQUAY_SEED": "23"})
    try:
        assert server.ready["seed"] == 23
    finally:
        server.stop()


def test_serve_refuses_an_invalid_faults_file(tmp_path):
    rules = tmp_path / "faults.json"
    rules.write_text(json.dumps([{"status": 503}, {"transport": "drop"}]))
    result = subprocess.run(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", "--faults", str(rules)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert (
        f"{rules}: faults[1]: transport: must be one of reset, close, malformed, hang"
        in result.stderr
    )


def test_a_faults_file_must_hold_only_rules(tmp_path):
    rules = tmp_path / "faults.yaml"
    rules.write_text(yaml.safe_dump({"users": [], "faults": [BUSY]}))
    result = subprocess.run(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", "--faults", str(rules)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert f"{rules}: must be a list of fault rules (or a document of faults:)" in result.stderr


def test_check_fixtures_names_fault_problems(tmp_path, capsys):
    document = tmp_path / "doc.yaml"
    document.write_text(yaml.safe_dump({"faults": [{"match": {"method": "FETCH"}, "status": 503}]}))
    assert main(["check-fixtures", str(document)]) == 2
    assert capsys.readouterr().out == (
        f"{document}: faults[0]: match.method: must be one of GET, HEAD, POST, PUT, PATCH, "
        "DELETE, OPTIONS\n"
    )
