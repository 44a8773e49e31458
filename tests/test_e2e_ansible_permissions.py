"""The request sequences of two modules of the Ansible collection ``infra.quay_configuration``
(redhat-cop/quay_configuration, spec section 5), end to end over real HTTP with ``requests``:
``quay_capabilities_info`` and ``quay_repository``'s ``perms``. Status codes are accepted as the
modules accept them; nothing of the collection is vendored."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from mockquay.app import create_app
from mockquay.server import Server
from mockquay.settings import Settings

#: The statuses ``quay_repository`` accepts for a permission change.
ACCEPTED = (200, 201, 204)


@pytest.fixture
def quay():
    """A mockquay server on the bundled fixtures, and a session with ``admin``'s token."""
    server = Server(create_app(Settings(worker="off")), "127.0.0.1", 0).start()
    session = requests.Session()
    session.headers.update({"Authorization": "Bearer admin-token", "User-Agent": "ansible"})
    try:
        yield f"{server.url}/api/v1", session
    finally:
        session.close()
        server.stop()


def capabilities_info(api: str) -> dict[str, Any]:
    """``quay_capabilities_info``: an anonymous GET, the body returned as ``capabilities``."""
    response = requests.get(f"{api}/registry/capabilities", timeout=10)
    assert response.status_code == 200
    return {"changed": False, "capabilities": response.json()}


def current_perms(http: requests.Session, repo: str) -> dict[tuple[str, str], str]:
    """``(type, name) -> role`` from the two lists, as the module compares them."""
    found = {}
    for kind in ("team", "user"):
        response = http.get(f"{repo}/permissions/{kind}/")
        assert response.status_code == 200
        for perm in response.json()["permissions"].values():
            found[(kind, perm["name"])] = perm["role"]
    return found


def repository_perms(http: requests.Session, repo: str, perms: list[dict], append: bool) -> bool:
    """``quay_repository`` with ``perms`` (and ``append``): whether anything changed."""
    current = current_perms(http, repo)
    wanted = {(perm["type"], perm["name"]): perm["role"] for perm in perms}
    changed = False
    if not append:
        for kind, name in current.keys() - wanted.keys():
            response = http.delete(f"{repo}/permissions/{kind}/{name}")
            assert response.status_code in ACCEPTED, response.text
            changed = True
    for (kind, name), role in wanted.items():
        if current.get((kind, name)) != role:
            response = http.put(f"{repo}/permissions/{kind}/{name}", json={"role": role})
            assert response.status_code in ACCEPTED, response.text
            changed = True
    return changed


def test_quay_capabilities_info(quay):
    api, _ = quay
    assert capabilities_info(api) == {
        "changed": False,
        "capabilities": {
            "sparse_manifests": {
                "supported": False,
                "required_architectures": [],
                "optional_architectures_allowed": False,
            },
            "mirror_architectures": ["amd64", "arm64", "ppc64le", "s390x"],
        },
    }


def test_quay_repository_perms_grant_change_are_idempotent_and_replace(quay):
    api, http = quay
    repo = f"{api}/repository/acme/app"
    perms = [
        {"type": "user", "name": "dev", "role": "admin"},
        {"type": "user", "name": "acme+mirrorbot", "role": "write"},
        {"type": "team", "name": "developers", "role": "read"},
    ]
    assert repository_perms(http, repo, perms, append=True) is True
    assert current_perms(http, repo) == {
        ("team", "developers"): "read",
        ("user", "dev"): "admin",
        ("user", "acme+mirrorbot"): "write",
    }
    assert repository_perms(http, repo, perms, append=True) is False

    only = [{"type": "team", "name": "owners", "role": "write"}]
    assert repository_perms(http, repo, only, append=False) is True
    assert current_perms(http, repo) == {("team", "owners"): "write"}
    assert repository_perms(http, repo, only, append=False) is False

    kinds = [
        entry["kind"]
        for entry in http.get(f"{api}/organization/acme/logs").json()["logs"]
        if "permission" in entry["kind"]
    ]
    assert kinds.count("change_repo_permission") == 4
    assert kinds.count("delete_repo_permission") == 3


def test_quay_repository_perms_for_an_unknown_user_fail_as_quay_refuses(quay):
    api, http = quay
    response = http.put(f"{api}/repository/acme/app/permissions/user/bob", json={"role": "write"})
    assert (response.status_code, response.json()["error_message"]) == (
        400,
        "Invalid username: bob",
    )
