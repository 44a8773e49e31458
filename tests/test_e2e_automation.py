"""What automation does against Quay, end to end over real HTTP with ``requests`` only.

Who am I, is the namespace an organization, create the repository, its robot and its mirror,
read the mirror back, change it, sync now, cancel, read the audit log, fail to delete the robot
the mirror uses, delete the repository (and then the robot).
"""

from __future__ import annotations

import pytest
import requests

from mockquay.app import create_app
from mockquay.server import Server
from mockquay.settings import Settings

MIRROR_BODY = {
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 86400,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    "robot_username": "acme+syncer",
    "skopeo_timeout_interval": 300,
}


@pytest.fixture
def quay():
    """A mockquay server on the bundled fixtures, and a session with ``admin``'s token."""
    server = Server(create_app(Settings(worker="off")), "127.0.0.1", 0).start()
    session = requests.Session()
    session.headers.update({"Authorization": "Bearer admin-token", "User-Agent": "automation/1"})
    try:
        yield f"{server.url}/api/v1", session
    finally:
        session.close()
        server.stop()


def test_automation_creates_changes_syncs_and_removes_a_mirrored_repository(quay):
    api, http = quay
    repo = f"{api}/repository/acme/mirrored"

    operations = {
        item["operationId"]
        for path_item in http.get(f"{api}/discovery").json()["paths"].values()
        for method, item in path_item.items()
        if method in ("get", "post", "put", "delete")
    }
    assert {"getLoggedInUser", "createOrgRobot", "createRepoMirrorConfig"} <= operations

    me = http.get(f"{api}/user/")
    assert (me.status_code, me.json()["username"]) == (200, "admin")
    assert [(o["name"], o["is_org_admin"]) for o in me.json()["organizations"]] == [("acme", True)]

    org = http.get(f"{api}/organization/acme")
    assert (org.status_code, org.json()["is_admin"]) == (200, True)

    created = http.post(
        f"{api}/repository",
        json={
            "namespace": "acme",
            "repository": "mirrored",
            "visibility": "private",
            "description": "etcd",
        },
    )
    assert (created.status_code, created.json()) == (
        201,
        {"namespace": "acme", "name": "mirrored", "kind": "image"},
    )

    robot = http.put(f"{api}/organization/acme/robots/syncer", json={"description": "mirror"})
    assert (robot.status_code, robot.json()["name"], len(robot.json()["token"])) == (
        201,
        "acme+syncer",
        64,
    )

    mirror = http.post(f"{repo}/mirror", json=MIRROR_BODY)
    assert (mirror.status_code, mirror.content) == (201, b'""\n')
    config = http.get(f"{repo}/mirror").json()
    assert (config["robot_username"], config["sync_status"], config["is_enabled"]) == (
        "acme+syncer",
        "NEVER_RUN",
        True,
    )
    assert http.get(repo).json()["state"] == "MIRROR"

    changed = http.put(f"{repo}/mirror", json={"is_enabled": False, "sync_interval": 3600})
    assert changed.status_code == 201
    assert http.post(f"{repo}/mirror/sync-now").status_code == 204
    assert http.post(f"{repo}/mirror/sync-cancel").status_code == 204
    config = http.get(f"{repo}/mirror").json()
    assert (config["sync_status"], config["sync_interval"], config["is_enabled"]) == (
        "CANCEL",
        3600,
        False,
    )

    log = http.get(f"{repo}/logs")
    assert log.status_code == 200
    entries = [
        (entry["kind"], entry["metadata"].get("changed"), entry["metadata"].get("to"))
        for entry in log.json()["logs"]
    ]
    assert entries == [
        ("repo_mirror_config_changed", "sync_status", "SYNC_CANCEL"),
        ("repo_mirror_config_changed", "sync_status", "SYNC_NOW"),
        ("repo_mirror_config_changed", "sync_interval", 3600),
        ("repo_mirror_config_changed", "is_enabled", False),
        ("repo_mirror_config_changed", "external_reference", "quay.io/coreos/etcd"),
        ("create_repo", None, None),
    ]
    assert {e["metadata"].get("user-agent") for e in log.json()["logs"][:-1]} == {"automation/1"}
    assert {e["performer"]["name"] for e in log.json()["logs"]} == {"admin"}

    refused = http.delete(f"{api}/organization/acme/robots/syncer")
    assert (refused.status_code, refused.json()["detail"]) == (
        400,
        "Robot is being used by a mirror",
    )

    deleted = http.delete(repo)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert http.get(repo).status_code == 404
    assert http.get(f"{repo}/mirror").status_code == 404
    assert http.delete(f"{api}/organization/acme/robots/syncer").status_code == 204
