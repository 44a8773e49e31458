"""Repositories: creation, listing, the view of ``getRepo``, state, description and deletion.

Each public function is one Quay operation of ``endpoints/api/repository.py`` (named in its
docstring), after Quay's pipeline has passed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from mockquay.domain import audit, namespace_roles, tags
from mockquay.domain.context import Context
from mockquay.domain.errors import Abort, DetailAnswer, EmulatedCrash, InvalidRequest, Unauthorized
from mockquay.domain.identity import ROLES, repository_role
from mockquay.domain.mirror import get_repository
from mockquay.domain.users import TAG_EXPIRATION_S
from mockquay.store import Transaction

#: Quay's ``REPOSITORY_NAME_EXTENDED_REGEX`` (``FEATURE_EXTENDED_REPOSITORY_NAMES`` is on by
#: default): lower-case path components, 255 characters in all.
REPOSITORY_NAME = re.compile(r"^(?=.{0,255}$)[a-z0-9][\.a-z0-9_-]*(?:/[a-z0-9][\.a-z0-9_-]*)*$")

#: ``REPOS_PER_PAGE`` of ``listRepos``.
REPOS_PER_PAGE = 100

#: ``getRepo?includeStats=true``: one zero count per day of the last three months.
MAX_DAYS_IN_3_MONTHS = 92

ORG_MIRROR_CREATE = (
    "Cannot create repository: organization is managed by organization-level mirroring"
)
ORG_MIRROR_STATE = "ORG_MIRROR state is managed by organization-level mirroring"
ORG_MIRROR_STATE_CHANGE = (
    "Repository state changes are not allowed in an organization managed by organization-level "
    "mirroring"
)


def _can(tx: Transaction, ctx: Context, namespace: str, name: str, role: str) -> bool:
    """A repository ``Permission.can()``: the role, or a superuser with full access."""
    have = repository_role(tx, ctx.caller, namespace, name)
    if have is not None and ROLES.index(have) >= ROLES.index(role):
        return True
    return namespace_roles.is_full_access_superuser(ctx.config, ctx.caller)


def _org_mirror_managed(tx: Transaction, ctx: Context, namespace: str) -> bool:
    org = tx.get("organizations", namespace)
    return ctx.config.profile.org_mirror_conflict and bool(org and org.get("org_mirror"))


def create_repository(tx: Transaction, ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """``createRepo``: in ``body["namespace"]`` or the caller's own; the creator becomes admin.

    Order of Quay's refusals: permission (403), organization-level mirroring, an existing
    repository, an invalid name (400 ApiError each).
    """
    caller = ctx.caller
    namespace = body.get("namespace", caller.username)
    name = body["repository"]
    if not (
        namespace_roles.can_create_repo(tx, caller, namespace)
        or namespace_roles.is_full_access_superuser(ctx.config, caller)
    ):
        raise Unauthorized()
    if _org_mirror_managed(tx, ctx, namespace):
        raise InvalidRequest(ORG_MIRROR_CREATE)
    existing = tx.get("repositories", f"{namespace}/{name}")
    if existing is not None and existing.get("state") != "MARKED_FOR_DELETION":
        raise InvalidRequest("Repository already exists")
    if not REPOSITORY_NAME.match(name):
        raise InvalidRequest("Invalid repository name")
    if tx.get("users", namespace) is None and tx.get("organizations", namespace) is None:
        # Only a full-access superuser gets here; Quay's User.get raises DoesNotExist.
        raise EmulatedCrash(f"User.DoesNotExist: namespace {namespace!r} does not exist")
    kind = body.get("repo_kind") or "image"
    tx.put(
        "repositories",
        f"{namespace}/{name}",
        {
            "namespace": namespace,
            "name": name,
            "visibility": body["visibility"],
            "state": "NORMAL",
            "description": body["description"],
            "kind": kind,
            "permissions": {caller.username: "admin"},
        },
    )
    audit.log_action(
        tx, ctx, f"{namespace}/{name}", "create_repo", {"repo": name, "namespace": namespace}
    )
    return {"namespace": namespace, "name": name, "kind": kind}


def _visible(tx: Transaction, ctx: Context, repo: Mapping[str, Any], public: bool) -> bool:
    """Quay's ``filter_to_repos_for_user``: public ones if asked, those the caller has a role
    on (a user has one on the repositories of its own namespace), and every repository of an
    organization where the caller is in an admin team. Token scopes play no part here."""
    if public and repo.get("visibility") == "public":
        return True
    username = ctx.caller.username
    if username is None:
        return False
    org = tx.get("organizations", repo["namespace"]) or {}
    return (
        username in repo.get("permissions", {})
        or username == repo["namespace"]
        or any(
            team["role"] == "admin" and username in team.get("members", ())
            for team in org.get("teams", {}).values()
        )
    )


def list_repositories(
    tx: Transaction, ctx: Context, args: Mapping[str, Any], page: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``listRepos``: the repositories the caller sees, 100 a page, by ``namespace/name``.

    mockquay has no stars, so ``starred=true`` lists nothing.
    """
    if not args["namespace"] and not args["starred"] and not args["public"]:
        raise InvalidRequest("namespace, starred or public are required for this API call")
    authenticated = ctx.caller.authenticated
    if args["starred"] and not authenticated:
        raise Abort(400)
    found = []
    if not args["starred"]:
        for key, repo in sorted(tx.scan("repositories"), key=lambda item: item[0]):
            if (
                repo.get("state") == "MARKED_FOR_DELETION"
                or repo.get("kind", "image") != (args["repo_kind"])
            ):
                continue
            if args["namespace"] and repo["namespace"] != args["namespace"]:
                continue
            if _visible(tx, ctx, repo, args["public"]):
                found.append((key, repo))
    start = (page or {}).get("start_index")
    if isinstance(start, str):
        found = [(key, repo) for key, repo in found if key >= start]
    next_page = None
    if len(found) > REPOS_PER_PAGE:
        next_page = {"start_index": found[REPOS_PER_PAGE][0]}
    views = []
    for _, repo in found[:REPOS_PER_PAGE]:
        view = {
            "namespace": repo["namespace"],
            "name": repo["name"],
            "description": repo.get("description", ""),
            "is_public": repo.get("visibility") == "public",
            "kind": repo.get("kind", "image"),
            "state": repo.get("state", "NORMAL"),
            "quota": None,
        }
        if args["last_modified"]:
            view["last_modified"] = None
        if args["popularity"]:
            view["popularity"] = 0.0
        if authenticated:
            view["is_starred"] = False
        views.append(view)
    return {"repositories": views}, next_page


