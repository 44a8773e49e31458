"""Removing a whole namespace, as Quay's ``model.user.mark_namespace_for_deletion`` does.

Quay renames a deleted user or organization at once (its name is free again) and queues it for
garbage collection; ``delete_user`` then removes its repositories (with their mirrors, tags and
logs), its robots, its teams and memberships, its tokens and its permissions elsewhere. Every
API endpoint sees the namespace gone from the moment of the request, so mockquay removes it all
in that request.
"""

from __future__ import annotations

from mockquay.domain import audit, autoprune, org_mirror
from mockquay.domain.keys import (
    MIRRORS,
    ORGANIZATIONS,
    REPOSITORIES,
    ROBOTS,
    TOKENS,
    USERS,
    RepositoryRef,
)
from mockquay.domain.repository import drop_repository
from mockquay.store import Transaction


def delete_namespace(tx: Transaction, name: str) -> None:
    """Remove the user or organization ``name`` and everything that belongs to it."""
    gone = {name}
    for key, _ in list(tx.scan(REPOSITORIES)):
        if key.partition("/")[0] == name:
            drop_repository(tx, RepositoryRef.parse(key))
    for key, _ in list(tx.scan(ROBOTS)):
        if key.partition("+")[0] == name:
            tx.delete(ROBOTS, key)
            gone.add(key)
    for key, token in list(tx.scan(TOKENS)):
        if token["user"] in gone:
            tx.delete(TOKENS, key)
    _forget_entities(tx, gone)
    audit.forget(tx, name)
    autoprune.forget(tx, name)
    tx.delete(USERS, name)
    tx.delete(ORGANIZATIONS, name)
    org_mirror.forget(tx, name)


def _forget_entities(tx: Transaction, gone: set[str]) -> None:
    """Drop ``gone`` users and robots from every team, repository permission and mirror."""
    for key, org in list(tx.scan(ORGANIZATIONS)):
        changed = False
        for team in org.get("teams", {}).values():
            members = [member for member in team.get("members", ()) if member not in gone]
            if members != team.get("members", []):
                team["members"], changed = members, True
        if changed:
            tx.put(ORGANIZATIONS, key, org)
    for key, repo in list(tx.scan(REPOSITORIES)):
        permissions = repo.get("permissions", {})
        if gone & set(permissions):
            repo["permissions"] = {
                who: role for who, role in permissions.items() if who not in gone
            }
            tx.put(REPOSITORIES, key, repo)
    for key, mirror in list(tx.scan(MIRRORS)):
        # RepoMirrorConfig.internal_robot is not nullable: the robot's recursive delete takes
        # the mirror row of another namespace's repository with it.
        if mirror.get("robot_username") in gone:
            tx.delete(MIRRORS, key)
