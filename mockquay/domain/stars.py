"""Starred repositories (Quay's ``StarredRepositoryList`` and ``StarredRepository`` in
``endpoints/api/user.py``, ``model.repository.star_repository``).

A user's stars are kept in its record as ``starred``: repository names, once it has one.
"""

from __future__ import annotations

from typing import Any

from mockquay.domain.context import Context
from mockquay.domain.keys import REPOSITORIES, USERS, RepositoryRef
from mockquay.store import Transaction


def _caller_record(tx: Transaction, ctx: Context) -> dict[str, Any]:
    assert ctx.caller.username is not None, "require_user_admin passed"
    return tx.get(USERS, ctx.caller.username) or {"username": ctx.caller.username}


def _save(tx: Transaction, user: dict[str, Any], starred: list[str]) -> None:
    record = {key: value for key, value in user.items() if key != "starred"}
    if starred:
        record["starred"] = starred
    tx.put(USERS, user["username"], record)


def list_starred(tx: Transaction, ctx: Context) -> dict[str, Any]:
    """``listStarredRepos``: the caller's starred repositories (by name: mockquay keeps no
    repository ids to order by), one page of up to 100."""
    views = []
    for name in sorted(_caller_record(tx, ctx).get("starred", ())):
        repo = tx.get(REPOSITORIES, name)
        if repo is not None:
            views.append(
                {
                    "namespace": repo["namespace"],
                    "name": repo["name"],
                    "description": repo["description"],
                    "is_public": repo["visibility"] == "public",
                }
            )
    return {"repositories": views[:100]}


def star(tx: Transaction, ctx: Context, namespace: str, name: str) -> dict[str, str] | None:
    """``createStar``: star a repository (again is no change); None (Quay's ``null``) when
    there is no such repository. No permission on the repository is needed."""
    key = str(RepositoryRef(namespace, name))
    if tx.get(REPOSITORIES, key) is None:
        return None
    user = _caller_record(tx, ctx)
    starred = list(user.get("starred", ()))
    if key not in starred:
        _save(tx, user, [*starred, key])
    return {"namespace": namespace, "repository": name}


def unstar(tx: Transaction, ctx: Context, repository: RepositoryRef) -> bool:
    """``deleteStar``: whether the repository exists (Quay answers ``null`` when not)."""
    key = str(repository)
    if tx.get(REPOSITORIES, key) is None:
        return False
    user = _caller_record(tx, ctx)
    _save(tx, user, [name for name in user.get("starred", ()) if name != key])
    return True


def forget_repository(tx: Transaction, key: str) -> None:
    """Drop a deleted repository from every user's stars (Quay's ``Star`` rows go with it)."""
    for _, user in list(tx.scan(USERS)):
        if key in user.get("starred", ()):
            _save(tx, user, [name for name in user["starred"] if name != key])
