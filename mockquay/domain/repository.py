"""Repositories: lookup, the view Quay's ``getRepo`` gives, description changes and deletion."""

from __future__ import annotations

from typing import Any

from mockquay.domain import audit
from mockquay.domain.context import Context
from mockquay.domain.identity import ROLES, repository_role
from mockquay.domain.mirror import get_repository
from mockquay.store import Transaction

#: Quay's default ``DEFAULT_TAG_EXPIRATION`` (2 weeks), in seconds.
TAG_EXPIRATION_S = 1209600


def view_repository(tx: Transaction, ctx: Context, namespace: str, name: str) -> dict[str, Any]:
    """``getRepo``: the repository as Quay describes it."""
    repo = get_repository(tx, namespace, name)
    role = repository_role(tx, ctx.caller, namespace, name)
    level = -1 if role is None else ROLES.index(role)
    return {
        "namespace": namespace,
        "name": name,
        "kind": repo.get("kind", "image"),
        "description": repo.get("description", ""),
        "is_public": repo.get("visibility") == "public",
        "is_organization": tx.get("organizations", namespace) is not None,
        "is_starred": False,
        "status_token": "",
        "trust_enabled": False,
        "tag_expiration_s": TAG_EXPIRATION_S,
        "is_free_account": True,
        "state": repo.get("state", "NORMAL"),
        "can_write": level >= ROLES.index("write"),
        "can_admin": level >= ROLES.index("admin"),
    }


def update_description(
    tx: Transaction, ctx: Context, namespace: str, name: str, description: str
) -> None:
    """``updateRepo``: set the description."""
    repo = get_repository(tx, namespace, name)
    repo["description"] = description
    tx.put("repositories", f"{namespace}/{name}", repo)
    audit.record(tx, ctx, f"{namespace}/{name}", "change_repo_description", description=description)


def delete_repository(tx: Transaction, ctx: Context, namespace: str, name: str) -> None:
    """``deleteRepository``: the repository and its mirror go; a missing one is no error."""
    key = f"{namespace}/{name}"
    if tx.get("repositories", key) is None:
        return
    tx.delete("repositories", key)
    tx.delete("mirrors", key)
