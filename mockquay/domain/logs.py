"""Audit logs as Quay's ``listRepoLogs`` and ``listOrgLogs`` page through them (``logs.py``).

Quay reads logs from three tables, newest first, 20 a page, from ``start`` (inclusive) to
``end`` (exclusive). mockquay's entries all live in Quay's newest table, so it answers as Quay
does then: after the last page of that table comes a ``next_page`` that moves to the older
(empty) tables, and the page it leads to is empty and has no ``next_page``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from mockquay.domain import audit, avatars, namespace_roles
from mockquay.domain.context import Context
from mockquay.domain.dates import format_rfc2822, load_date
from mockquay.domain.errors import Abort, EmulatedCrash, Unauthorized
from mockquay.domain.keys import ROBOTS, USERS, RepositoryRef
from mockquay.domain.repository import get_repository
from mockquay.store import Transaction

LOGS_PER_PAGE = 20

#: Quay's page-token key for "continue in log table N".
_TABLE = "tti"


def parse_log_date(text: str | None) -> datetime | None:
    """Quay's ``_parse_datetime``: ``MM/DD/YYYY`` (UTC midnight); anything else is None."""
    if not text:
        return None
    try:
        return datetime.strptime(text, "%m/%d/%Y")
    except ValueError:
        return None


def log_window(
    now: datetime, starttime: str | None, endtime: str | None
) -> tuple[datetime, datetime]:
    """``_validate_logs_arguments``: from ``starttime`` (default a day ago) up to the end of the
    day ``endtime`` (default: a day from now). Raises Abort(400) if the end is before the start,
    and Quay's crash if the end is past the last day Python can represent.
    """
    start = parse_log_date(starttime) or now - timedelta(days=1)
    try:
        end = (parse_log_date(endtime) or now) + timedelta(days=1)
    except OverflowError:
        # 12/31/9999 plus a day is past datetime.max; Quay does not catch it.
        raise EmulatedCrash("OverflowError: date value out of range") from None
    if end < start:
        raise Abort(400)
    return start, end


def list_repo_logs(
    tx: Transaction,
    ctx: Context,
    repository: RepositoryRef,
    *,
    starttime: str | None,
    endtime: str | None,
    page: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``listRepoLogs``: one page of the repository's log and the token of the next, if any."""
    get_repository(tx, repository)
    newest_first = reversed(list(audit.entries(tx, str(repository))))
    return _logs_page(tx, ctx, newest_first, starttime=starttime, endtime=endtime, page=page)


def list_org_logs(
    tx: Transaction,
    ctx: Context,
    orgname: str,
    *,
    performer: str | None,
    starttime: str | None,
    endtime: str | None,
    page: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``listOrgLogs``: one page of every entry of the namespace, its repositories' included.

    Org admins, full-access superusers and global read-only superusers may read; the org is
    not looked up. ``performer`` filters by a user only when such a user exists, as Quay's
    ``lookup_logs`` does.
    """
    if not namespace_roles.may_read_org(tx, ctx.config, ctx.caller, orgname):
        raise Unauthorized()
    entries: Iterable[dict[str, Any]] = audit.namespace_entries(tx, orgname)
    if performer and tx.get(USERS, performer) is not None:
        entries = [entry for entry in entries if entry.get("performer") == performer]
    return _logs_page(tx, ctx, entries, starttime=starttime, endtime=endtime, page=page)


def _logs_page(
    tx: Transaction,
    ctx: Context,
    newest_first: Iterable[dict[str, Any]],
    *,
    starttime: str | None,
    endtime: str | None,
    page: dict[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Quay's ``_get_logs``: the page of ``newest_first`` in the window, and the next's token."""
    start, end = log_window(ctx.now, starttime, endtime)
    logs: list[dict[str, Any]] = []
    next_page = None
    if (page or {}).get(_TABLE) is None:
        offset = int((page or {}).get("offset", 0))
        in_window = [entry for entry in newest_first if start <= load_date(entry["datetime"]) < end]
        logs = in_window[offset : offset + LOGS_PER_PAGE]
        if offset + LOGS_PER_PAGE < len(in_window):
            next_page = {"offset": offset + LOGS_PER_PAGE}
        elif logs:
            next_page = {_TABLE: 1}
    return (
        {
            "start_time": format_rfc2822(start),
            "end_time": format_rfc2822(end),
            "logs": [_log_view(tx, entry) for entry in logs],
        },
        next_page,
    )


def _log_view(tx: Transaction, entry: dict[str, Any]) -> dict[str, Any]:
    """``Log.to_dict``: the performer as it is now (none if the user is gone)."""
    view: dict[str, Any] = {
        "kind": entry["kind"],
        "metadata": entry["metadata"],
        "ip": entry["ip"],
        "datetime": format_rfc2822(load_date(entry["datetime"])),
    }
    name = entry.get("performer")
    performer = tx.get(USERS, name) if name else None
    if performer is not None:
        view["performer"] = {
            "kind": "user",
            "name": performer["username"],
            "is_robot": False,
            "avatar": avatars.for_user(performer),
        }
    elif name and tx.get(ROBOTS, name) is not None:
        view["performer"] = {
            "kind": "user",
            "name": name,
            "is_robot": True,
            "avatar": avatars.for_robot(name),
        }
    return view
