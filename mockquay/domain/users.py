"""Users: who a token belongs to, as Quay's ``getLoggedInUser`` describes it (``user.py``), and
the lookup of an organization, which Quay keeps as a ``User`` row too."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mockquay.domain import avatars, namespace_roles
from mockquay.domain.context import Context
from mockquay.domain.errors import Abort, DataModelException, Unauthorized
from mockquay.domain.identity import Caller
from mockquay.domain.keys import ORGANIZATIONS, USERS
from mockquay.store import Transaction

#: Quay's ``DEFAULT_TAG_EXPIRATION`` (2 weeks), in seconds: every namespace's tag expiration.
TAG_EXPIRATION_S = 1209600

#: Quay's ``VALID_USERNAME_REGEX`` and length bounds (``util/validation.py``); team names
#: follow the same rule (``model.team.validate_team_name``).
VALID_USERNAME = re.compile(r"^([a-z0-9]+(?:[._-][a-z0-9]+)*)$")
MIN_USERNAME_LENGTH = 2
MAX_USERNAME_LENGTH = 255


def validate_username(name: str, kind: str = "Namespace") -> str | None:
    """Quay's ``validate_username`` (``kind`` ``Team``: ``validate_team_name``): None if
    valid, else the reason."""
    if not VALID_USERNAME.match(name):
        return "Namespace must match expression " + VALID_USERNAME.pattern
    if not MIN_USERNAME_LENGTH <= len(name) <= MAX_USERNAME_LENGTH:
        return (
            f"{kind} must be between {MIN_USERNAME_LENGTH} and {MAX_USERNAME_LENGTH} "
            "characters in length"
        )
    return None


_USER_ROLES_AT_LEAST = {"read": ("read", "admin"), "admin": ("admin",)}


def user_record(
    username: str, *, email: str, enabled: bool = True, starred: Iterable[str] = ()
) -> dict[str, Any]:
    """A user as the store keeps it; ``enabled`` only once a superuser disabled it, ``starred``
    (repository names) once it starred one."""
    record: dict[str, Any] = {"username": username, "email": email}
    if not enabled:
        record["enabled"] = False
    if starred:
        record["starred"] = list(starred)
    return record


def require_user_permission(caller: Caller, role: str) -> None:
    """Quay's ``require_user_<role>()``: raise Unauthorized unless the caller has ``role`` on
    its own account (401 when anonymous, else 403)."""
    if not caller.authenticated:
        raise Unauthorized()
    if namespace_roles.user_role(caller, caller.username) not in _USER_ROLES_AT_LEAST[role]:
        raise Unauthorized()


def user_organizations(tx: Transaction, username: str) -> list[dict[str, Any]]:
    """The organizations with a team that ``username`` is in, by name."""
    return sorted(
        (
            org
            for _, org in tx.scan(ORGANIZATIONS)
            if any(username in team.get("members", ()) for team in org.get("teams", {}).values())
        ),
        key=lambda org: org["name"],
    )


def logged_in_user(tx: Transaction, ctx: Context) -> dict[str, Any] | None:
    """``getLoggedInUser``: Quay's ``user_view`` of the caller, or None when Quay answers 401.

    Quay answers 401 for an anonymous caller and for a token without a ``user:`` scope.
    """
    caller = ctx.caller
    user = tx.get(USERS, caller.username) if caller.username is not None else None
    if user is None or namespace_roles.user_role(caller, caller.username) is None:
        return None
    return user_view(tx, ctx, user)


def user_information(tx: Transaction, ctx: Context, username: str) -> dict[str, Any]:
    """``getUserInformation``: ``user_view`` of any user; none of that name is ``abort(404)``."""
    user = tx.get(USERS, username)
    if user is None:
        raise Abort(404)
    return user_view(tx, ctx, user)


def user_view(tx: Transaction, ctx: Context, user: dict[str, Any]) -> dict[str, Any]:
    """Quay's ``user_view``: the account's details for its own admin, its organizations for its
    own reader, and ``super_user`` to superusers (true only of themselves)."""
    caller = ctx.caller
    role = namespace_roles.user_role(caller, user["username"])
    is_admin = role == "admin"
    view: dict[str, Any] = {
        "anonymous": False,
        "username": user["username"],
        "avatar": avatars.for_user(user),
    }
    if is_admin:
        view.update(
            {
                "can_create_repo": True,
                "is_me": True,
                "verified": True,
                "email": user["email"],
                "logins": [],
                "invoice_email": False,
                "invoice_email_address": None,
                "preferred_namespace": False,
                "tag_expiration_s": TAG_EXPIRATION_S,
                "prompts": [],
                "company": None,
                "family_name": None,
                "given_name": None,
                "location": None,
                "is_free_account": True,
                "has_password_set": True,
            }
        )
    if role is not None:
        view["organizations"] = [
            _organization_view(tx, caller, org, user_admin=is_admin)
            for org in user_organizations(tx, user["username"])
        ]
    if namespace_roles.is_superuser(ctx.config, caller):
        view["super_user"] = caller.username == user["username"]
    return view


def _organization_view(
    tx: Transaction, caller: Caller, org: dict[str, Any], *, user_admin: bool
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": org["name"],
        "avatar": avatars.for_org(org),
        "can_create_repo": namespace_roles.can_create_repo(tx, caller, org["name"]),
        "public": False,
    }
    if user_admin:
        view["is_org_admin"] = namespace_roles.is_org_admin(tx, caller, org["name"])
        view["preferred_namespace"] = False
    return view


def get_organization(tx: Transaction, name: str) -> dict[str, Any]:
    """Quay's ``model.organization.get_organization``: a missing one is a 400 DME."""
    org = tx.get(ORGANIZATIONS, name)
    if org is None:
        raise DataModelException(f"Organization does not exist: {name}")
    return org
