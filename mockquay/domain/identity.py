"""Who is calling, and what Quay lets them do (``auth/permissions.py``)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from mockquay.domain import teams
from mockquay.domain.config import QuayConfig
from mockquay.domain.errors import Unauthorized
from mockquay.domain.keys import ORGANIZATIONS, REPOSITORIES, TOKENS, USERS, RepositoryRef
from mockquay.store import Documents, Transaction

ROLES = ("read", "write", "admin")

#: Every Quay OAuth scope (``auth/scopes.py ALL_SCOPES``).
ALL_SCOPES = (
    "repo:read",
    "repo:write",
    "repo:admin",
    "repo:create",
    "user:read",
    "user:admin",
    "org:admin",
    "super:user",
)

#: ``SCOPE_MAX_REPO_ROLES``: the highest repository role each OAuth scope can grant.
SCOPE_MAX_REPO_ROLES = {"repo:read": "read", "repo:write": "write", "repo:admin": "admin"}


@dataclass(frozen=True)
class Caller:
    """The user a request acts for (None when anonymous) and the scopes of its token."""

    username: str | None = None
    scopes: frozenset[str] = frozenset()
    token: str | None = None
    #: A robot account (``namespace+name``), as Quay's registry auth identifies a robot.
    robot: bool = False

    @property
    def authenticated(self) -> bool:
        return self.username is not None


ANONYMOUS = Caller()


def caller_for_token(tx: Transaction, token: str | None) -> Caller:
    """The caller a bearer token stands for; an unknown token, or one of a disabled user
    (``validate_app_oauth_token``: "Granter of the oauth access token is disabled"), is
    anonymous, as in Quay."""
    if not token:
        return ANONYMOUS
    record = tx.view(TOKENS, token)
    user = None if record is None else tx.view(USERS, record["user"])
    if record is None or user is None or not user.get("enabled", True):
        return ANONYMOUS
    return Caller(username=record["user"], scopes=frozenset(record.get("scopes", ())), token=token)


def sso_token_error(token: str | None) -> str | None:
    """Why Quay refuses ``token`` as an SSO JWT, or None when it is not one.

    ``validate_oauth_token``: a bearer token whose JOSE header says ``typ: JWT`` is checked as a
    token of an OIDC login service, never as an app OAuth token. mockquay configures no such
    service, so every JWT fails at the issuer.
    """
    if not token:
        return None
    segments = token.split(".")
    if len(segments) != 3 or _base64url(segments[2]) is None:
        return None
    header = _jose_json(segments[0])
    typ = header.get("typ") if isinstance(header, dict) else None
    if not isinstance(typ, str) or typ.lower() != "jwt" or _base64url(segments[1]) is None:
        return None
    payload = _jose_json(segments[1])
    issuer = payload.get("iss") if isinstance(payload, dict) else None
    if not issuer:
        return "Token does not contain issuer"
    return f"Issuer {issuer} not configured"


def _base64url(segment: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _jose_json(segment: str) -> Any:
    """One base64url JSON segment of a JWT, or None when it does not decode."""
    data = _base64url(segment)
    try:
        return None if data is None else json.loads(data)
    except ValueError:
        return None


def _higher(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if ROLES.index(a) >= ROLES.index(b) else b


def is_superuser(config: QuayConfig, caller: Caller) -> bool:
    """A ``SUPER_USERS`` member acting with superuser scope."""
    return caller.username in config.super_users and bool(
        caller.scopes & {"super:user", "direct_user_login"}
    )


def is_global_readonly_superuser(config: QuayConfig, caller: Caller) -> bool:
    return caller.username in config.global_readonly_super_users


def org_role(tx: Transaction, caller: Caller, namespace: str) -> str | None:
    """``admin`` when the caller is in an admin team of organization ``namespace``."""
    org = tx.view(ORGANIZATIONS, namespace)
    if org is None or caller.username is None:
        return None
    role = None
    for team in org.get("teams", {}).values():
        if caller.username in team.get("members", ()):
            role = _higher(role, "admin" if team.get("role") == "admin" else "read")
    return role


def granted_roles(tx: Documents, repository: RepositoryRef, username: str) -> list[str]:
    """Quay's ``get_user_repo_permissions``: the roles ``username`` (a user or robot) holds on
    ``repository``, its own permission first, then those of its teams, in the teams' order."""
    repo = tx.get(REPOSITORIES, str(repository))
    if repo is None:
        return []
    own = repo.get("permissions", {}).get(username)
    by_team = repo.get("team_permissions", {})
    return ([own] if own is not None else []) + [
        by_team[team]
        for team in teams.teams_with_member(tx, repository.namespace, username)
        if team in by_team
    ]


def repository_role(tx: Transaction, caller: Caller, repository: RepositoryRef) -> str | None:
    """The caller's role on ``repository``, capped by the token's scopes."""
    if caller.username is None:
        return None
    role: str | None
    if caller.username == repository.namespace:
        role = "admin"
    else:
        role = "admin" if org_role(tx, caller, repository.namespace) == "admin" else None
        for granted in granted_roles(tx, repository, caller.username):
            role = _higher(role, granted)
    if "direct_user_login" in caller.scopes:
        return role
    cap = None
    for scope in caller.scopes:
        cap = _higher(cap, SCOPE_MAX_REPO_ROLES.get(scope))
    if role is None or cap is None:
        return None
    return role if ROLES.index(role) <= ROLES.index(cap) else cap


def require_repo_permission(
    tx: Transaction,
    config: QuayConfig,
    caller: Caller,
    repository: RepositoryRef,
    role: str,
    *,
    read_only: bool,
    allow_for_global_readonly_superuser: bool = False,
) -> None:
    """Quay's ``require_repo_<role>(allow_for_superuser=True, ...)``; raise Unauthorized if refused.

    ``read_only`` is True for GET: superusers of either kind may read when
    ``FEATURE_SUPERUSERS_FULL_ACCESS`` is on, and a global read-only superuser may read where
    the operation allows it (on releases that have that rule). ``read`` also passes for anyone
    on a public repository.
    """
    have = repository_role(tx, caller, repository)
    if have is not None and ROLES.index(have) >= ROLES.index(role):
        return
    if role == "read":
        repo = tx.view(REPOSITORIES, str(repository))
        if repo is not None and repo.get("visibility") == "public":
            return
    superuser = is_superuser(config, caller)
    readonly_superuser = is_global_readonly_superuser(config, caller)
    if config.feature("SUPERUSERS_FULL_ACCESS") and (
        superuser or (read_only and readonly_superuser)
    ):
        return
    if (
        read_only
        and allow_for_global_readonly_superuser
        and readonly_superuser
        and config.profile.global_readonly_superuser_get
    ):
        return
    raise Unauthorized()
