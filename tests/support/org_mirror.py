"""Helpers of the org-mirror suites (``test_api_org_mirror.py``, ``test_org_mirror_worker.py``).

Expected bodies are written from Quay's ``endpoints/api/org_mirror.py``, not built with
mockquay's serialisers.
"""

from __future__ import annotations

import copy
import zlib
from typing import Any

from flask.testing import FlaskClient

from support.world import FULL_SCOPES, build_app

ORG = "target"
MIRROR = f"/api/v1/organization/{ORG}/mirror"
SOURCE_URL = "https://source.example.com"

#: A create body with every required key (spec section 1.2).
CREATE = {
    "external_registry_type": "quay",
    "external_registry_url": SOURCE_URL,
    "external_namespace": "projectx",
    "robot_username": "target+mirrorbot",
    "visibility": "private",
    "sync_interval": 3600,
    "sync_start_date": "2026-01-01T00:00:00Z",
}

#: The source registry: a Quay with three repositories under ``projectx``.
SOURCE = {
    "host": "source.example.com",
    "api": "quay",
    "repositories": {
        "projectx/app": {"tags": {"v1": {}, "v2": {}}},
        "projectx/db": {"tags": {"latest": {"copy_seconds": 5}}},
        "projectx/tools-cli": {"tags": {"1.0": {}}},
        "other/thing": {"tags": {"latest": {}}},
    },
}


def world(**features: bool) -> dict[str, Any]:
    """``owner`` administers the empty org ``target`` (robot ``target+mirrorbot``); ``member``
    is in its ``readers`` team; ``root`` is a full-access superuser, ``ro`` a global
    read-only one; ``outsider`` has no rights. Each user's token is ``<user>-token``."""
    users = ("owner", "member", "outsider", "root", "ro")
    return {
        "settings": {
            "super_users": ["root"],
            "global_readonly_super_users": ["ro"],
            "features": {"ORG_MIRROR": True, "SUPERUSERS_FULL_ACCESS": True, **features},
            "clock": {"mode": "manual", "start": "2026-01-01T00:00:00Z"},
        },
        "users": [{"username": name} for name in users],
        "organizations": [
            {
                "name": ORG,
                "teams": {
                    "owners": {"role": "admin", "members": ["owner"]},
                    "readers": {"role": "member", "members": ["member"]},
                },
            },
            {"name": "busy", "teams": {"owners": {"role": "admin", "members": ["owner"]}}},
        ],
        "robots": [{"name": "target+mirrorbot"}, {"name": "busy+bot"}, {"name": "owner+mine"}],
        "repositories": [{"name": "busy/existing"}],
        "tokens": [
            {"token": f"{name}-token", "user": name, "scopes": FULL_SCOPES} for name in users
        ],
        "registries": [copy.deepcopy(SOURCE)],
    }


def client(document: dict[str, Any] | None = None, profile: str = "latest") -> FlaskClient:
    return build_app(document or world(), profile=profile).test_client()


def headers(user: str | None) -> dict[str, str]:
    return {} if user is None else {"Authorization": f"Bearer {user}-token"}


def created(test_client: FlaskClient, **changes: Any) -> FlaskClient:
    """``test_client`` after ``owner`` created the org mirror (``CREATE`` with ``changes``)."""
    response = test_client.post(MIRROR, json={**CREATE, **changes}, headers=headers("owner"))
    assert response.status_code == 201, response.data
    return test_client


def token_metadata(user: str) -> dict[str, Any]:
    """What Quay's ``log_action`` adds for a request made with ``user``'s OAuth token."""
    return {
        "oauth_token_id": zlib.crc32(f"{user}-token".encode()) & 0x7FFFFFFF,
        "oauth_token_application_id": "MOCKQUAYFIXTURETOKEN",
        "oauth_token_application": "mockquay",
    }
