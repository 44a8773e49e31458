"""Organizations as Quay's ``endpoints/api/organization.py`` and ``model.organization`` keep
them: create, view, change, delete.

An organization is stored under its name (kind ``organizations``): ``{name, email, teams,
org_mirror}``, and the details ``changeOrganizationDetails`` set (``invoice_email``,
``invoice_email_address``, ``tag_expiration_s``) once set.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from mockquay.domain import audit, avatars, namespace_roles
from mockquay.domain.context import Context
from mockquay.domain.errors import DataModelException, InvalidRequest, NotFound, Unauthorized

__all__ = [
    "change_organization",
    "create_organization",
    "delete_organization",
    "get_organization",
    "organization_record",
    "view_organization",
]
from mockquay.domain.identity import is_superuser
from mockquay.domain.keys import ORGANIZATIONS, USERS
from mockquay.domain.namespaces import delete_namespace
from mockquay.domain.teams import team_record
from mockquay.domain.users import TAG_EXPIRATION_S, get_organization, validate_username
from mockquay.store import Transaction

#: The details ``changeOrganizationDetails`` sets, and their values until it does.
DETAILS: dict[str, Any] = {
    "invoice_email": False,
    "invoice_email_address": None,
    "tag_expiration_s": TAG_EXPIRATION_S,
}

#: Quay's default ``TAG_EXPIRATION_OPTIONS`` (``0s``, ``1d``, ``1w``, ``2w``, ``4w``) in seconds.
TAG_EXPIRATION_OPTIONS = (0, 86400, 604800, 1209600, 2419200)

NAME_TAKEN = "A user or organization with this name already exists"


def organization_record(
    name: str,
    *,
    email: str,
    teams: Mapping[str, Any],
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An organization as the store keeps it; ``details`` holds only what was set."""
    record = {"name": name, "email": email, "teams": dict(teams)}
    record.update({key: value for key, value in (details or {}).items() if key in DETAILS})
    return record


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
        view.update({key: org.get(key, default) for key, default in DETAILS.items()})
        view["is_free_account"] = True
    return view


def _administers(tx: Transaction, ctx: Context, name: str) -> bool:
    """``AdministerOrganizationPermission(orgname).can() or
    allow_if_superuser_with_full_access()``."""
    return namespace_roles.is_org_admin(
        tx, ctx.caller, name
    ) or namespace_roles.is_full_access_superuser(ctx.config, ctx.caller)


def create_organization(tx: Transaction, ctx: Context, body: Mapping[str, Any]) -> None:
    """``createOrganization``: with ``SUPERUSERS_ORG_CREATION_ONLY``, a superuser (a global
    read-only one is none), then a free name, then ``create_organization``: the org with an
    ``owners`` admin team holding the caller, and ``org_create``.

    mockquay is a Quay with ``FEATURE_MAILING`` off: no e-mail is required, and an org created
    without one gets a random one, as ``create_user_noverify`` gives it.
    """
    if ctx.config.feature("SUPERUSERS_ORG_CREATION_ONLY") and not is_superuser(
        ctx.config, ctx.caller
    ):
        raise Unauthorized()
    name = body["name"]
    if tx.get(ORGANIZATIONS, name) is not None or tx.get(USERS, name) is not None:
        raise InvalidRequest(NAME_TAKEN)
    problem = validate_username(name)
    if problem is not None:
        raise InvalidRequest(f"Invalid namespace {name}: {problem}")
    owners = team_record("admin", members=[ctx.caller.username or ""])
    record = organization_record(
        name, email=body.get("email") or str(uuid.uuid4()), teams={"owners": owners}
    )
    tx.put(ORGANIZATIONS, name, record)
    audit.log_namespace_action(
        tx, ctx, name, "org_create", {"email": body.get("email"), "namespace": name}
    )


def change_organization(
    tx: Transaction, ctx: Context, name: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """``changeOrganizationDetails``: each detail sent and changed is set and logged, in Quay's
    order; the answer is the organization's view."""
    if not _administers(tx, ctx, name):
        raise Unauthorized()
    org = tx.get(ORGANIZATIONS, name)
    if org is None:
        raise NotFound()

    def log(kind: str, metadata: dict[str, Any]) -> None:
        audit.log_namespace_action(tx, ctx, name, kind, metadata)

    if "invoice_email" in body:
        org["invoice_email"] = body["invoice_email"]
        log("org_change_invoicing", {"invoice_email": body["invoice_email"], "namespace": name})
    address = body.get("invoice_email_address")
    if "invoice_email_address" in body and address != org.get("invoice_email_address"):
        # Quay nulls out an empty address.
        org["invoice_email_address"] = address or None
        log("org_change_invoicing", {"invoice_email_address": address, "namespace": name})
    if "email" in body and body["email"] != org["email"]:
        if any(user["email"] == body["email"] for _, user in tx.scan(USERS)):
            tx.put(ORGANIZATIONS, name, org)
            raise InvalidRequest("E-mail address already used")
        old_email, org["email"] = org["email"], body["email"]
        log("org_change_email", {"email": body["email"], "namespace": name, "old_email": old_email})
    if "tag_expiration_s" in body:
        if body["tag_expiration_s"] not in TAG_EXPIRATION_OPTIONS:
            tx.put(ORGANIZATIONS, name, org)
            raise DataModelException("Invalid tag expiration option")
        org["tag_expiration_s"] = body["tag_expiration_s"]
        log(
            "org_change_tag_expiration",
            {"tag_expiration": body["tag_expiration_s"], "namespace": name},
        )
    tx.put(ORGANIZATIONS, name, org)
    return view_organization(tx, ctx, name)


def delete_organization(tx: Transaction, ctx: Context, name: str) -> None:
    """``deleteAdminedOrganization``: ``org_delete``, then the namespace goes with all it holds."""
    if not _administers(tx, ctx, name):
        raise Unauthorized()
    if tx.get(ORGANIZATIONS, name) is None:
        raise NotFound()
    audit.log_namespace_action(tx, ctx, name, "org_delete", {"namespace": name})
    delete_namespace(tx, name)


def superuser_organization_view(org: Mapping[str, Any]) -> dict[str, Any]:
    """``superuser.py`` ``Organization.to_dict``."""
    return {"name": org["name"], "email": org["email"], "avatar": avatars.for_org(org)}


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
