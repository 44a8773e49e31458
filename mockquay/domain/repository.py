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

from mockquay.domain import audit, autoprune, namespace_roles, notifications, stars, tags
from mockquay.domain.context import Context
from mockquay.domain.errors import (
    Abort,
    DetailAnswer,
    EmulatedCrash,
    InvalidRequest,
    NotFound,
    Unauthorized,
)
from mockquay.domain.identity import ROLES, repository_role
from mockquay.domain.keys import (
    MIRRORS,
    ORGANIZATIONS,
    ORPHAN_RULES,
    REPOSITORIES,
    USERS,
    RepositoryRef,
)
from mockquay.domain.org_mirror import is_org_mirrored
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


def get_repository(tx: Transaction, repository: RepositoryRef) -> dict[str, Any]:
    """Quay's ``get_repository``; repositories marked for deletion are not found."""
    repo = tx.get(REPOSITORIES, str(repository))
    if repo is None or repo.get("state") == "MARKED_FOR_DELETION":
        raise NotFound()
    return repo


def disallow_for_app_repositories(tx: Transaction, repository: RepositoryRef) -> None:
    """Quay's ``disallow_for_app_repositories``: ``abort(501)`` on an application repository."""
    repo = tx.get(REPOSITORIES, str(repository))
    if repo is not None and repo.get("kind") == "application":
        raise Abort(501)


def read_repository(tx: Transaction, repository: RepositoryRef) -> Mapping[str, Any]:
    """:func:`get_repository`, read-only (the stored document, not a copy)."""
    repo = tx.view(REPOSITORIES, str(repository))
    if repo is None or repo.get("state") == "MARKED_FOR_DELETION":
        raise NotFound()
    return repo


def list_repo_tags(
    tx: Transaction, ctx: Context, repository: RepositoryRef, **query: Any
) -> dict[str, Any]:
    """``listRepoTags``: one page of the repository's tag history (:func:`tags.tag_history`
    takes ``query``); NotFound for a missing repository."""
    get_repository(tx, repository)
    profile = ctx.config.profile
    return tags.tag_history(
        tx,
        repository,
        ctx.now,
        sparse_info=profile.tag_sparse_info,
        immutable_info=profile.tag_immutable,
        **query,
    )


