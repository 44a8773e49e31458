"""Entity search as Quay's ``getMatchingEntities`` does it (``search.py EntitySearch``)."""

from __future__ import annotations

from typing import Any

from unidecode import unidecode

from mockquay.domain import avatars, namespace_roles
from mockquay.domain.context import Context
from mockquay.domain.keys import ORGANIZATIONS, ROBOTS, USERS
from mockquay.store import Transaction

#: ``get_matching_users(..., limit=10)`` and ``get_matching_teams`` (10).
MATCH_LIMIT = 10


def matching_entities(
    tx: Transaction,
    ctx: Context,
    prefix: str,
    *,
    namespace: str,
    include_teams: bool,
    include_orgs: bool,
) -> dict[str, Any]:
    """Teams, then users and robots, then the organization itself, matching ``prefix``.

    Robots are searched only in ``namespace`` when the caller is a member of that organization
    or is that user (with ``user:admin``). Quay's quirks are kept: with an organization
    ``namespace`` every user is reported ``is_org_member: true``, and ``includeOrgs`` lists the
    organization to any member, not only to admins.
    """
    caller = ctx.caller
    prefix = unidecode(prefix).replace(" ", "").lower()
    organization = tx.get(ORGANIZATIONS, namespace) if namespace else None
    robot_namespace = None
    teams: list[str] = []
    orgs: list[dict[str, Any]] = []
    if organization is not None:
        if namespace_roles.is_org_member(tx, caller, namespace):
            robot_namespace = namespace
            if include_teams:
                teams = [team for team in organization.get("teams", {}) if team.startswith(prefix)]
                teams = teams[:MATCH_LIMIT]
            if include_orgs and namespace.startswith(prefix):
                orgs = [
                    {
                        "name": namespace,
                        "kind": "org",
                        "is_org_member": True,
                        "avatar": avatars.for_org(organization),
                    }
                ]
    elif caller.username is not None and caller.username == namespace:
        if namespace_roles.user_role(caller, namespace) == "admin":
            robot_namespace = namespace
    results = [
        {"name": team, "kind": "team", "is_org_member": True, "avatar": avatars.for_team(team)}
        for team in teams
    ]
    for name, is_robot, avatar in _matching_users(tx, prefix, robot_namespace, organization):
        view = {"name": name, "kind": "user", "is_robot": is_robot, "avatar": avatar}
        if organization is not None:
            # Quay reads the membership from the robot flag's column: never null, so true.
            view["is_org_member"] = True
        results.append(view)
    return {"results": results + orgs}


def _matching_users(
    tx: Transaction, prefix: str, robot_namespace: str | None, organization: dict | None
) -> list[tuple[str, bool, dict[str, str]]]:
    """Quay's ``get_matching_users``: ``(name, is_robot, avatar)``, 10 at most.

    Quay first asks for one "exact" match, a query that also takes every robot matching the
    prefix, then for the rest. With an organization, robots come before users.
    """
    users = sorted(
        (user["username"], False, avatars.for_user(user))
        for _, user in tx.scan(USERS)
        if user["username"].startswith(prefix)
    )
    robots = []
    if robot_namespace is not None:
        robots = sorted(
            (robot["name"], True, avatars.for_robot(robot["name"]))
            for _, robot in tx.scan(ROBOTS)
            if robot["name"].startswith(f"{robot_namespace}+{prefix}")
        )
    ordered = robots + users if organization is not None else users + robots
    exact = [match for match in ordered if match[1] or match[0] == prefix][:1]
    return (exact + [match for match in ordered if match not in exact])[:MATCH_LIMIT]
