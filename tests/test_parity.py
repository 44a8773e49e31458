"""``mockquay verify``, ``record`` and ``import`` against mockquay servers (issue 26 item 4).

Two ``mockquay serve`` targets per module (profiles latest and 3.8, on the same world); the
reference mockquay runs in this process. The expected differences follow the Profile fields
of ``mockquay/profiles.py`` (spec section 5.1).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from support.world import Served

from mockquay import cli
from mockquay.parity import record
from mockquay.parity.importer import PLACEHOLDER, import_document
from mockquay.parity.verify import profile_from_discovery
from mockquay.testing import Controls, MockQuay

SCOPES = ["repo:admin", "repo:write", "repo:read", "repo:create", "org:admin", "user:read"]

#: An empty organization ``parity`` with a robot, and ``busy``, which holds a repository.
WORLD = {
    "users": [{"username": "owner", "email": "owner@example.com"}, {"username": "dev"}],
    "organizations": [
        {"name": "parity", "teams": {"owners": {"role": "admin", "members": ["owner"]}}},
        {
            "name": "busy",
            "teams": {
                "owners": {"role": "admin", "members": ["owner"]},
                "developers": {"role": "member", "members": ["dev"]},
            },
        },
    ],
    "robots": [{"name": "parity+mirrorbot"}, {"name": "busy+puller", "description": "pulls"}],
    "repositories": [
        {"name": "busy/app", "visibility": "public", "description": "the app"},
        {"name": "busy/etcd", "permissions": {"dev": "write"}},
    ],
    "tokens": [
        {"token": "owner-token", "user": "owner", "scopes": SCOPES},
        {"token": "reader-token", "user": "owner", "scopes": ["repo:read", "user:read"]},
    ],
    "mirrors": [
        {
            "repository": "busy/etcd",
            "external_reference": "quay.io/coreos/etcd",
            "external_registry_username": "puller",
            "external_registry_password": "hunter2",
            "sync_interval": 3600,
            "sync_start_date": "2026-01-01T00:00:00Z",
            "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
            "robot_username": "busy+puller",
        }
    ],
}

#: The steps a 3.8 target answers otherwise than mockquay latest, and the Profile field why.
DIFFER_FROM_3_8 = {
    "create-wrong-type": "non_json_is_415",
    "create-no-reference": "skopeo_timeout_interval, architecture_filter (schema in detail)",
    "create-bad-date": "create_bad_date_is_400",
    "get": "view_keys",
    "change-local-reference": "reference_checks",
    "get-after-change": "view_keys, put_validates_first",
    "get-after-sync-now": "view_keys, put_validates_first",
    "get-after-cancel": "view_keys, cancel_status, cancel_zeroes_retries",
}


@pytest.fixture(scope="module")
def world_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("parity") / "world.json"
    path.write_text(json.dumps(WORLD))
    return path


@pytest.fixture(scope="module")
def latest(world_file):
    server = Served("--fixtures", str(world_file), "--quiet")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def old(world_file):
    server = Served("--fixtures", str(world_file), "--quiet", "--profile", "3.8")
    yield server
    server.stop()


@pytest.fixture
def controls(latest):
    controls = Controls.connect(latest.url)
    controls.clear_requests()
    yield controls
    controls.clear_faults()
    controls.close()


def verify(capsys, url, *flags, token="owner-token", namespace="parity"):
    """``mockquay verify --against url``: exit status, stdout, stderr."""
    arguments = ["verify", "--against", url, "--token", token, "--namespace", namespace, *flags]
    status = cli.main(arguments)
    out, err = capsys.readouterr()
    return status, out, err


def differing(out: str) -> set[str]:
    return {line.split()[2] for line in out.splitlines() if line[4:11] == "differs"}


def test_mockquay_against_itself_with_the_same_profile_is_the_same_at_every_step(
    latest, controls, capsys
):
    status, out, err = verify(capsys, latest.url, "--read-only-token", "reader-token")
    assert (status, err, differing(out)) == (0, "", set())
    assert out.splitlines()[-1] == "29 steps: 28 same, 0 differ, 1 skipped, 0 not run"
    assert out.splitlines()[0] == (
        f"verify {latest.url} (profile latest, from its discovery document) against mockquay latest"
    )


def test_the_scratch_repository_is_deleted_and_nothing_else_is_written(latest, controls, capsys):
    verify(capsys, latest.url)
    repositories = {repo["name"] for repo in controls.state()["repositories"]}
    assert repositories == {"busy/app", "busy/etcd"}
    written = {entry["path"] for entry in controls.requests() if entry["method"] != "GET"}
    assert written and all(
        "/parity/mockquay-verify-" in p or p == "/api/v1/repository" for p in written
    )


def test_a_3_8_target_differs_from_latest_in_exactly_the_steps_its_profile_changes(old, capsys):
    status, out, err = verify(capsys, old.url, "--profile", "latest")
    assert (status, err) == (1, "")
    assert differing(out) == set(DIFFER_FROM_3_8)
    assert "             status: 400 != 415" in out.splitlines()


def test_a_fault_rule_that_changes_one_answer_is_the_one_difference(latest, controls, capsys):
    controls.fault(operation="getRepoMirrorConfig", status=503, times=1)
    status, out, err = verify(capsys, latest.url)
    assert (status, differing(out)) == (1, {"get-before-create"})
    assert "             status: 503 != 404" in out.splitlines()


def test_the_profile_comes_from_the_discovery_document(latest, old):
    import requests

    assert profile_from_discovery(requests.get(latest.url + "/api/v1/discovery").json()) == (
        "latest",
        ["latest"],
    )
    # Nothing in discovery tells 3.8 from 3.12 (only the 415 and the read-only superuser).
    assert profile_from_discovery(requests.get(old.url + "/api/v1/discovery").json()) == (
        "3.12",
        ["3.8", "3.12"],
    )


def test_json_report_names_the_rules_and_each_step(latest, controls, capsys):
    status, out, _ = verify(capsys, latest.url, "--json")
    report = json.loads(out)
    assert status == 0
    assert [rule["name"] for rule in report["rules"]] == ["host", "date", "id", "secret", "order"]
    assert report["summary"] == {"steps": 29, "same": 26, "differs": 0, "skipped": 3, "not run": 0}
    first = report["steps"][0]
    assert (first["name"], first["outcome"], first["target"]["status"]) == (
        "create-repository",
        "same",
        201,
    )


def test_dry_run_sends_no_request(latest, controls, capsys):
    status, out, _ = verify(capsys, latest.url, "--dry-run", "--robot", "mirrorbot")
    assert status == 0
    assert controls.requests() == []
    assert " 10 create: POST /api/v1/repository/parity/mockquay-verify-" in out
    assert '"robot_username": "parity+mirrorbot"' in out


@pytest.mark.parametrize(
    ("case", "flags", "message"),
    [
        ("unreachable", {"url": "http://127.0.0.1:9"}, "cannot reach http://127.0.0.1:9: "),
        ("not quay", {"url": "/__mockquay__"}, "is not a Quay with repository mirroring"),
        ("bad token", {"token": "nobody"}, "the token is not accepted: GET /api/v1/user/ "),
        ("no scope", {"token": "reader-token"}, "cannot list the robots of 'parity': GET"),
        ("no namespace", {"namespace": "nowhere"}, "namespace 'nowhere' is not an organization"),
        ("foreign repos", {"namespace": "busy"}, "holds repositories verify did not create"),
        ("bad profile", {"flags": ["--profile", "2.0"]}, "unknown Quay profile '2.0'"),
        ("no robot", {"flags": ["--robot", "ghost"]}, "has no robot 'parity+ghost'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_without_any_write(
    latest, controls, capsys, case, flags, message
):
    url = flags.get("url", "")
    url = url if url.startswith("http") else latest.url + url
    status, out, err = verify(
        capsys,
        url,
        *flags.get("flags", []),
        token=flags.get("token", "owner-token"),
        namespace=flags.get("namespace", "parity"),
    )
    assert (status, out, err.count("\n")) == (2, "", 1)
    assert err.startswith("mockquay verify: ") and message in err, err
    assert [entry["method"] for entry in controls.requests() if entry["method"] != "GET"] == []


def test_missing_flags_are_one_line_and_exit_2(capsys):
    assert cli.main(["verify", "--against", "http://127.0.0.1:9"]) == 2
    assert capsys.readouterr().err == "mockquay verify: --against needs --token and --namespace\n"
    with pytest.raises(SystemExit) as exit:
        cli.main(["verify", "--token", "t"])
    assert exit.value.code == 2


def test_the_command_prints_no_traceback_for_an_unreachable_target():
    done = subprocess.run(
        [sys.executable, "-m", "mockquay.cli", "verify", "--against", "http://127.0.0.1:9",
         "--token", "t", "--namespace", "parity"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr.count("\n")) == (2, "", 1)
    assert "Traceback" not in done.stderr


# --- record and replay -------------------------------------------------------------------


@pytest.fixture
def cassette(latest, controls, tmp_path):
    """A recording of a few calls through the proxy, secrets and all."""
    import requests

    path = tmp_path / "cassette.yaml"
    proxy = record.Recorder(latest.url, "127.0.0.1", 0, str(path)).start()
    session = requests.Session()
    session.headers["Authorization"] = "Bearer owner-token"
    mirror = proxy.url + "/api/v1/repository/busy/etcd/mirror"
    try:
        answers = [
            session.get(mirror),
            session.get(proxy.url + "/api/v1/organization/busy/robots"),
            session.put(mirror, json={"external_registry_username": "u",
                                      "external_registry_password": "secret-pw"}),
            session.get(mirror, headers={"Authorization": ""}),
        ]  # fmt: skip
    finally:
        proxy.stop()
        session.close()
    yield path, answers
    controls.reset()


def test_the_proxy_returns_the_upstream_answers_and_records_them_redacted(cassette):
    path, answers = cassette
    assert [answer.status_code for answer in answers] == [200, 200, 201, 401]
    assert answers[0].json()["external_reference"] == "quay.io/coreos/etcd"
    text = path.read_text()
    document = yaml.safe_load(text)
    assert [e["status"] for e in document["exchanges"]] == [200, 200, 201, 401]
    assert "owner-token" not in text and "secret-pw" not in text
    assert document["exchanges"][2]["headers"]["Authorization"] == "<redacted>"
    assert document["exchanges"][2]["body"]["external_registry_password"] == "<redacted>"
    assert document["exchanges"][1]["answer_body"]["robots"][0]["token"] == "<redacted>"


def test_a_replay_against_mockquay_on_the_same_fixtures_is_the_same(cassette, world_file, capsys):
    path, _ = cassette
    arguments = ["verify", "--cassette", str(path), "--token", "owner-token"]
    assert cli.main([*arguments, "--fixtures", str(world_file)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "4 steps: 4 same, 0 differ, 0 skipped, 0 not run"


def test_a_replay_names_the_answer_that_changed(cassette, world_file, capsys):
    path, _ = cassette
    document = yaml.safe_load(path.read_text())
    document["exchanges"][0]["answer_body"]["sync_interval"] = 60
    path.write_text(yaml.safe_dump(document))
    arguments = ["verify", "--cassette", str(path), "--token", "owner-token"]
    assert cli.main([*arguments, "--fixtures", str(world_file)]) == 1
    out = capsys.readouterr().out
    assert "             body.sync_interval: 60 != 3600" in out.splitlines()


def test_a_replay_without_a_token_or_of_a_bad_file_is_one_line(cassette, tmp_path, capsys):
    path, _ = cassette
    assert cli.main(["verify", "--cassette", str(path)]) == 2
    assert "give --token" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("[1, 2")
    assert cli.main(["verify", "--cassette", str(bad), "--token", "t"]) == 2
    assert capsys.readouterr().err.startswith(f"mockquay verify: {bad} is not YAML or JSON")


def test_record_refuses_an_upstream_that_is_not_quay(capsys, tmp_path):
    out = tmp_path / "c.yaml"
    assert cli.main(["record", "--upstream", "http://127.0.0.1:9", "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith("mockquay record: cannot reach http://127.0.0.1:9")
    assert not out.exists()


# --- import ------------------------------------------------------------------------------


def test_import_reads_the_organization_with_get_requests_only(latest, controls):
    document = import_document(latest.url, "owner-token", "busy")
    assert {entry["method"] for entry in controls.requests()} == {"GET"}
    assert document["settings"] == {"profile": "latest"}
    [organization] = document["organizations"]
    assert organization["teams"] == {
        # Quay shows team members to their readers; mockquay serves no members call.
        "owners": {"role": "admin", "members": ["owner"]},
        "developers": {"role": "member", "members": []},
    }
    assert [robot["name"] for robot in document["robots"]] == ["busy+puller"]
    assert [repo["name"] for repo in document["repositories"]] == ["busy/app", "busy/etcd"]
    [mirror] = document["mirrors"]
    assert mirror["external_registry_password"] == PLACEHOLDER + "password-of-busy/etcd"
    assert document["tokens"][0]["token"] == PLACEHOLDER + "token-of-owner"
    seeded = WORLD["mirrors"][0]
    for key in ("external_reference", "external_registry_username", "sync_interval",
                "sync_start_date", "root_rule", "robot_username"):  # fmt: skip
        assert mirror[key] == seeded[key]


def test_an_imported_document_serves_unchanged_and_imports_back_the_same(latest, tmp_path, capsys):
    out = tmp_path / "imported.yaml"
    assert cli.main(["import", "--from", latest.url, "--token", "owner-token",
                     "--namespace", "busy", "--out", str(out)]) == 0  # fmt: skip
    assert cli.main(["check-fixtures", str(out)]) == 0
    first = yaml.safe_load(out.read_text())
    token = first["tokens"][0]["token"]
    with MockQuay(fixtures=[str(out)]) as served:
        again = import_document(served.url, token, "busy")
    assert again == first


def test_import_of_a_missing_namespace_is_one_line(latest, capsys):
    arguments = ["import", "--from", latest.url, "--token", "owner-token", "--namespace", "nope"]
    assert cli.main(arguments) == 2
    assert capsys.readouterr().err == (
        f"mockquay import: namespace 'nope' is not an organization on {latest.url}\n"
    )
