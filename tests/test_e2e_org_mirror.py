"""The Ansible module ``infra.quay_configuration.quay_organization_mirror`` (spec section 5),
end to end against ``mockquay serve`` over HTTP.

``Module`` replays the module's request sequences as the spec reads them from the collection
(nothing of it is vendored): ``GET organization/{org}``, ``GET organization/{org}/mirror``
(404: absent), then create, update (compared field by field with the GET view), ``force_sync``
or absent, accepting exactly the status codes the module accepts. Parameters the task does not
give are None, as in Ansible; create fills them with the module's defaults, update sends only
the given ones.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests
from support.org_mirror import ORG, world
from support.world import Served

#: What the module accepts as success for POST and PUT on the config, and for sync-now.
WRITE_OK = (200, 201, 204)
#: DELETE: changed, or already gone.
DELETE_CHANGED = (200, 201, 202, 204)
DELETE_UNCHANGED = (400, 404)
#: The module's create defaults.
DEFAULTS: dict[str, Any] = {
    "is_enabled": True,
    "visibility": "public",
    "sync_interval": 86400,
    "external_registry_config": {
        "verify_tls": True,
        "proxy": {"http_proxy": None, "https_proxy": None, "no_proxy": None},
    },
    "repository_filters": [],
    "skopeo_timeout": 300,
    "external_registry_username": None,
    "external_registry_password": None,
}
#: The fields the module sends, in its order.
FIELDS = (
    "is_enabled",
    "external_registry_type",
    "external_registry_url",
    "external_namespace",
    "robot_username",
    "visibility",
    "sync_interval",
    "sync_start_date",
    "external_registry_config",
    "repository_filters",
    "skopeo_timeout",
    "external_registry_username",
    "external_registry_password",
)
#: Suffixes of ``sync_interval`` (``2d``), in seconds.
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ModuleFailed(Exception):
    pass


def _seconds(value: int | str) -> int:
    if isinstance(value, int):
        return value
    return int(value[:-1]) * UNITS[value[-1]] if value[-1] in UNITS else int(value)


def _merged(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(current)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _error_text(response: requests.Response) -> str:
    """The module reads ``message``, else ``title``/``error_type``/``error_message``/``detail``."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    if isinstance(body, dict):
        if body.get("message"):
            return body["message"]
        for key in ("detail", "error_message", "title", "error_type"):
            if body.get(key):
                return body[key]
    return response.text