def repository_record(
    repository: RepositoryRef,
    *,
    visibility: str,
    permissions: Mapping[str, str],
    state: str = "NORMAL",
    description: str | None = "",
    kind: str = "image",
    team_permissions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A repository as the store keeps it, keys in its order (Quay's description may be null).

    ``permissions`` are the roles of users and robots, ``team_permissions`` those of teams.
    """
    return {
        "namespace": repository.namespace,
        "name": repository.name,
        "visibility": visibility,
        "state": state,
        "description": description,
        "kind": kind,
        "permissions": dict(permissions),
        "team_permissions": dict(team_permissions or {}),
    }


def _save_and_log(
    tx: Transaction,
    ctx: Context,
    repository: RepositoryRef,
    repo: dict[str, Any],
    kind: str,
    **metadata: Any,
) -> None:
    """Store ``repo`` and log the action ``kind`` on it, as Quay's ``log_action`` does."""
    tx.put(REPOSITORIES, str(repository), repo)
    audit.log_action(
        tx,
        ctx,
        str(repository),
        kind,
        {"repo": repository.name, "namespace": repository.namespace, **metadata},
    )


def _can(tx: Transaction, ctx: Context, repository: RepositoryRef, role: str) -> bool:
    """A repository ``Permission.can()``: the role, or a superuser with full access."""
    have = repository_role(tx, ctx.caller, repository)
    if have is not None and ROLES.index(have) >= ROLES.index(role):
        return True
    return namespace_roles.is_full_access_superuser(ctx.config, ctx.caller)


def _org_mirror_managed(tx: Transaction, ctx: Context, namespace: str) -> bool:
    """Whether ``FEATURE_ORG_MIRROR`` is on and organization ``namespace`` has an org mirror."""
    if not (ctx.config.profile.org_mirror_conflict and ctx.config.feature("ORG_MIRROR")):
        return False
    return is_org_mirrored(tx, namespace)


def create_repository(tx: Transaction, ctx: Context, body: Mapping[str, Any]) -> dict[str, Any]:
    """``createRepo``: in ``body["namespace"]`` or the caller's own; the creator becomes admin.

    Order of Quay's refusals: permission (403), organization-level mirroring, an existing
    repository, an invalid name (400 ApiError each).
    """
    caller = ctx.caller
    namespace = body.get("namespace", caller.username)
    name = body["repository"]
    repository = RepositoryRef(namespace, name)
    if not (
        namespace_roles.can_create_repo(tx, caller, namespace)
        or namespace_roles.is_full_access_superuser(ctx.config, caller)
    ):
        raise Unauthorized()
    assert caller.username is not None, "both permissions need a signed-in caller"
    if _org_mirror_managed(tx, ctx, namespace):
        raise InvalidRequest(ORG_MIRROR_CREATE)
    existing = tx.get(REPOSITORIES, str(repository))
    if existing is not None and existing.get("state") != "MARKED_FOR_DELETION":
        raise InvalidRequest("Repository already exists")
    if not REPOSITORY_NAME.match(name):
        raise InvalidRequest("Invalid repository name")
    if tx.get(USERS, namespace) is None and tx.get(ORGANIZATIONS, namespace) is None:
        # Only a full-access superuser gets here; Quay's User.get raises DoesNotExist.
        raise EmulatedCrash(f"User.DoesNotExist: namespace {namespace!r} does not exist")
    kind = body.get("repo_kind") or "image"
    record = repository_record(
        repository,
        visibility=body["visibility"],
        description=body["description"],
        kind=kind,
        permissions={caller.username: "admin"},
    )
    _save_and_log(tx, ctx, repository, record, "create_repo")
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
    org = tx.get(ORGANIZATIONS, repo["namespace"]) or {}
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
        for key, repo in sorted(tx.scan(REPOSITORIES), key=lambda item: item[0]):
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
    tx: Transaction, ctx: Context, repository: RepositoryRef, args: Mapping[str, Any]
) -> dict[str, Any]:
    """``getRepo``: the repository as Quay describes it, with ``can_write`` and ``can_admin``."""
    repo = get_repository(tx, repository)
    is_public = repo.get("visibility") == "public"
    state = repo.get("state", "NORMAL")
    view: dict[str, Any] = {
        "namespace": repository.namespace,
        "name": repository.name,
        "kind": repo.get("kind", "image"),
        "description": repo.get("description", ""),
        "is_public": is_public,
        "is_organization": tx.get(ORGANIZATIONS, repository.namespace) is not None,
        "is_starred": False,
        "status_token": "" if is_public else _badge_token(repository),
        "trust_enabled": False,
        "tag_expiration_s": TAG_EXPIRATION_S,
        "is_free_account": True,
        "state": state,
    }
    if args["includeTags"]:
        view["tags"] = tags.repository_view(tx, repository, ctx.now)
    view["can_write"] = _can(tx, ctx, repository, "write") and state == "NORMAL"
    view["can_admin"] = _can(tx, ctx, repository, "admin")
    if args["includeStats"]:
        view["stats"] = [
            {"date": (ctx.now - timedelta(days=day)).date().isoformat(), "count": 0}
            for day in range(1, MAX_DAYS_IN_3_MONTHS)
        ]
    return view


def _badge_token(repository: RepositoryRef) -> str:
    """Quay's random ``badge_token`` (a UUID); mockquay derives a stable one from the name."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"mockquay:{repository}"))


def update_description(
    tx: Transaction, ctx: Context, repository: RepositoryRef, description: str
) -> None:
    """``updateRepo``: set the description."""
    repo = get_repository(tx, repository)
    repo["description"] = description
    _save_and_log(tx, ctx, repository, repo, "set_repo_description", description=description)


def change_state(tx: Transaction, ctx: Context, repository: RepositoryRef, state: str) -> None:
    """``changeRepoState``: NORMAL, READ_ONLY or MIRROR; the mirror configuration stays."""
    repo = get_repository(tx, repository)
    if ctx.config.profile.org_mirror_conflict and repo.get("state") == "ORG_MIRROR":
        raise DetailAnswer(400, ORG_MIRROR_STATE)
    if _org_mirror_managed(tx, ctx, repository.namespace):
        raise DetailAnswer(400, ORG_MIRROR_STATE_CHANGE)
    repo["state"] = state
    _save_and_log(tx, ctx, repository, repo, "change_repo_state", state_changed=state)


def delete_repository(tx: Transaction, ctx: Context, repository: RepositoryRef) -> None:
    """``deleteRepository``: the repository, its mirror and its log go; a missing one is no
    error. Quay logs ``delete_repo`` for the namespace, not the (gone) repository."""
    repo = tx.get(REPOSITORIES, str(repository))
    if repo is None or repo.get("state") == "MARKED_FOR_DELETION":
        return
    drop_repository(tx, repository)


def drop_repository(tx: Transaction, repository: RepositoryRef) -> None:
    """Remove the repository with everything kept for it: its mirror, rules, log and tags."""
    key = str(repository)
    tx.delete(REPOSITORIES, key)
    tx.delete(MIRRORS, key)
    tx.delete(ORPHAN_RULES, key)
    audit.forget(tx, key)
    tags.forget(tx, repository)
    notifications.forget(tx, repository)
    stars.forget_repository(tx, key)
    autoprune.forget(tx, repository.namespace, repository.name)
