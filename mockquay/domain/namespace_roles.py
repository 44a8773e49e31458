"""The roles Quay grants a caller on namespaces, teams and its own account.

``auth/permissions.py`` gives a token's user an ``_OrganizationNeed`` per namespace (its own,
and each organization through its teams), a ``_TeamNeed`` per team and a ``_UserNeed`` on its
own account. Each role is capped by the token's scopes (``_translate_role_for_scopes``): a
token without ``org:admin`` is no organization admin, whatever team it is in. Repository roles
are ``identity.repository_role``.
"""

from __future__ import annotations

from collections.abc import Mapping

from mockquay.domain import identity
from mockquay.domain.config import QuayConfig
from mockquay.domain.identity import Caller
from mockquay.domain.keys import ORGANIZATIONS
from mockquay.store import Transaction

TEAM_ROLES = (None, "member", "creator", "admin")
USER_ROLES = (None, "read", "admin")

#: ``SCOPE_MAX_TEAM_ROLES`` and ``SCOPE_MAX_USER_ROLES``.
SCOPE_MAX_TEAM_ROLES = {
    "repo:create": "creator",
    "direct_user_login": "admin",
    "org:admin": "admin",
}
SCOPE_MAX_USER_ROLES = {"user:read": "read", "direct_user_login": "admin", "user:admin": "admin"}


def _for_scopes(
    caller: Caller, role: str | None, roles: tuple[str | None, ...], max_roles: Mapping[str, str]
) -> str | None:
    """Quay's ``_translate_role_for_scopes``: ``role``, lowered to what the scopes allow."""
    allowed = max((roles.index(max_roles.get(scope)) for scope in caller.scopes), default=0)
    return role if roles.index(role) <= allowed else roles[allowed]


def _higher(a: str | None, b: str | None) -> str | None:
    return a if TEAM_ROLES.index(a) >= TEAM_ROLES.index(b) else b


def user_role(caller: Caller, username: str | None) -> str | None:
    """The caller's role on the account ``username``: its own, as far as ``user:`` scopes go."""
    if caller.username is None or caller.username != username:
        return None
    return _for_scopes(caller, "admin", USER_ROLES, SCOPE_MAX_USER_ROLES)


def team_role(tx: Transaction, caller: Caller, org_name: str, team_name: str) -> str | None:
    """The caller's ``_TeamNeed`` role on one team of an organization (None if not a member)."""
    org = tx.get(ORGANIZATIONS, org_name)
    team = (org or {}).get("teams", {}).get(team_name)
    if team is None or caller.username not in team.get("members", ()):
        return None
    return _for_scopes(caller, team["role"], TEAM_ROLES, SCOPE_MAX_TEAM_ROLES)


def namespace_role(tx: Transaction, caller: Caller, namespace: str) -> str | None:
    """The caller's ``_OrganizationNeed`` role on ``namespace``: ``member``, ``creator``, ``admin``.

    Every user is the admin of its own namespace; in an organization the caller has the highest
    role of the teams it is in.
    """
    if caller.username is None:
        return None
    role = None
    if caller.username == namespace:
        role = _for_scopes(caller, "admin", TEAM_ROLES, SCOPE_MAX_TEAM_ROLES)
    org = tx.get(ORGANIZATIONS, namespace)
    for team_name in (org or {}).get("teams", {}):
        role = _higher(role, team_role(tx, caller, namespace, team_name))
    return role


def is_org_admin(tx: Transaction, caller: Caller, namespace: str) -> bool:
    """``AdministerOrganizationPermission``."""
    return namespace_role(tx, caller, namespace) == "admin"


def is_org_member(tx: Transaction, caller: Caller, namespace: str) -> bool:
    """``OrganizationMemberPermission``: any team role."""
    return namespace_role(tx, caller, namespace) is not None


def can_create_repo(tx: Transaction, caller: Caller, namespace: str) -> bool:
    """``CreateRepositoryPermission``: the ``admin`` or ``creator`` role on the namespace."""
    return namespace_role(tx, caller, namespace) in ("admin", "creator")


def can_view_team(tx: Transaction, caller: Caller, org_name: str, team_name: str) -> bool:
    """``ViewTeamPermission``: a member of the team, or an admin of the organization."""
    return team_role(tx, caller, org_name, team_name) is not None or is_org_admin(
        tx, caller, org_name
    )


def is_superuser(config: QuayConfig, caller: Caller) -> bool:
    """``SuperUserPermission``: global read-only superusers are never superusers as well."""
    return identity.is_superuser(config, caller) and not is_global_readonly_superuser(
        config, caller
    )


def is_global_readonly_superuser(config: QuayConfig, caller: Caller) -> bool:
    """``allow_if_global_readonly_superuser``."""
    return identity.is_global_readonly_superuser(config, caller)


def is_full_access_superuser(config: QuayConfig, caller: Caller) -> bool:
    """``allow_if_superuser_with_full_access``: a superuser with ``SUPERUSERS_FULL_ACCESS`` on."""
    return config.feature("SUPERUSERS_FULL_ACCESS") and is_superuser(config, caller)


def may_read_org(tx: Transaction, config: QuayConfig, caller: Caller, org: str) -> bool:
    """Quay's read of an org's own records (its logs, its org mirror): an org admin, a global
    read-only superuser, or a superuser with full access."""
    return (
        is_org_admin(tx, caller, org)
        or is_global_readonly_superuser(config, caller)
        or is_full_access_superuser(config, caller)
    )


def allow_if_superuser(config: QuayConfig, caller: Caller) -> bool:
    """``allow_if_superuser()``: any superuser from Quay 3.16 on; before, only with
    ``SUPERUSERS_FULL_ACCESS`` (``Profile.superuser_without_full_access``)."""
    if config.profile.superuser_without_full_access:
        return is_superuser(config, caller)
    return is_full_access_superuser(config, caller)
