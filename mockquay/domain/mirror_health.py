"""Repository-mirror health as Quay 3.18's ``getRepositoryMirrorHealth`` reports it
(``endpoints/api/mirrorhealth.py``).

Quay counts the enabled mirrors of repositories in state MIRROR. Its worker metrics (pending
tags, last sync times, active workers) live in the worker's process, which the API process
does not see: the API reports 0 pending tags and 0 workers and never a stale mirror, and so
does mockquay. The answer is unhealthy when more than 20% of the mirrors that have run are
FAIL.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from mockquay.domain import namespace_roles
from mockquay.domain.context import Context
from mockquay.domain.errors import NotFound, Unauthorized
from mockquay.domain.keys import MIRRORS, ORGANIZATIONS, REPOSITORIES, USERS
from mockquay.store import Transaction

CRITICAL_FAILURE_RATE = 0.2
ISSUE_SAMPLE_CAP = 5
MAX_DETAIL_PAGE = 1000


def require_fresh_login(ctx: Context) -> None:
    """Quay's ``require_fresh_login``: 401 when anonymous; an OAuth token is always fresh."""
    if not ctx.caller.authenticated:
        raise Unauthorized()


def check_access(tx: Transaction, ctx: Context, namespace: str | None) -> None:
    """Who may ask, once logged in: superusers anywhere; otherwise members of the organization
    ``namespace``, or the user ``namespace`` itself (403 else). 404 for an unknown namespace."""
    caller, config = ctx.caller, ctx.config
    superuser = namespace_roles.is_full_access_superuser(
        config, caller
    ) or namespace_roles.is_global_readonly_superuser(config, caller)
    if namespace is None:
        if not superuser:
            raise Unauthorized()
        return
    is_org = tx.get(ORGANIZATIONS, namespace) is not None
    if not is_org and tx.get(USERS, namespace) is None:
        raise NotFound()
    if superuser:
        return
    if is_org:
        allowed = namespace_roles.is_org_member(tx, caller, namespace)
    else:
        allowed = caller.username == namespace
    if not allowed:
        raise Unauthorized()


def mirror_health(
    tx: Transaction,
    ctx: Context,
    namespace: str | None,
    *,
    detailed: bool,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    """The health report; its ``healthy`` decides 200 or 503."""
    rows = _enabled_mirror_rows(tx, namespace)
    counts: dict[str, Any] = {
        "total": len(rows),
        "syncing": _count(rows, "SYNCING"),
        "completed": _count(rows, "SUCCESS"),
        "failed": _count(rows, "FAIL"),
        "never_run": _count(rows, "NEVER_RUN"),
    }
    stamp = _timestamp(ctx.now)
    issues = [
        _issue("warning", f"Repository {repo} has never been synced", stamp)
        for repo, mirror in rows
        if mirror["sync_status"] == "NEVER_RUN"
    ][:ISSUE_SAMPLE_CAP]
    issues += [
        _issue("error", f"Repository {repo} has exhausted all retry attempts", stamp)
        for repo, mirror in rows
        if mirror["sync_status"] == "FAIL" and mirror["sync_retries_remaining"] == 0
    ][:ISSUE_SAMPLE_CAP]
    healthy = True
    have_run = counts["total"] - counts["never_run"]
    if have_run > 0:
        rate = counts["failed"] / have_run
        if rate > CRITICAL_FAILURE_RATE:
            healthy = False
            message = (
                f"{rate * 100:.1f}% of repositories are failing "
                f"(threshold: {CRITICAL_FAILURE_RATE * 100:.1f}%)"
            )
            issues.insert(0, _issue("critical", message, stamp))
    report: dict[str, Any] = {
        "healthy": healthy,
        "workers": {"active": 0, "configured": 0, "status": "healthy" if healthy else "degraded"},
        "repositories": counts,
        "tags_pending": 0,
        "last_check": stamp,
        "issues": issues,
    }
    if detailed:
        page_size = max(1, min(limit, MAX_DETAIL_PAGE))
        start = max(0, offset)
        page = rows[start : start + page_size + 1]
        counts["details"] = [
            {
                "namespace": repo.partition("/")[0],
                "repository": repo.partition("/")[2],
                "sync_status": mirror["sync_status"],
                "is_enabled": mirror["is_enabled"],
                "last_sync": None,
                "retries_remaining": mirror["sync_retries_remaining"],
            }
            for repo, mirror in page[:page_size]
        ]
        counts["pagination"] = {
            "limit": page_size,
            "offset": start,
            "has_more": len(page) > page_size,
        }
    return report


def _enabled_mirror_rows(tx: Transaction, namespace: str | None) -> list[tuple[str, dict]]:
    """``(namespace/name, mirror)`` of the enabled mirrors of MIRROR repositories, sorted."""
    rows = []
    for key, mirror in tx.scan(MIRRORS):
        if namespace is not None and key.partition("/")[0] != namespace:
            continue
        repo = tx.get(REPOSITORIES, key)
        if repo is not None and repo.get("state") == "MIRROR" and mirror.get("is_enabled"):
            rows.append((key, mirror))
    return sorted(rows, key=lambda row: row[0])


def _count(rows: list[tuple[str, dict]], status: str) -> int:
    return sum(1 for _, mirror in rows if mirror["sync_status"] == status)


def _issue(severity: str, message: str, timestamp: str) -> dict[str, str]:
    return {"severity": severity, "message": message, "timestamp": timestamp}


def _timestamp(now: datetime) -> str:
    """Quay's ``_utc_z_timestamp``: ISO 8601 with microseconds and ``Z``."""
    return now.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
