"""Organization-level mirroring: Quay's rules for an org mirror's configuration
(``endpoints/api/org_mirror.py``, ``data/model/org_mirror.py``; spec sections 1 and 2.3).

Each public operation function is one Quay operation (named in its docstring by Quay's
nickname), run after Quay's pipeline, in the order of checks of Quay's handler. A config is
stored per organization (``ORG_MIRRORS``); the rows discovery finds, one per source
repository, under ``org/name`` (``ORG_MIRROR_REPOS``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from mockquay.domain import audit, namespace_roles, org_source
from mockquay.domain.context import Context
from mockquay.domain.dates import format_mirror_date, load_date, parse_mirror_date, store_date
from mockquay.domain.errors import InvalidRequest, NotFound, Unauthorized
from mockquay.domain.keys import ORG_MIRROR_REPOS, ORG_MIRRORS, ORGANIZATIONS, REPOSITORIES, ROBOTS
from mockquay.domain.references import ReferenceRejected, check_external_url, fixture_resolver
from mockquay.domain.robots import can_administer_org_robots
from mockquay.mirror_fields import MAX_SYNC_RETRIES
from mockquay.store import Documents, Transaction

REGISTRY_TYPES = ("harbor", "quay")
VISIBILITIES = ("public", "private")
#: ``OrgMirrorStatus`` in Quay's order; 3.17.0 has no ``SKIP``.
ORG_MIRROR_STATUSES = ("CANCEL", "FAIL", "NEVER_RUN", "SUCCESS", "SYNCING", "SYNC_NOW", "SKIP")
#: ``OrgMirrorStatus`` (a config's): no ``SKIP``.
CONFIG_STATUSES = ORG_MIRROR_STATUSES[:-1]
DEFAULT_SKOPEO_TIMEOUT = 300
MAX_PAGE_LIMIT = 500
DEFAULT_PAGE_LIMIT = 100

ENABLED = "org_mirror_enabled"
DISABLED = "org_mirror_disabled"
CONFIG_CHANGED = "org_mirror_config_changed"
SYNC_NOW_REQUESTED = "org_mirror_sync_now_requested"
SYNC_CANCELLED = "org_mirror_sync_cancelled"

URL_NOT_ALLOWED = "The provided registry URL is not allowed"
BAD_DATE = "Invalid sync_start_date format. Use ISO 8601: YYYY-MM-DDTHH:MM:SSZ"
FOREIGN_ROBOT = "Robot account must belong to the organization"
NOT_EMPTY = (
    "Cannot create organization mirror: the organization already contains repositories. "
    "Organization mirroring requires an empty organization."
)
ALREADY_EXISTS = "Mirror configuration already exists for this organization"
DISCOVERY_RUNNING = "Cannot trigger sync: discovery is currently in progress."
REPOS_SYNCING = (
    "Cannot trigger sync: repositories are still syncing. Cancel the current sync and wait for "
    "all repositories to reach a terminal state before triggering a new sync."
)
#: 3.17.0's one refusal of sync-now.
CURRENTLY_SYNCING = "Cannot trigger sync: mirror is currently syncing"
ALREADY_CANCELLED = "Cannot cancel: mirror is already cancelled"


def statuses(profile: object) -> tuple[str, ...]:
    """The ``OrgMirrorStatus`` names of ``profile``'s release, in Quay's order."""
    if getattr(profile, "org_mirror_skip", True):
        return ORG_MIRROR_STATUSES
    return tuple(status for status in ORG_MIRROR_STATUSES if status != "SKIP")


def config_record(
    *,
    external_registry_type: str,
    external_registry_url: str,
    external_namespace: str,
    robot_username: str,
    visibility: str,
    sync_interval: int,
    sync_start_date: datetime,
    creation_date: datetime,
    is_enabled: bool = True,
    external_registry_username: str | None = None,
    external_registry_password: str | None = None,
    external_registry_config: Mapping[str, Any] | None = None,
    repository_filters: list[str] | None = None,
    skopeo_timeout: int = DEFAULT_SKOPEO_TIMEOUT,
    sync_status: str = "NEVER_RUN",
    sync_retries_remaining: int = MAX_SYNC_RETRIES,
    sync_expiration_date: datetime | None = None,
) -> dict[str, Any]:
    """An org mirror config as the store keeps it (dates as ``store_date`` gives them)."""
    return {
        "is_enabled": is_enabled,
        "external_registry_type": external_registry_type,
        "external_registry_url": external_registry_url,
        "external_namespace": external_namespace,
        "external_registry_username": external_registry_username,
        "external_registry_password": external_registry_password,
        "external_registry_config": dict(external_registry_config or {}),
        "repository_filters": list(repository_filters or []),
        "robot_username": robot_username,
        "visibility": visibility,
        "sync_interval": sync_interval,
        "sync_start_date": store_date(sync_start_date),
        "sync_expiration_date": store_date(sync_expiration_date),
        "sync_status": sync_status,
        "sync_retries_remaining": sync_retries_remaining,
        "skopeo_timeout": skopeo_timeout,
        "creation_date": store_date(creation_date),
        "sync_transaction_id": uuid.uuid4().hex,
    }


def repo_row(
    org: str,
    name: str,
    discovery_date: datetime,
    *,
    sync_status: str = "NEVER_RUN",
    sync_start_date: datetime | None = None,
    sync_expiration_date: datetime | None = None,
    sync_retries_remaining: int = MAX_SYNC_RETRIES,
    status_message: str | None = None,
    last_sync_date: datetime | None = None,
    linked: bool = False,
) -> dict[str, Any]:
    """An ``OrgMirrorRepository`` row; by default a newly discovered one: NEVER_RUN, 3
    retries, no start."""
    return {
        "organization": org,
        "repository_name": name,
        "sync_status": sync_status,
        "sync_start_date": store_date(sync_start_date),
        "sync_expiration_date": store_date(sync_expiration_date),
        "sync_retries_remaining": sync_retries_remaining,
        "status_message": status_message,
        "discovery_date": store_date(discovery_date),
        "last_sync_date": store_date(last_sync_date),
        #: Whether the row is linked to its local repository (Quay's ``repository_id``).
        "linked": linked,
        "sync_transaction_id": uuid.uuid4().hex,
    }


def save_config(tx: Documents, org: str, config: dict[str, Any]) -> None:
    """Store ``config`` with a new ``sync_transaction_id``."""
    config["sync_transaction_id"] = uuid.uuid4().hex
    tx.put(ORG_MIRRORS, org, config)


def is_org_mirrored(tx: Documents, namespace: str) -> bool:
    """Quay's ``is_namespace_org_mirrored``: the organization has an org mirror config (Quay
    keeps no flag of its own; fixtures' ``organizations[].org_mirror`` follows this)."""
    return tx.get(ORG_MIRRORS, namespace) is not None


