"""Robot accounts of users and organizations (Quay's ``robot.py`` and ``model.user`` robots).

A robot is stored under its full name ``<namespace>+<short name>`` (kind ``robots``):
``{name, description, token, created, unstructured_metadata}``, and ``federation`` (its
``[{issuer, subject}]``) once it has one.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mockquay.domain import audit, avatars, namespace_roles, teams
from mockquay.domain.context import Context
from mockquay.domain.dates import format_rfc2822, load_date, store_date
from mockquay.domain.errors import DataModelException, InvalidRequest, Unauthorized
from mockquay.domain.keys import MIRRORS, REPOSITORIES, ROBOTS
from mockquay.domain.users import get_organization, validate_username
from mockquay.store import Transaction

TOKEN_ALPHABET = string.ascii_uppercase + string.digits
TOKEN_LENGTH = 64

ROBOT_NOT_FOUND = "Could not find robot with specified username"
ROBOT_USED_BY_MIRROR = "Robot is being used by a mirror"


def lookup_robot(tx: Transaction, robot_name: str) -> dict[str, Any]:
    """Quay's ``lookup_robot``: a missing robot is a 400 DME."""
    robot = tx.get(ROBOTS, robot_name)
    if robot is None:
        raise DataModelException(ROBOT_NOT_FOUND)
    return robot


def robot_view(
    robot: Mapping[str, Any], *, include_metadata: bool = False, include_token: bool = False
) -> dict[str, Any]:
    """``Robot.to_dict``: RFC 2822 ``created``; the token and metadata only when asked."""
    view: dict[str, Any] = {
        "name": robot["name"],
        "created": format_rfc2822(load_date(robot["created"])),
        "last_accessed": None,
        "description": robot.get("description", ""),
    }
    if include_token:
        view["token"] = robot["token"]
    if include_metadata:
        view["unstructured_metadata"] = robot.get("unstructured_metadata") or {}
    return view


def list_robots(
    tx: Transaction,
    namespace: str,
    *,
    include_token: bool,
    include_permissions: bool,
    limit: int | None,
) -> dict[str, Any]:
    """Quay's ``robots_list``: the robots of ``namespace``, by name.

    With permissions, each robot also lists the teams of ``namespace`` it is a member of, in
    the organization's team order, and the names of the repositories it has a role on.
    """
    robots = sorted(
        (robot for key, robot in tx.scan(ROBOTS) if key.startswith(f"{namespace}+")),
        key=lambda robot: robot["name"],
    )
    if limit is not None:
        robots = robots[: max(limit, 0)]
    repositories = _repositories_by_robot(tx) if include_permissions else {}
    views = []
    for robot in robots:
        if not include_permissions:
            views.append(robot_view(robot, include_token=include_token))
            continue
        view = {
            "name": robot["name"],
            "created": format_rfc2822(load_date(robot["created"])),
            "last_accessed": None,
            "teams": [
                {"name": team, "avatar": avatars.for_team(team)}
                for team in teams.teams_with_member(tx, namespace, robot["name"])
            ],
            "repositories": repositories.get(robot["name"], []),
            "description": robot.get("description", ""),
        }
        if include_token:
            view["token"] = robot["token"]
        views.append(view)
    return {"robots": views}


def _repositories_by_robot(tx: Transaction) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for _, repo in sorted(tx.scan(REPOSITORIES), key=lambda item: item[0]):
        for who in repo.get("permissions", {}):
            if "+" in who and repo["name"] not in found.setdefault(who, []):
                found[who].append(repo["name"])
    return found


