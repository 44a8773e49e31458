"""``mockquay import``: an organization of a live Quay (its teams, robots, repositories and
their mirrors) as a fixture document, read with GET requests only."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mockquay.mirror_fields import MIRROR_FIELDS
from mockquay.parity.errors import ParityError
from mockquay.parity.exchange import Request, Target, query_string
from mockquay.parity.record import dump
from mockquay.parity.verify import (
    FULL_SCOPES,
    check_namespace,
    discovery_of,
    profile_from_discovery,
    username_of,
)

#: How a secret that Quay does not show starts in the imported document: replace it.
PLACEHOLDER = "imported-placeholder-"


def placeholder(what: str) -> str:
    """The marked stand-in for a secret the import could not read."""
    return PLACEHOLDER + what


def _get(target: Target, path: str, query: Mapping[str, Any] | None = None) -> Any:
    """The JSON answer of a GET, or None when the target does not answer 200 with JSON."""
    answer = target.send(Request("GET", path, query=query_string(query or {})))
    return answer.json() if answer.status == 200 else None


def import_document(url: str, token: str, namespace: str) -> dict[str, Any]:
    """The fixture document of ``namespace`` on the Quay at ``url``."""
    target = Target(url, {"main": token})
    try:
        profile, _ = profile_from_discovery(discovery_of(target))
        user = username_of(target)
        check_namespace(target, namespace)
        return _document(target, profile, user, namespace)
    finally:
        target.close()


def _document(target: Target, profile: str, user: str, namespace: str) -> dict[str, Any]:
    me = _get(target, "/api/v1/user/") or {}
    org = _get(target, f"/api/v1/organization/{namespace}") or {}
    users = {user: {"username": user, **({"email": me["email"]} if me.get("email") else {})}}
    teams: dict[str, Any] = {}
    for name, team in (org.get("teams") or {}).items():
        members = _team_members(target, namespace, name)
        if members is None:
            # Quay shows who is in a team only to its readers: the caller stands for the owners.
            members = [user] if team.get("role") == "admin" and org.get("is_admin") else []
        for member in members:
            users.setdefault(member, {"username": member})
        teams[name] = {"role": team.get("role", "member"), "members": members}
    organization: dict[str, Any] = {"name": namespace, "teams": teams}
    if org.get("email"):
        organization["email"] = org["email"]
    robots = [_robot(robot) for robot in _robots(target, namespace)]
    names = set(users) | {robot["name"] for robot in robots}
    repositories, mirrors = [], []
    for repo in _repositories(target, namespace):
        full_name = f"{namespace}/{repo['name']}"
        entry: dict[str, Any] = {
            "name": full_name,
            "visibility": "public" if repo.get("is_public") else "private",
            "description": repo.get("description") or "",
            "kind": repo.get("kind", "image"),
            "state": repo.get("state", "NORMAL"),
        }
        permissions = _permissions(target, full_name, names)
        if permissions:
            entry["permissions"] = permissions
        repositories.append(entry)
        mirror = _get(target, f"/api/v1/repository/{quote(full_name)}/mirror")
        if isinstance(mirror, dict):
            mirrors.append(_mirror(full_name, mirror))
    return {
        "settings": {"profile": profile},
        "users": list(users.values()),
        "organizations": [organization],
        "robots": robots,
        "repositories": repositories,
        "tokens": [{"token": placeholder(f"token-of-{user}"), "user": user, "scopes": FULL_SCOPES}],
        "mirrors": mirrors,
    }


def _team_members(target: Target, namespace: str, team: str) -> list[str] | None:
    body = _get(target, f"/api/v1/organization/{namespace}/team/{quote(team)}/members")
    if not isinstance(body, dict):
        return None
    return [m["name"] for m in body.get("members") or () if m.get("kind") == "user"]


def _robots(target: Target, namespace: str) -> list[dict[str, Any]]:
    body = _get(target, f"/api/v1/organization/{namespace}/robots", {"token": "false"})
    return list(body.get("robots") or ()) if isinstance(body, dict) else []


def _robot(robot: Mapping[str, Any]) -> dict[str, Any]:
    """A robot entry; its token is left out (mockquay makes a stable one)."""
    entry: dict[str, Any] = {"name": robot["name"], "description": robot.get("description") or ""}
    created = robot.get("created")
    if created:
        try:
            entry["created"] = parsedate_to_datetime(created).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (TypeError, ValueError):
            pass
    return entry


def _repositories(target: Target, namespace: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    query: dict[str, Any] = {"namespace": namespace}
    while True:
        body = _get(target, "/api/v1/repository", query)
        if not isinstance(body, dict):
            raise ParityError(f"cannot list the repositories of {namespace!r}")
        found += body.get("repositories") or []
        if not body.get("next_page"):
            return found
        query = {"namespace": namespace, "next_page": body["next_page"]}


def _permissions(target: Target, repository: str, known: set[str]) -> dict[str, str]:
    """The direct user and robot roles on ``repository`` that the target shows."""
    body = _get(target, f"/api/v1/repository/{quote(repository)}/permissions/user/")
    if not isinstance(body, dict):
        return {}
    return {
        name: permission["role"]
        for name, permission in (body.get("permissions") or {}).items()
        if name in known and isinstance(permission, dict) and "role" in permission
    }


def _mirror(repository: str, view: Mapping[str, Any]) -> dict[str, Any]:
    """A mirror entry from GET's view; the password Quay never shows becomes a placeholder."""
    entry: dict[str, Any] = {"repository": repository}
    for field in MIRROR_FIELDS:
        if field.fixture and field.name in view:
            entry[field.name] = view[field.name]
    if entry.get("external_registry_username") is not None:
        entry["external_registry_password"] = placeholder(f"password-of-{repository}")
    return entry


def import_text(url: str, token: str, namespace: str, out: str | None) -> str:
    """The imported document as YAML (or JSON for a ``.json`` ``out``), written to ``out``."""
    document = import_document(url, token, namespace)
    path = Path(out or "imported.yaml")
    text = dump(document, path)
    if path.suffix != ".json":
        text = (
            f"# mockquay import of organization {namespace} from {url}\n"
            f"# Values starting {PLACEHOLDER} stand for secrets Quay does not show.\n" + text
        )
    if out is not None:
        path.write_text(text, encoding="utf-8")
    return text