def view_repository(
    tx: Transaction, ctx: Context, namespace: str, name: str, args: Mapping[str, Any]
) -> dict[str, Any]:
    """``getRepo``: the repository as Quay describes it, with ``can_write`` and ``can_admin``."""
    repo = get_repository(tx, namespace, name)
    is_public = repo.get("visibility") == "public"
    state = repo.get("state", "NORMAL")
    view: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "kind": repo.get("kind", "image"),
        "description": repo.get("description", ""),
        "is_public": is_public,
        "is_organization": tx.get("organizations", namespace) is not None,
        "is_starred": False,
        "status_token": "" if is_public else _badge_token(namespace, name),
        "trust_enabled": False,
        "tag_expiration_s": TAG_EXPIRATION_S,
        "is_free_account": True,
        "state": state,
    }
    if args["includeTags"]:
        view["tags"] = tags.repository_view(tx, f"{namespace}/{name}", ctx.now)
    view["can_write"] = _can(tx, ctx, namespace, name, "write") and state == "NORMAL"
    view["can_admin"] = _can(tx, ctx, namespace, name, "admin")
    if args["includeStats"]:
        view["stats"] = [
            {"date": (ctx.now - timedelta(days=day)).date().isoformat(), "count": 0}
            for day in range(1, MAX_DAYS_IN_3_MONTHS)
        ]
    return view


def _badge_token(namespace: str, name: str) -> str:
    """Quay's random ``badge_token`` (a UUID); mockquay derives a stable one from the name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mockquay:{namespace}/{name}"))


def update_description(
    tx: Transaction, ctx: Context, namespace: str, name: str, description: str
) -> None:
    """``updateRepo``: set the description."""
    repo = get_repository(tx, namespace, name)
    repo["description"] = description
    tx.put("repositories", f"{namespace}/{name}", repo)
    audit.log_action(
        tx,
        ctx,
        f"{namespace}/{name}",
        "set_repo_description",
        {"repo": name, "namespace": namespace, "description": description},
    )


def change_state(tx: Transaction, ctx: Context, namespace: str, name: str, state: str) -> None:
    """``changeRepoState``: NORMAL, READ_ONLY or MIRROR; the mirror configuration stays."""
    repo = get_repository(tx, namespace, name)
    if ctx.config.profile.org_mirror_conflict and repo.get("state") == "ORG_MIRROR":
        raise DetailAnswer(400, ORG_MIRROR_STATE)
    if _org_mirror_managed(tx, ctx, namespace):
        raise DetailAnswer(400, ORG_MIRROR_STATE_CHANGE)
    repo["state"] = state
    tx.put("repositories", f"{namespace}/{name}", repo)
    audit.log_action(
        tx,
        ctx,
        f"{namespace}/{name}",
        "change_repo_state",
        {"repo": name, "namespace": namespace, "state_changed": state},
    )


def delete_repository(tx: Transaction, ctx: Context, namespace: str, name: str) -> None:
    """``deleteRepository``: the repository, its mirror and its log go; a missing one is no
    error. Quay logs ``delete_repo`` for the namespace, not the (gone) repository."""
    key = f"{namespace}/{name}"
    repo = tx.get("repositories", key)
    if repo is None or repo.get("state") == "MARKED_FOR_DELETION":
        return
    tx.delete("repositories", key)
    tx.delete("mirrors", key)
    audit.forget(tx, key)
    tags.forget(tx, key)
