"""Repository permissions of users, robots and teams (Quay's ``endpoints/api/permission.py``
over ``data/model/permission.py``; spec section 4).

A repository's record keeps its users' and robots' roles under ``permissions`` and its teams'
under ``team_permissions``, each by name in the order they were granted (Quay's rows' order).
"""

from __future__ import annotations

from typing import Any

from mockquay.domain import audit, avatars, teams
from mockquay.domain.context import Context
from mockquay.domain.errors import DataModelException, EmulatedCrash, InvalidRequest, NotFound
from mockquay.domain.identity import granted_roles
from mockquay.domain.keys import ORGANIZATIONS, REPOSITORIES, ROBOTS, USERS, RepositoryRef
from mockquay.store import Documents, Transaction

OWNER_MUST_BE_ADMIN = "Namespace owner must always be admin."
NO_USER_PERMISSION = "User does not have permission for repo."
NO_TEAM_PERMISSION = "Team does not have permission for repo."

#: The record's key of each kind of grantee.
USER_PERMISSIONS = "permissions"
TEAM_PERMISSIONS = "team_permissions"


def _granted(tx: Documents, repository: RepositoryRef, kind: str) -> dict[str, str]:
    """The roles of one kind on ``repository``; none for a missing one (Quay's joins)."""
    repo = tx.get(REPOSITORIES, str(repository))
    return dict((repo or {}).get(kind, {}))


def _user_view(tx: Transaction, repository: RepositoryRef, name: str, role: str) -> dict:
    """``UserPermission.to_dict``; ``is_org_member`` only in an organization (robots count)."""
    robot = tx.get(ROBOTS, name) is not None
    if robot:
        avatar = avatars.for_robot(name)
    else:
        avatar = avatars.for_user(tx.get(USERS, name) or {"username": name})
    view: dict[str, Any] = {"role": role, "name": name, "is_robot": robot, "avatar": avatar}
    if tx.get(ORGANIZATIONS, repository.namespace) is not None:
        view["is_org_member"] = robot or teams.is_org_member(tx, repository.namespace, name)
    return view


def _team_view(team_name: str, role: str) -> dict[str, Any]:
    """``TeamPermission.to_dict``."""
    return {"role": role, "name": team_name, "avatar": avatars.for_team(team_name)}


def list_user_permissions(tx: Transaction, repository: RepositoryRef) -> dict[str, Any]:
    """``listRepoUserPermissions``: every user and robot with a role of its own."""
    granted = _granted(tx, repository, USER_PERMISSIONS)
    return {
        "permissions": {
            name: _user_view(tx, repository, name, role) for name, role in granted.items()
        }
    }


def list_team_permissions(tx: Transaction, repository: RepositoryRef) -> dict[str, Any]:
    """``listRepoTeamPermissions``."""
    granted = _granted(tx, repository, TEAM_PERMISSIONS)
    return {"permissions": {name: _team_view(name, role) for name, role in granted.items()}}


def user_transitive_roles(
    tx: Transaction, repository: RepositoryRef, username: str
) -> dict[str, Any]:
    """``getUserTransitivePermission``: the user's own role and its teams'; 404 if none, or
    if the user or the repository does not exist."""
    exists = tx.get(USERS, username) is not None or tx.get(ROBOTS, username) is not None
    roles = granted_roles(tx, repository, username) if exists else []
    if not roles or not _exists(tx, repository):
        raise NotFound()
    return {"permissions": [{"role": role} for role in roles]}


def user_permission(tx: Transaction, repository: RepositoryRef, username: str) -> dict:
    """``getUserPermissions``: the user's own role; none is Quay's uncaught DME."""
    role = _granted(tx, repository, USER_PERMISSIONS).get(username)
    if role is None:
        raise DataModelException(NO_USER_PERMISSION)
    return _user_view(tx, repository, username, role)


def team_permission(tx: Transaction, repository: RepositoryRef, team_name: str) -> dict:
    """``getTeamPermissions``: the role alone; none is Quay's uncaught DME."""
    role = _granted(tx, repository, TEAM_PERMISSIONS).get(team_name)
    if role is None:
        raise DataModelException(NO_TEAM_PERMISSION)
    return {"role": role}


