"""The team operations of an organization (Quay's ``endpoints/api/team.py``): create or change a
team, delete it, list, add and remove its members."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mockquay.domain import audit, avatars, namespace_roles, permissions
from mockquay.domain.context import Context
from mockquay.domain.errors import (
    DataModelException,
    EmulatedCrash,
    InvalidRequest,
    NotFound,
    Unauthorized,
)
from mockquay.domain.keys import ORGANIZATIONS, ROBOTS, USERS
from mockquay.domain.teams import team_record
from mockquay.domain.users import get_organization, validate_username
from mockquay.store import Transaction


def _require_admin(tx: Transaction, ctx: Context, org_name: str) -> None:
    """``AdministerOrganizationPermission(orgname).can() or allow_if_superuser()``."""
    if not (
        namespace_roles.is_org_admin(tx, ctx.caller, org_name)
        or namespace_roles.allow_if_superuser(ctx.config, ctx.caller)
    ):
        raise Unauthorized()


def _team(tx: Transaction, org_name: str, team_name: str) -> tuple[dict, dict]:
    """The organization and its team; ``get_organization_team`` failing is a 404."""
    org = tx.get(ORGANIZATIONS, org_name)
    team = (org or {}).get("teams", {}).get(team_name)
    if org is None or team is None:
        raise NotFound()
    return org, team


def _admin_teams_of(org: Mapping[str, Any], username: str | None) -> list[str]:
    """``__get_user_admin_teams``: the admin teams of ``org`` that ``username`` is in."""
    return [
        name
        for name, team in org.get("teams", {}).items()
        if team["role"] == "admin" and username in team.get("members", ())
    ]


def team_view(
    tx: Transaction, ctx: Context, org_name: str, team_name: str, *, new_team: bool
) -> dict[str, Any]:
    """``team.py team_view``."""
    team = get_organization(tx, org_name)["teams"][team_name]
    return {
        "name": team_name,
        "description": team.get("description", ""),
        "can_view": namespace_roles.can_view_team(tx, ctx.caller, org_name, team_name),
        "role": team["role"],
        "avatar": avatars.for_team(team_name),
        "new_team": new_team,
    }


def update_team(
    tx: Transaction, ctx: Context, org_name: str, team_name: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """``updateOrganizationTeam``: create the team, or change its description and role.

    A new team is ``org_create_team``; a changed description ``org_set_team_description``; a
    changed role ``org_set_team_role``, refused when it would take the caller's last admin team.
    """
    _require_admin(tx, ctx, org_name)
    org = tx.get(ORGANIZATIONS, org_name)
    existing = (org or {}).get("teams", {}).get(team_name)
    if existing is None:
        problem = validate_username(team_name, "Team")
        if problem is not None:
            raise DataModelException(f"Invalid team name {team_name}: {problem}")
        org = get_organization(tx, org_name)
        org["teams"][team_name] = team_record(
            body.get("role", "member"), description=body.get("description", "")
        )
        tx.put(ORGANIZATIONS, org_name, org)
        audit.log_namespace_action(tx, ctx, org_name, "org_create_team", {"team": team_name})
        return team_view(tx, ctx, org_name, team_name, new_team=True)
    assert org is not None
    if "description" in body and existing.get("description", "") != body["description"]:
        existing["description"] = body["description"]
        tx.put(ORGANIZATIONS, org_name, org)
        audit.log_namespace_action(
            tx,
            ctx,
            org_name,
            "org_set_team_description",
            {"team": team_name, "description": body["description"]},
        )
    if "role" in body and existing["role"] != body["role"]:
        admin_teams = _admin_teams_of(org, ctx.caller.username)
        if existing["role"] == "admin" and team_name in admin_teams and len(admin_teams) <= 1:
            raise DataModelException(
                f"Cannot remove admin from team '{team_name}' because calling user would no "
                f"longer have admin on org '{org_name}'"
            )
        existing["role"] = body["role"]
        tx.put(ORGANIZATIONS, org_name, org)
        audit.log_namespace_action(
            tx, ctx, org_name, "org_set_team_role", {"team": team_name, "role": body["role"]}
        )
    return team_view(tx, ctx, org_name, team_name, new_team=False)


def delete_team(tx: Transaction, ctx: Context, org_name: str, team_name: str) -> None:
    """``deleteOrganizationTeam``: ``model.team.remove_team`` then ``org_delete_team``.

    Quay refuses to delete the caller's only admin team, and fails (an ``IndexError``) on an
    admin team when the caller is in no admin team at all, as a superuser may be.
    """
    _require_admin(tx, ctx, org_name)
    org = tx.get(ORGANIZATIONS, org_name)
    team = (org or {}).get("teams", {}).get(team_name)
    if org is None or team is None:
        raise DataModelException(f"Team '{team_name}' is not a team in org '{org_name}'")
    if team["role"] == "admin":
        admin_teams = _admin_teams_of(org, ctx.caller.username)
        if not admin_teams:
            raise EmulatedCrash("IndexError: list index out of range (remove_team)")
        if len(admin_teams) <= 1 and admin_teams[0] == team_name:
            raise DataModelException(
                f"Deleting team '{team_name}' would remove admin ability for user "
                f"'{ctx.caller.username}' in organization '{org_name}'"
            )
    del org["teams"][team_name]
    tx.put(ORGANIZATIONS, org_name, org)
    permissions.forget_team(tx, org_name, team_name)
    audit.log_namespace_action(tx, ctx, org_name, "org_delete_team", {"team": team_name})


def member_view(tx: Transaction, name: str, *, invited: bool = False) -> dict[str, Any]:
    """``team.py member_view`` of a user or robot."""
    user = tx.get(USERS, name)
    return {
        "name": name,
        "kind": "user",
        "is_robot": user is None,
        "avatar": avatars.for_robot(name) if user is None else avatars.for_user(user),
        "invited": invited,
    }


def list_members(tx: Transaction, ctx: Context, org_name: str, team_name: str) -> dict:
    """``getOrganizationTeamMembers``: team members, org admins and superusers (mockquay keeps
    no invites, so ``includePending`` adds none)."""
    caller, config = ctx.caller, ctx.config
    if not (
        namespace_roles.can_view_team(tx, caller, org_name, team_name)
        or namespace_roles.allow_if_superuser(ctx.config, ctx.caller)
        or namespace_roles.is_global_readonly_superuser(config, caller)
    ):
        raise Unauthorized()
    _, team = _team(tx, org_name, team_name)
    return {
        "name": team_name,
        "members": [member_view(tx, member) for member in team.get("members", ())],
        "can_edit": namespace_roles.is_org_admin(tx, caller, org_name),
    }


def _user_or_robot(tx: Transaction, name: str) -> bool:
    """``model.user.get_user``: a user or a robot, never an organization."""
    return tx.get(USERS, name) is not None or tx.get(ROBOTS, name) is not None


def add_member(
    tx: Transaction, ctx: Context, org_name: str, team_name: str, member: str
) -> dict[str, Any]:
    """``updateOrganizationTeamMember``: with mail off, Quay adds the member at once
    (``org_add_team_member``); an unknown name is ``Unknown user``."""
    _require_admin(tx, ctx, org_name)
    org, team = _team(tx, org_name, team_name)
    if not _user_or_robot(tx, member):
        raise InvalidRequest("Unknown user")
    if member in team["members"]:
        raise DataModelException(f"User {member} is already a member of team {team_name}")
    team["members"].append(member)
    tx.put(ORGANIZATIONS, org_name, org)
    audit.log_namespace_action(
        tx, ctx, org_name, "org_add_team_member", {"member": member, "team": team_name}
    )
    return member_view(tx, member)


def remove_member(
    tx: Transaction, ctx: Context, org_name: str, team_name: str, member: str
) -> None:
    """``deleteOrganizationTeamMember``: ``remove_user_from_team``, then
    ``org_remove_team_member``; no one removes themselves from their only admin team."""
    _require_admin(tx, ctx, org_name)
    org, team = _team(tx, org_name, team_name)
    if not _user_or_robot(tx, member):
        raise NotFound()
    if member not in team["members"]:
        raise DataModelException(f"User {member} does not belong to team {team_name}")
    if member == ctx.caller.username:
        admin_teams = _admin_teams_of(org, member)
        if team_name in admin_teams and len(admin_teams) <= 1:
            raise DataModelException("User cannot remove themselves from their only admin team.")
    team["members"].remove(member)
    tx.put(ORGANIZATIONS, org_name, org)
    audit.log_namespace_action(
        tx, ctx, org_name, "org_remove_team_member", {"member": member, "team": team_name}
    )
