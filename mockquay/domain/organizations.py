"""Organizations: lookup and the view Quay's ``getOrganization`` gives (``organization.py``)."""

from __future__ import annotations

from typing import Any

from mockquay.domain import avatars, namespace_roles
from mockquay.domain.context import Context
from mockquay.domain.errors import DataModelException, NotFound
from mockquay.domain.keys import ORGANIZATIONS
from mockquay.domain.users import TAG_EXPIRATION_S
from mockquay.store import Transaction


def get_organization(tx: Transaction, name: str) -> dict[str, Any]:
    """Quay's ``model.organization.get_organization``: a missing one is a 400 DME."""
    org = tx.get(ORGANIZATIONS, name)
    if org is None:
        raise DataModelException(f"Organization does not exist: {name}")
    return org


def view_organization(tx: Transaction, ctx: Context, name: str) -> dict[str, Any]:
    """``getOrganization``: everyone sees the name; members see the teams, admins the rest."""
    org = tx.get(ORGANIZATIONS, name)
    if org is None:
        raise NotFound()
    caller = ctx.caller
    is_admin = namespace_roles.is_org_admin(tx, caller, name)
    is_member = namespace_roles.is_org_member(tx, caller, name)
    view: dict[str, Any] = {
        "name": name,
        "email": org.get("email", "") if is_admin else "",
        # Quay describes the organization with get_data_for_user: kind "user".
        "avatar": avatars.avatar(name, org.get("email"), "user"),
        "is_admin": is_admin,
        "is_member": is_member,
    }
    if is_member:
        teams = org.get("teams", {})
        view["teams"] = {
            team_name: _team_view(tx, ctx, name, team_name, team)
            for team_name, team in teams.items()
        }
        view["ordered_teams"] = list(teams)
    if is_admin:
        view.update(
            {
                "invoice_email": False,
                "invoice_email_address": None,
                "tag_expiration_s": TAG_EXPIRATION_S,
                "is_free_account": True,
            }
        )
    return view


def _team_view(
    tx: Transaction, ctx: Context, org_name: str, team_name: str, team: dict[str, Any]
) -> dict[str, Any]:
    return {
        "name": team_name,
        "description": team.get("description", ""),
        "role": team["role"],
        "avatar": avatars.for_team(team_name),
        "can_view": namespace_roles.can_view_team(tx, ctx.caller, org_name, team_name),
        # Fixtures give teams no repository permissions.
        "repo_count": 0,
        "member_count": len(team.get("members", ())),
        "is_synced": False,
    }