def set_user_permission(
    tx: Transaction, ctx: Context, repository: RepositoryRef, username: str, role: str
) -> dict[str, Any]:
    """``changeUserPermissions``: grant or change a user's or robot's role (``set_user_repo_
    permission``'s refusals are 400 ApiErrors), and log ``change_repo_permission``."""
    namespace = repository.namespace
    if username == namespace:
        raise InvalidRequest(OWNER_MUST_BE_ADMIN)
    if tx.get(USERS, username) is None and tx.get(ROBOTS, username) is None:
        raise InvalidRequest(f"Invalid username: {username}")
    if tx.get(ROBOTS, username) is not None and username.partition("+")[0] != namespace:
        raise InvalidRequest(f"Cannot add robot {username} under namespace {namespace}")
    _grant(tx, repository, USER_PERMISSIONS, username, role)
    metadata = {"username": username, "repo": repository.name, "namespace": namespace}
    audit.log_action(tx, ctx, str(repository), "change_repo_permission", {**metadata, "role": role})
    return _user_view(tx, repository, username, role)


def delete_user_permission(
    tx: Transaction, ctx: Context, repository: RepositoryRef, username: str
) -> None:
    """``deleteUserPermissions``: drop a user's or robot's own role; log it."""
    if username == repository.namespace:
        raise InvalidRequest(OWNER_MUST_BE_ADMIN)
    _revoke(tx, repository, USER_PERMISSIONS, username, NO_USER_PERMISSION)
    metadata = {"username": username, "repo": repository.name, "namespace": repository.namespace}
    audit.log_action(tx, ctx, str(repository), "delete_repo_permission", metadata)


def set_team_permission(
    tx: Transaction, ctx: Context, repository: RepositoryRef, team_name: str, role: str
) -> dict[str, Any]:
    """``changeTeamPermissions``: the team must be one of the namespace's organization."""
    if teams.get_team(tx, repository.namespace, team_name) is None:
        raise InvalidRequest(f"No team {team_name} in organization {repository.namespace}")
    _grant(tx, repository, TEAM_PERMISSIONS, team_name, role)
    metadata = {"team": team_name, "repo": repository.name, "role": role}
    audit.log_action(tx, ctx, str(repository), "change_repo_permission", metadata)
    return _team_view(team_name, role)


def delete_team_permission(
    tx: Transaction, ctx: Context, repository: RepositoryRef, team_name: str
) -> None:
    """``deleteTeamPermissions``."""
    _revoke(tx, repository, TEAM_PERMISSIONS, team_name, NO_TEAM_PERMISSION)
    metadata = {"team": team_name, "repo": repository.name}
    audit.log_action(tx, ctx, str(repository), "delete_repo_permission", metadata)


def _exists(tx: Documents, repository: RepositoryRef) -> bool:
    repo = tx.get(REPOSITORIES, str(repository))
    return repo is not None and repo.get("state") != "MARKED_FOR_DELETION"


def _grant(tx: Transaction, repository: RepositoryRef, kind: str, name: str, role: str) -> None:
    """``__set_entity_repo_permission``: a missing repository is Quay's uncaught
    ``Repository.DoesNotExist``."""
    if not _exists(tx, repository):
        raise EmulatedCrash(f"Repository.DoesNotExist: {repository} does not exist")
    repo = tx.get(REPOSITORIES, str(repository))
    assert repo is not None, "the repository exists"
    repo.setdefault(kind, {})[name] = role
    tx.put(REPOSITORIES, str(repository), repo)


def _revoke(tx: Transaction, repository: RepositoryRef, kind: str, name: str, none: str) -> None:
    repo = tx.get(REPOSITORIES, str(repository))
    if repo is None or name not in repo.get(kind, {}):
        raise InvalidRequest(none)
    del repo[kind][name]
    tx.put(REPOSITORIES, str(repository), repo)


def forget_team(tx: Transaction, org: str, team_name: str) -> None:
    """Drop the permissions of team ``team_name`` on the repositories of ``org`` (its
    ``RepositoryPermission`` rows go with the ``Team`` row)."""
    for key, repo in list(tx.scan(REPOSITORIES)):
        if key.partition("/")[0] == org and team_name in repo.get(TEAM_PERMISSIONS, {}):
            del repo[TEAM_PERMISSIONS][team_name]
            tx.put(REPOSITORIES, key, repo)


def can_push(tx: Documents, repository: RepositoryRef, username: str) -> bool:
    """``ModifyRepositoryPermission`` of a robot: ``write`` or ``admin``, its own or a team's."""
    return any(role in ("write", "admin") for role in granted_roles(tx, repository, username))
