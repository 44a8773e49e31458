"""The test world: Quay's own test fixtures as a fixture document, apps built on documents,
and ``mockquay serve`` in a subprocess."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
from typing import Any

from flask import Flask

from mockquay.app import create_app
from mockquay.extension import emulator_of
from mockquay.settings import Settings

#: Every profile, oldest first.
ALL_PROFILES = ("3.8", "3.12", "3.15", "3.17", "latest")

FULL_SCOPES = ["repo:admin", "repo:write", "repo:read", "repo:create", "org:admin", "user:admin",
               "user:read", "super:user"]  # fmt: skip

#: Quay's ``_setup_mirror`` fixture (spec section 7), as a mockquay fixture document.
SETUP_MIRROR = {
    "repository": "devtable/simple",
    "external_reference": "quay.io/redhat/quay",
    "sync_interval": 5000,
    "sync_start_date": "2020-01-02T06:30:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest", "3.3*", "foo"]},
    "robot_username": "devtable+dtrobot",
    "skopeo_timeout_interval": 300,
    "is_enabled": True,
    "external_registry_username": "fakeUsername",
    "external_registry_password": "fakePassword",
    "external_registry_config": {
        "verify_tls": True,
        "unsigned_images": False,
        "proxy": {
            "http_proxy": "http://insecure.proxy.corp",
            "https_proxy": "https://secure.proxy.corp",
            "no_proxy": "mylocalhost",
        },
    },
}

#: Create body "B" of spec section 7 (robot filled in per test).
CREATE_BODY = {
    "external_reference": "quay.io/foobar/barbaz",
    "sync_interval": 100,
    "skopeo_timeout_interval": 300,
    "sync_start_date": "2019-08-20T17:51:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest"]},
    "robot_username": "devtable+dtrobot",
}


def quay_test_world(*, mirror: bool = True, **settings: Any) -> dict[str, Any]:
    """Quay's API test world (spec section 7): devtable, buynlarge, freshuser, reader, ...

    ``devtable`` is a superuser with FULL_ACCESS, owner of its namespace and admin of
    ``buynlarge``; ``freshuser`` has no permissions; ``reader`` reads ``devtable/simple``;
    ``globalreadonlysuperuser`` is a global read-only superuser. Each user's token is
    ``<user>-token`` with every scope. ``settings`` are merged into the document's settings.
    """
    document: dict[str, Any] = {
        "settings": {
            "super_users": ["devtable"],
            "global_readonly_super_users": ["globalreadonlysuperuser"],
            "features": {"SUPERUSERS_FULL_ACCESS": True},
            **settings,
        },
        "users": [
            {"username": name}
            for name in ("devtable", "freshuser", "reader", "globalreadonlysuperuser")
        ],
        "organizations": [
            {"name": "buynlarge", "teams": {"owners": {"role": "admin", "members": ["devtable"]}}}
        ],
        "robots": [
            {"name": "devtable+dtrobot"},
            {"name": "devtable+newmirrorbot"},
            {"name": "buynlarge+coolrobot"},
        ],
        "repositories": [
            {"name": "devtable/simple", "permissions": {"reader": "read"}},
            {"name": "buynlarge/orgrepo"},
        ],
        "tokens": [
            {"token": f"{name}-token", "user": name, "scopes": FULL_SCOPES}
            for name in ("devtable", "freshuser", "reader", "globalreadonlysuperuser")
        ],
        "mirrors": [copy.deepcopy(SETUP_MIRROR)] if mirror else [],
    }
    return document


def org_mirrored(document: dict[str, Any], org: str = "buynlarge") -> dict[str, Any]:
    """``document`` where ``org`` has an org mirror config (``org_mirrors:``), its robot
    ``<org>+coolrobot``: Quay's ``is_namespace_org_mirrored`` looks for such a row."""
    document.setdefault("org_mirrors", []).append(
        {
            "organization": org,
            "external_registry_type": "quay",
            "external_registry_url": "https://quay.io",
            "external_namespace": "projectx",
            "robot_username": f"{org}+coolrobot",
            "visibility": "private",
            "sync_interval": 3600,
            "sync_start_date": "2026-01-01T00:00:00Z",
        }
    )
    return document


def auth(user: str | None) -> dict[str, str]:
    """Headers of a request made with ``user``'s token (none for anonymous)."""
    return {} if user is None else {"Authorization": f"Bearer {user}-token"}


def build_app(document: dict[str, Any] | None = None, *, profile: str | None = None) -> Flask:
    """An app on ``document`` alone (no bundled fixtures), as Quay ``profile``.

    No sync worker runs unless the document's ``settings.worker`` turns it on.
    """
    app = create_app(Settings(profile=profile, default_fixtures=False, worker="off"))
    if document is not None:
        emulator_of(app).replace(document)
    return app


class Served:
    """``mockquay serve --port 0`` in a subprocess, and the JSON ready line it printed.

    The sync worker is off unless ``env`` or ``arguments`` say otherwise: on the real clock it
    would sync the bundled mirrors while a test looks at them.
    """

    def __init__(self, *arguments: str, env: dict | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "MOCKQUAY_WORKER": "off", **(env or {})},
        )
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(f"no ready line; stderr: {self.process.stderr.read()}")
        self.ready = json.loads(line)
        self.url = self.ready["url"]
        #: What the server printed on stderr, once it has stopped.
        self.stderr = ""

    def stop(self) -> int:
        """Stop the server with SIGTERM; its exit code (its stderr is kept in ``stderr``)."""
        self.process.send_signal(signal.SIGTERM)
        _, self.stderr = self.process.communicate(timeout=10)
        return self.process.returncode


#: A create body for the bundled fixtures' acme/etcd and acme/app repositories.
ACME_CREATE_BODY = {
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 3600,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    "robot_username": "acme+mirrorbot",
    "skopeo_timeout_interval": 300,
}


#: A fixture's mirror entry with only the keys a fixture must give.
MIRROR_ENTRY = {
    "repository": "acme/app",
    "external_reference": "quay.io/x/y",
    "sync_interval": 60,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest"]},
}
