"""The source registry of an org mirror, as Quay's adapters see it (``util/orgmirror``).

A ``registries:`` entry with ``api: quay`` answers Quay's API v1 (``QuayAdapter``: the
password is a bearer token, ``/api/v1/organization/{ns}``, ``/api/v1/repository?namespace=``),
one with ``api: harbor`` Harbor's API v2.0 (``HarborAdapter``: basic auth,
``/api/v2.0/projects/{p}/repositories``). A namespace (project) is there when some repository
path starts with it; its repositories are the paths under it, the prefix stripped. A registry
with ``auth`` wants its password as the token (Quay) or its credentials (Harbor); without
credentials a Quay source lists only public repositories, and such a registry has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from mockquay.domain.keys import REGISTRIES
from mockquay.store import Documents

API_KINDS = ("quay", "harbor")


@dataclass(frozen=True)
class Discovery:
    """What the adapter's ``list_repositories`` gave: the names, or the error's text."""

    names: tuple[str, ...] = ()
    error: str | None = None


def _registry(tx: Documents, config: Mapping[str, Any]) -> tuple[str, dict[str, Any] | None]:
    parsed = urlparse(config["external_registry_url"])
    host = parsed.netloc.lower()
    return host, tx.get(REGISTRIES, host)


def _transport_error(
    host: str, registry: Mapping[str, Any] | None, config: Mapping[str, Any]
) -> str | None:
    """What ``requests`` raises before any answer (None: the registry answers)."""
    if registry is None:
        return f"Connection error: Failed to resolve '{host}'"
    if registry["tls"] == "unreachable":
        return f"Connection error: Failed to establish a new connection to {host}"
    verify = (config.get("external_registry_config") or {}).get("verify_tls", True)
    if registry["tls"] == "self-signed" and verify is not False:
        return "SSL error: certificate verify failed: self-signed certificate"
    return None


def _names(registry: Mapping[str, Any], namespace: str) -> list[str] | None:
    """The repository names under ``namespace`` (None: no such namespace)."""
    prefix = f"{namespace}/"
    names = [path[len(prefix) :] for path in registry["repositories"] if path.startswith(prefix)]
    return sorted(names) if names else None


def _authorized(registry: Mapping[str, Any], config: Mapping[str, Any]) -> bool | None:
    """True: the credentials are the registry's; False: refused (401); None: anonymous."""
    auth = registry.get("auth")
    username = config.get("external_registry_username")
    password = config.get("external_registry_password")
    if registry.get("api") == "quay":
        if not password:
            return None
        return auth is not None and password == auth["password"]
    if not (username and password):
        return None if auth is None else False
    return auth is None or (username, password) == (auth["username"], auth["password"])


def test_connection(tx: Documents, config: Mapping[str, Any]) -> tuple[bool, str]:
    """The adapter's ``test_connection()``: ``(success, message)``."""
    host, registry = _registry(tx, config)
    failure = _transport_error(host, registry, config)
    if failure is not None:
        return False, failure
    assert registry is not None, "a missing registry is a transport error"
    namespace = config["external_namespace"]
    kind = config["external_registry_type"]
    if registry.get("api") != kind:
        return False, "Unexpected response: 404"
    authorized = _authorized(registry, config)
    if authorized is False:
        if kind == "quay":
            return False, "Authentication failed: invalid API token or credentials"
        return False, "Authentication failed"
    if _names(registry, namespace) is None:
        return False, (
            f"Namespace '{namespace}' not found"
            if kind == "quay"
            else f"Project '{namespace}' not found"
        )
    return True, "Connection successful"


def list_repositories(tx: Documents, config: Mapping[str, Any]) -> Discovery:
    """The adapter's ``list_repositories()``, every page followed."""
    host, registry = _registry(tx, config)
    failure = _transport_error(host, registry, config)
    if failure is not None:
        return Discovery(error=failure)
    assert registry is not None, "a missing registry is a transport error"
    namespace = config["external_namespace"]
    kind = config["external_registry_type"]
    not_found = (
        f"Namespace '{namespace}' not found on Quay registry"
        if kind == "quay"
        else f"Project '{namespace}' not found on Harbor registry"
    )
    if registry.get("api") != kind:
        return Discovery(error=not_found)
    authorized = _authorized(registry, config)
    if authorized is False:
        return Discovery(error="Authentication failed: invalid credentials")
    names = _names(registry, namespace)
    if names is None:
        return Discovery(error=not_found)
    if authorized is None and registry.get("auth") is not None:
        return Discovery(())
    return Discovery(tuple(names))