class Module:
    """One task of ``quay_organization_mirror`` per :meth:`run`; ``calls`` holds every
    request as ``(method, path, status, body sent)``."""

    def __init__(self, url: str, token: str) -> None:
        self.api = f"{url}/api/v1/"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.calls: list[tuple[str, str, int, Any]] = []

    def _call(self, method: str, path: str, body: Any = None) -> requests.Response:
        response = self.http.request(method, self.api + path, json=body)
        self.calls.append((method, path, response.status_code, body))
        return response

    def _write(self, method: str, path: str, body: Any, accepted: tuple[int, ...]) -> None:
        response = self._call(method, path, body)
        if response.status_code not in accepted:
            raise ModuleFailed(_error_text(response))

    def run(
        self, organization: str, state: str = "present", force_sync: bool = False, **given: Any
    ) -> dict[str, Any]:
        self.calls = []
        if self._call("GET", f"organization/{organization}").status_code != 200:
            raise ModuleFailed(f"Organization '{organization}' does not exist")
        mirror = f"organization/{organization}/mirror"
        current = self._call("GET", mirror)
        if current.status_code not in (200, 404):
            raise ModuleFailed(_error_text(current))
        exists = current.status_code == 200
        if state == "absent":
            if not exists:
                return {"changed": False}
            response = self._call("DELETE", mirror)
            if response.status_code in DELETE_CHANGED:
                return {"changed": True}
            if response.status_code in DELETE_UNCHANGED:
                return {"changed": False}
            raise ModuleFailed(_error_text(response))
        if "sync_interval" in given:
            given["sync_interval"] = _seconds(given["sync_interval"])
        if not exists:
            body = {name: given.get(name, DEFAULTS.get(name)) for name in FIELDS}
            self._write("POST", mirror, body, WRITE_OK)
            if force_sync:
                self._write("POST", f"{mirror}/sync-now", {}, WRITE_OK)
            return {"changed": True}
        view = current.json()
        status = view["sync_status"]
        changes = self._changes(view, given)
        changed = False
        if changes:
            if status == "SYNCING":
                return {"changed": False, "msg": "The mirror is syncing; update skipped"}
            self._write("PUT", mirror, changes, WRITE_OK)
            changed = True
        if force_sync and status not in ("SYNCING", "SYNC_NOW"):
            self._write("POST", f"{mirror}/sync-now", {}, WRITE_OK)
            changed = True
        return {"changed": changed}

    @staticmethod
    def _changes(view: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
        """``need_update``: the given fields that differ from the view; the password, never
        returned, always differs; ``external_registry_config`` is merged into the view's."""
        changes = {}
        for name in FIELDS:
            if name not in given:
                continue
            if name == "external_registry_password":
                changes[name] = given[name]
            elif name == "external_registry_config":
                merged = _merged(view[name], given[name])
                if merged != view[name]:
                    changes[name] = merged
            elif view.get(name) != given[name]:
                changes[name] = given[name]
        return changes


TASK = {
    "external_registry_type": "quay",
    "external_registry_url": "https://source.example.com",
    "external_namespace": "projectx",
    "robot_username": f"{ORG}+mirrorbot",
    "sync_start_date": "2026-01-01T00:00:00Z",
}
MIRROR = f"organization/{ORG}/mirror"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    fixtures = tmp_path_factory.mktemp("e2e") / "org-mirror.json"
    fixtures.write_text(json.dumps(world()))
    server = Served("--fixtures", str(fixtures), "--clock", "manual", "--worker", "auto", "--quiet")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def served(server):
    """The module's server, back to its fixtures (and clock) for each test."""
    assert requests.post(f"{server.url}/__mockquay__/reset").status_code == 200
    return server


def _gets(organization: str = ORG) -> list[tuple[str, str, int]]:
    return [("GET", f"organization/{organization}", 200), ("GET", MIRROR, 200)]


def _sent(module: Module) -> list[tuple[str, str, int]]:
    return [call[:3] for call in module.calls]


def test_the_module_creates_reruns_updates_syncs_and_removes_an_org_mirror(served):
    module = Module(served.url, "owner-token")

    assert module.run(ORG, **TASK) == {"changed": True}
    assert _sent(module) == [
        ("GET", f"organization/{ORG}", 200),
        ("GET", MIRROR, 404),
        ("POST", MIRROR, 201),
    ]
    assert module.calls[-1][3] == {
        "is_enabled": True,
        **{key: TASK[key] for key in ("external_registry_type", "external_registry_url")},
        "external_namespace": "projectx",
        "robot_username": f"{ORG}+mirrorbot",
        "visibility": "public",
        "sync_interval": 86400,
        "sync_start_date": "2026-01-01T00:00:00Z",
        "external_registry_config": DEFAULTS["external_registry_config"],
        "repository_filters": [],
        "skopeo_timeout": 300,
        "external_registry_username": None,
        "external_registry_password": None,
    }

    assert module.run(ORG, **TASK, visibility="public", sync_interval="1d") == {"changed": False}
    assert _sent(module) == _gets()

    update = {"sync_interval": "2h", "repository_filters": ["app", "db"]}
    assert module.run(ORG, **TASK, **update, external_registry_config={"verify_tls": False}) == {
        "changed": True
    }
    assert _sent(module) == [*_gets(), ("PUT", MIRROR, 200)]
    assert module.calls[-1][3] == {
        "sync_interval": 7200,
        "repository_filters": ["app", "db"],
        "external_registry_config": {
            "verify_tls": False,
            "proxy": {"http_proxy": None, "https_proxy": None, "no_proxy": None},
        },
    }
    view = module.http.get(module.api + MIRROR).json()
    assert (view["sync_interval"], view["repository_filters"]) == (7200, ["app", "db"])

    for _ in range(2):
        assert module.run(ORG, external_registry_password="t0ken") == {"changed": True}
        assert module.calls[-1] == ("PUT", MIRROR, 200, {"external_registry_password": "t0ken"})
    # The source wants no token: an empty password clears it (Quay stores None).
    assert module.run(ORG, external_registry_password="") == {"changed": True}
    assert module.http.get(module.api + MIRROR).json()["has_external_registry_password"] is False

    with pytest.raises(ModuleFailed) as failed:
        module.run(ORG, skopeo_timeout=4000)
    assert str(failed.value).split("\n")[0] == "4000 is greater than the maximum of 3600"
    assert _sent(module) == [*_gets(), ("PUT", MIRROR, 400)]

    assert module.run(ORG, force_sync=True) == {"changed": True}
    assert _sent(module) == [*_gets(), ("POST", f"{MIRROR}/sync-now", 204)]
    assert module.run(ORG, force_sync=True) == {"changed": False}
    assert _sent(module) == _gets()

    clock = module.http.post(f"{served.url}/__mockquay__/clock", json={"advance": 60})
    assert clock.status_code == 200
    listed = module.http.get(module.api + f"{MIRROR}/repositories").json()
    assert {row["name"]: row["sync_status"] for row in listed["repositories"]} == {
        "app": "SUCCESS",
        "db": "SUCCESS",
    }
    assert module.run(ORG, force_sync=True) == {"changed": True}
    assert _sent(module)[-1] == ("POST", f"{MIRROR}/sync-now", 204)

    assert module.run(ORG, state="absent") == {"changed": True}
    assert _sent(module) == [*_gets(), ("DELETE", MIRROR, 204)]
    assert module.run(ORG, state="absent") == {"changed": False}
    assert _sent(module) == [("GET", f"organization/{ORG}", 200), ("GET", MIRROR, 404)]


def test_the_module_skips_an_update_while_discovery_runs(served):
    """Quay's PUT does not check ``sync_status``; the module does, and sends nothing."""
    module = Module(served.url, "owner-token")
    assert module.run(ORG, **TASK) == {"changed": True}
    syncing = {"organization": ORG, **TASK, "visibility": "public", "sync_interval": 86400}
    seeded = module.http.post(
        f"{served.url}/__mockquay__/seed",
        json={"org_mirrors": [{**syncing, "sync_status": "SYNCING"}]},
    )
    assert seeded.status_code == 200
    result = module.run(ORG, sync_interval=3600, force_sync=True)
    assert result == {"changed": False, "msg": "The mirror is syncing; update skipped"}
    assert _sent(module) == _gets()


def test_the_module_fails_for_an_unknown_organization(served):
    module = Module(served.url, "owner-token")
    with pytest.raises(ModuleFailed, match="Organization 'nope' does not exist"):
        module.run("nope", **TASK)
    assert _sent(module) == [("GET", "organization/nope", 404)]