def robot_record(
    name: str,
    *,
    description: str,
    token: str,
    created: datetime,
    unstructured_metadata: Mapping[str, Any] | None,
    federation: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """A robot as the store keeps it (``name`` is ``namespace+short``), keys in its order."""
    record: dict[str, Any] = {
        "name": name,
        "description": description,
        "token": token,
        "created": store_date(created),
        "unstructured_metadata": dict(unstructured_metadata or {}),
    }
    if federation:
        record["federation"] = [dict(entry) for entry in federation]
    return record


def create_robot(
    tx: Transaction, ctx: Context, namespace: str, short_name: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Quay's ``create_robot``: 400 ApiError for an invalid or taken name.

    Returns the new robot as Quay answers it: with its token, and with the body's
    ``unstructured_metadata`` as sent (null when absent, though ``{}`` is stored).
    """
    problem = validate_username(short_name)
    if problem is not None:
        raise InvalidRequest(f"The name for the robot '{short_name}' is invalid: {problem}")
    name = f"{namespace}+{short_name}"
    if tx.get(ROBOTS, name) is not None:
        raise InvalidRequest(f"Existing robot with name: {name}")
    robot = robot_record(
        name,
        description=(body.get("description") or "")[:255],
        token="".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH)),
        created=ctx.now,
        unstructured_metadata=body.get("unstructured_metadata"),
    )
    tx.put(ROBOTS, name, robot)
    view = robot_view(robot, include_metadata=True, include_token=True)
    view["unstructured_metadata"] = body.get("unstructured_metadata")
    return view


def delete_robot(tx: Transaction, namespace: str, short_name: str) -> None:
    """``deleteUserRobot`` / ``deleteOrgRobot``: refused while a mirror uses the robot.

    The robot's repository permissions go with it.
    """
    name = f"{namespace}+{short_name}"
    lookup_robot(tx, name)
    if any(mirror.get("robot_username") == name for _, mirror in tx.scan(MIRRORS)):
        raise InvalidRequest(ROBOT_USED_BY_MIRROR)
    tx.delete(ROBOTS, name)
    for key, repo in tx.scan(REPOSITORIES):
        if name in repo.get("permissions", {}):
            del repo["permissions"][name]
            tx.put(REPOSITORIES, key, repo)


def can_administer_org_robots(tx: Transaction, ctx: Context, org_name: str) -> bool:
    """``AdministerOrganizationPermission`` or ``allow_if_superuser_with_full_access``."""
    return namespace_roles.is_org_admin(
        tx, ctx.caller, org_name
    ) or namespace_roles.is_full_access_superuser(ctx.config, ctx.caller)


def list_org_robots(
    tx: Transaction,
    ctx: Context,
    org_name: str,
    *,
    token: bool,
    permissions: bool,
    limit: int | None,
) -> dict[str, Any]:
    """``getOrgRobots``: members list; tokens for admins, permissions also for read-only su."""
    caller, config = ctx.caller, ctx.config
    full_access = namespace_roles.is_full_access_superuser(config, caller)
    readonly = namespace_roles.is_global_readonly_superuser(config, caller)
    if not (namespace_roles.is_org_member(tx, caller, org_name) or readonly or full_access):
        raise Unauthorized()
    is_admin = namespace_roles.is_org_admin(tx, caller, org_name)
    return list_robots(
        tx,
        org_name,
        include_token=(is_admin or full_access) and token,
        include_permissions=(is_admin or full_access or readonly) and permissions,
        limit=limit,
    )


def view_org_robot(tx: Transaction, ctx: Context, org_name: str, short_name: str) -> dict:
    """``getOrgRobot``: admins and full-access superusers see the token."""
    caller, config = ctx.caller, ctx.config
    is_admin = namespace_roles.is_org_admin(tx, caller, org_name)
    full_access = namespace_roles.is_full_access_superuser(config, caller)
    readonly = namespace_roles.is_global_readonly_superuser(config, caller)
    if not (is_admin or full_access or readonly):
        raise Unauthorized()
    get_organization(tx, org_name)
    robot = lookup_robot(tx, f"{org_name}+{short_name}")
    return robot_view(robot, include_metadata=True, include_token=is_admin or full_access)


def create_org_robot(
    tx: Transaction, ctx: Context, org_name: str, short_name: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """``createOrgRobot``: org admins and full-access superusers."""
    if not can_administer_org_robots(tx, ctx, org_name):
        raise Unauthorized()
    get_organization(tx, org_name)
    return create_robot(tx, ctx, org_name, short_name, body)


def delete_org_robot(tx: Transaction, ctx: Context, org_name: str, short_name: str) -> None:
    """``deleteOrgRobot``: org admins and full-access superusers."""
    if not can_administer_org_robots(tx, ctx, org_name):
        raise Unauthorized()
    delete_robot(tx, org_name, short_name)


FEDERATION_MISSING_FIELDS = "Missing one or more required fields (issuer, subject)"


def _require_federation_admin(
    tx: Transaction, ctx: Context, org_name: str, *, reading: bool = False
) -> None:
    """``OrgRobotFederation``'s check: an org admin or ``allow_if_superuser()``; a global
    read-only superuser may read."""
    caller, config = ctx.caller, ctx.config
    if not (
        namespace_roles.is_org_admin(tx, caller, org_name)
        or namespace_roles.allow_if_superuser(config, caller)
        or (reading and namespace_roles.is_global_readonly_superuser(config, caller))
    ):
        raise Unauthorized()


def view_org_robot_federation(
    tx: Transaction, ctx: Context, org_name: str, short_name: str
) -> list[dict[str, str]]:
    """``getOrgRobotFederation``: the robot's ``[{issuer, subject}]``."""
    _require_federation_admin(tx, ctx, org_name, reading=True)
    return list(lookup_robot(tx, f"{org_name}+{short_name}").get("federation", []))


def _federation_config(body: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``OrgRobotFederation._parse_federation_config``: 400 for an empty field, an issuer that
    is not an http(s) URL, or an entry given twice."""
    config: list[dict[str, str]] = []
    for item in body:
        issuer, subject = item.get("issuer"), item.get("subject")
        if not issuer or not subject:
            raise InvalidRequest(FEDERATION_MISSING_FIELDS)
        if not issuer.startswith(("http://", "https://")):
            raise InvalidRequest("Issuer must be a URL (http:// or https://)")
        entry = {"issuer": issuer, "subject": subject}
        if entry in config:
            raise InvalidRequest("Duplicate federation config entry")
        config.append(entry)
    return config


def _store_federation(tx: Transaction, robot: Mapping[str, Any], config: list) -> None:
    record = {key: value for key, value in robot.items() if key != "federation"}
    if config:
        record["federation"] = config
    tx.put(ROBOTS, robot["name"], record)


def set_org_robot_federation(
    tx: Transaction,
    ctx: Context,
    org_name: str,
    short_name: str,
    body: Sequence[Mapping[str, Any]],
) -> list[dict[str, str]]:
    """``createOrgRobotFederation``: replace the robot's federation; logs
    ``create_robot_federation``."""
    _require_federation_admin(tx, ctx, org_name)
    config = _federation_config(body)
    _store_federation(tx, lookup_robot(tx, f"{org_name}+{short_name}"), config)
    audit.log_namespace_action(
        tx, ctx, org_name, "create_robot_federation", {"config": config, "robot": short_name}
    )
    return config


def delete_org_robot_federation(
    tx: Transaction, ctx: Context, org_name: str, short_name: str
) -> None:
    """``deleteOrgRobotFederation``: logs ``delete_robot_federation``."""
    _require_federation_admin(tx, ctx, org_name)
    _store_federation(tx, lookup_robot(tx, f"{org_name}+{short_name}"), [])
    audit.log_namespace_action(tx, ctx, org_name, "delete_robot_federation", {"robot": short_name})