def repo_rows(tx: Transaction, org: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(key, row)`` of the org's discovered repositories, by ``repository_name``."""
    prefix = f"{org}/"
    rows = [(key, row) for key, row in tx.scan(ORG_MIRROR_REPOS) if key.startswith(prefix)]
    return iter(sorted(rows, key=lambda item: item[1]["repository_name"]))


def forget(tx: Transaction, org: str) -> None:
    """Drop the org mirror config of ``org`` and its repository rows (Quay's ``delete_user``)."""
    for key, _ in list(repo_rows(tx, org)):
        tx.delete(ORG_MIRROR_REPOS, key)
    tx.delete(ORG_MIRRORS, org)


def visible_rows(tx: Transaction, org: str) -> list[dict[str, Any]]:
    """The rows Quay's queries return: those of repositories marked for deletion are not."""
    visible = []
    for key, row in repo_rows(tx, org):
        if row["linked"]:
            repo = tx.get(REPOSITORIES, key)
            if repo is None or repo.get("state") == "MARKED_FOR_DELETION":
                continue
        visible.append(row)
    return visible


def _require_reader(tx: Transaction, ctx: Context, org: str) -> None:
    """GET's permission: org admin, global read-only superuser, or full-access superuser."""
    if not namespace_roles.may_read_org(tx, ctx.config, ctx.caller, org):
        raise Unauthorized()


def _require_admin(tx: Transaction, ctx: Context, org: str) -> None:
    """Quay's ``require_org_admin``."""
    if not can_administer_org_robots(tx, ctx, org):
        raise Unauthorized()


def _get_config(tx: Transaction, org: str) -> dict[str, Any]:
    """The org (``InvalidOrganizationException``: 404), then its config (404)."""
    if tx.get(ORGANIZATIONS, org) is None:
        raise NotFound()
    config = tx.get(ORG_MIRRORS, org)
    if config is None:
        raise NotFound()
    return config


def external_reference(config: Mapping[str, Any]) -> str:
    """``<url>/<namespace>``, as Quay's audit entries name the source."""
    return f"{config['external_registry_url']}/{config['external_namespace']}"


def status_counts(tx: Transaction, ctx: Context, org: str) -> dict[str, int]:
    """``repo_sync_status_counts``: every status of the release, 0 when none."""
    counts = dict.fromkeys(statuses(ctx.config.profile), 0)
    for row in visible_rows(tx, org):
        if row["sync_status"] in counts:
            counts[row["sync_status"]] += 1
    return counts


def view_config(tx: Transaction, ctx: Context, org: str) -> dict[str, Any]:
    """``getOrgMirrorConfig``: the config, keys in Quay's order (never the password)."""
    _require_reader(tx, ctx, org)
    config = _get_config(tx, org)
    return {
        "is_enabled": config["is_enabled"],
        "external_registry_type": config["external_registry_type"],
        "external_registry_url": config["external_registry_url"],
        "external_namespace": config["external_namespace"],
        "external_registry_username": config["external_registry_username"],
        "has_external_registry_password": config["external_registry_password"] is not None,
        "external_registry_config": config["external_registry_config"] or {},
        "repository_filters": config["repository_filters"] or [],
        "robot_username": config["robot_username"],
        "visibility": config["visibility"],
        "sync_interval": config["sync_interval"],
        "sync_start_date": _shown_date(config["sync_start_date"]),
        "sync_expiration_date": _shown_date(config["sync_expiration_date"]),
        "sync_status": config["sync_status"],
        "sync_retries_remaining": config["sync_retries_remaining"],
        "repo_sync_status_counts": status_counts(tx, ctx, org),
        "skopeo_timeout": config["skopeo_timeout"],
        "creation_date": _shown_date(config["creation_date"]),
    }


def _shown_date(text: str | None) -> str | None:
    return format_mirror_date(load_date(text))


def _check_url(ctx: Context, url: Any) -> None:
    """``_validate_registry_url``: an SSRF block has one text, other refusals their own."""
    try:
        check_external_url(
            url,
            resolver=fixture_resolver(ctx.config.dns),
            allowed_hosts=ctx.config.ssrf_allowed_hosts,
        )
    except ReferenceRejected as rejected:
        raise InvalidRequest(URL_NOT_ALLOWED if rejected.blocked else rejected.reason) from None


def url_allowed(ctx: Context, url: str) -> bool:
    """Whether the URL passes Quay's check with DNS now (verify and the worker re-check)."""
    try:
        _check_url(ctx, url)
    except InvalidRequest:
        return False
    return True


def _check_robot(tx: Transaction, org: str, robot_username: str) -> str:
    """``model.user.lookup_robot`` then the robot's namespace."""
    if "+" not in robot_username or tx.get(ROBOTS, robot_username) is None:
        raise InvalidRequest(f"Invalid robot account: {robot_username}")
    if robot_username.partition("+")[0] != org:
        raise InvalidRequest(FOREIGN_ROBOT)
    return robot_username


def _parse_date(text: Any) -> datetime:
    try:
        return parse_mirror_date(text)
    except (TypeError, ValueError):
        raise InvalidRequest(BAD_DATE) from None


def _has_repositories(tx: Transaction, org: str) -> bool:
    prefix = f"{org}/"
    return any(
        key.startswith(prefix) and repo.get("state") != "MARKED_FOR_DELETION"
        for key, repo in tx.scan(REPOSITORIES)
    )


def create_config(tx: Transaction, ctx: Context, org: str, body: Mapping[str, Any]) -> None:
    """``createOrgMirrorConfig`` on a body that passed the schema (spec section 1.2)."""
    _require_admin(tx, ctx, org)
    if tx.get(ORGANIZATIONS, org) is None:
        raise NotFound()
    robot = _check_robot(tx, org, body["robot_username"])
    start = _parse_date(body["sync_start_date"])
    _check_url(ctx, body["external_registry_url"])
    if _has_repositories(tx, org):
        raise InvalidRequest(NOT_EMPTY)
    if tx.get(ORG_MIRRORS, org) is not None:
        raise InvalidRequest(ALREADY_EXISTS)
    save_config(
        tx,
        org,
        config_record(
            external_registry_type=body["external_registry_type"],
            external_registry_url=body["external_registry_url"],
            external_namespace=body["external_namespace"],
            robot_username=robot,
            visibility=body["visibility"],
            sync_interval=int(body["sync_interval"]),
            sync_start_date=start,
            creation_date=ctx.now,
            is_enabled=body.get("is_enabled", True),
            external_registry_username=body.get("external_registry_username"),
            external_registry_password=body.get("external_registry_password"),
            external_registry_config=body.get("external_registry_config"),
            repository_filters=body.get("repository_filters"),
            skopeo_timeout=int(body.get("skopeo_timeout", DEFAULT_SKOPEO_TIMEOUT)),
        ),
    )
    audit.log_action(
        tx,
        ctx,
        org,
        ENABLED,
        {
            "external_registry_type": body["external_registry_type"].lower(),
            "external_registry_url": body["external_registry_url"],
            "external_namespace": body["external_namespace"],
            "sync_interval": body["sync_interval"],
            "robot_username": body["robot_username"],
        },
    )


#: The fields PUT sets as sent, after the checks (credentials: ``""`` clears).
_UPDATABLE = (
    "is_enabled",
    "external_registry_url",
    "external_namespace",
    "robot_username",
    "visibility",
    "sync_interval",
    "sync_start_date",
    "external_registry_username",
    "external_registry_password",
    "external_registry_config",
    "repository_filters",
    "skopeo_timeout",
)


def update_config(tx: Transaction, ctx: Context, org: str, body: Mapping[str, Any]) -> None:
    """``updateOrgMirrorConfig``: every check before anything is written (spec section 1.4).

    ``external_registry_type`` is not updatable: Quay's schema lacks it and the handler
    ignores it.
    """
    _require_admin(tx, ctx, org)
    config = _get_config(tx, org)
    if "external_registry_url" in body:
        _check_url(ctx, body["external_registry_url"])
    if "robot_username" in body:
        _check_robot(tx, org, body["robot_username"])
    start = _parse_date(body["sync_start_date"]) if "sync_start_date" in body else None
    old_reference = external_reference(config)
    for name in _UPDATABLE:
        if name not in body:
            continue
        value = body[name]
        if name in ("external_registry_username", "external_registry_password"):
            value = value or None
        elif name == "sync_start_date":
            value = store_date(start)
        elif name in ("sync_interval", "skopeo_timeout"):
            value = int(value)
        config[name] = value
    save_config(tx, org, config)
    audit.log_action(
        tx,
        ctx,
        org,
        CONFIG_CHANGED,
        {
            "updated_fields": list(body),
            "old_external_reference": old_reference,
            "external_reference": external_reference(config),
        },
    )


def delete_config(tx: Transaction, ctx: Context, org: str) -> None:
    """``deleteOrgMirrorConfig``: the repositories it made go back to NORMAL and stay."""
    _require_admin(tx, ctx, org)
    config = _get_config(tx, org)
    for key, row in list(repo_rows(tx, org)):
        repo = tx.get(REPOSITORIES, key) if row["linked"] else None
        if repo is not None and repo.get("state") == "ORG_MIRROR":
            repo["state"] = "NORMAL"
            tx.put(REPOSITORIES, key, repo)
        tx.delete(ORG_MIRROR_REPOS, key)
    tx.delete(ORG_MIRRORS, org)
    audit.log_action(tx, ctx, org, DISABLED, {"external_reference": external_reference(config)})


def is_active(row: Mapping[str, Any]) -> bool:
    """A repository sync that is not over: sync-now waits for it."""
    status = row["sync_status"]
    return status in ("SYNCING", "SYNC_NOW", "NEVER_RUN") or (
        status == "FAIL" and row["sync_retries_remaining"] > 0
    )


def sync_now(tx: Transaction, ctx: Context, org: str) -> None:
    """``syncOrgMirrorNow``: discovery and every repository's sync at once (spec section 1.5)."""
    _require_admin(tx, ctx, org)
    config = _get_config(tx, org)
    skip = ctx.config.profile.org_mirror_skip
    if config["sync_status"] == "SYNCING":
        raise InvalidRequest(DISCOVERY_RUNNING if skip else CURRENTLY_SYNCING)
    if any(is_active(row) for row in visible_rows(tx, org)):
        raise InvalidRequest(REPOS_SYNCING if skip else CURRENTLY_SYNCING)
    config.update(
        sync_status="SYNC_NOW",
        sync_start_date=store_date(ctx.now),
        sync_expiration_date=None,
        sync_retries_remaining=max(config["sync_retries_remaining"], 1),
    )
    save_config(tx, org, config)
    audit.log_action(
        tx, ctx, org, SYNC_NOW_REQUESTED, {"external_reference": external_reference(config)}
    )


def sync_cancel(tx: Transaction, ctx: Context, org: str) -> None:
    """``cancelOrgMirrorSync``: the worker applies the cancel to the repositories later."""
    _require_admin(tx, ctx, org)
    config = _get_config(tx, org)
    if config["sync_status"] == "CANCEL":
        raise InvalidRequest(ALREADY_CANCELLED)
    config.update(
        sync_status="CANCEL",
        sync_expiration_date=store_date(ctx.now),
        sync_retries_remaining=0,
    )
    save_config(tx, org, config)
    audit.log_action(
        tx, ctx, org, SYNC_CANCELLED, {"external_reference": external_reference(config)}
    )


def verify_connection(tx: Transaction, ctx: Context, org: str) -> dict[str, Any]:
    """``verifyOrgMirrorConnection``: ``{success, message}``, 200 whatever the outcome."""
    _require_admin(tx, ctx, org)
    config = _get_config(tx, org)
    if not url_allowed(ctx, config["external_registry_url"]):
        return {"success": False, "message": "The provided URL is not allowed"}
    success, message = org_source.test_connection(tx, config)
    return {"success": success, "message": message}


def _int_arg(value: str | None, default: int) -> int:
    """``request.args.get(name, default, type=int)``: unparsable is the default."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def repository_view(org: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """A discovered repository as ``listOrgMirrorRepositories`` shows it."""
    return {
        "name": row["repository_name"],
        "sync_status": row["sync_status"],
        "discovery_date": _shown_date(row["discovery_date"]),
        "last_sync_date": _shown_date(row["last_sync_date"]),
        "status_message": row["status_message"],
        "quay_repository": f"{org}/{row['repository_name']}" if row["linked"] else None,
    }


def list_repositories(
    tx: Transaction, ctx: Context, org: str, args: Mapping[str, str]
) -> dict[str, Any]:
    """``listOrgMirrorRepositories``: a page of the discovered rows, by name (spec section 1.6)."""
    _require_reader(tx, ctx, org)
    _get_config(tx, org)
    page = _int_arg(args.get("page"), 1)
    limit = min(_int_arg(args.get("limit"), DEFAULT_PAGE_LIMIT), MAX_PAGE_LIMIT)
    page = 1 if page < 1 else page
    limit = DEFAULT_PAGE_LIMIT if limit < 1 else limit
    rows = visible_rows(tx, org)
    status = args.get("status")
    if status is not None:
        known = statuses(ctx.config.profile)
        if status.upper() not in known:
            raise InvalidRequest(
                f"Invalid status filter '{status}'. Valid values: {', '.join(known)}"
            )
        rows = [row for row in rows if row["sync_status"] == status.upper()]
    chosen = rows[(page - 1) * limit : page * limit]
    return {
        "repositories": [repository_view(org, row) for row in chosen],
        "page": page,
        "limit": limit,
        "total": len(rows),
        "has_next": page * limit < len(rows),
    }
