"""Quay's audit log of repositories: what ``track_and_log`` and ``log_action`` write.

Quay records a repository's entries in two ways, and their metadata differ:

* ``util/audit.py track_and_log`` (the mirror endpoints): ``repo``, ``namespace`` and
  ``user-agent``, then the change (``changed``, ``to``), then the auth context's public metadata
  (for an OAuth token: its id, its application's client id and name, and ``username``), then
  ``resolved_ip``.
* ``endpoints/api log_action`` (repository creation, state and description changes): the
  handler's metadata, then the OAuth token's id and application only.

Values are stored as Quay's ``json.dumps(..., default=_json_serialize)`` would keep them.
Entries are kept per repository in the order they were written, the newest
``QuayConfig.audit_log_size`` of each: Quay keeps every entry in its database, a mock keeps
its memory bounded. An entry about a namespace rather than one of its repositories is kept
under the namespace's name alone; ``namespace_entries`` reads both kinds.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from mockquay.domain.context import Context
from mockquay.domain.dates import load_date, store_date
from mockquay.domain.identity import Caller
from mockquay.domain.keys import LOG_COUNTERS, LOGS, numbered_key
from mockquay.store import Documents, Transaction

#: The OAuth application mockquay's fixture tokens stand for (Quay's ``OAuthApplication``).
OAUTH_APPLICATION_CLIENT_ID = "MOCKQUAYFIXTURETOKEN"
OAUTH_APPLICATION_NAME = "mockquay"


def record(tx: Documents, ctx: Context, repository: str, kind: str, **metadata: Any) -> None:
    """``track_and_log(kind, repository, **metadata)`` for ``repository`` (``namespace/name``)."""
    namespace, _, name = repository.partition("/")
    _append(
        tx,
        ctx,
        repository,
        kind,
        {
            "repo": name,
            "namespace": namespace,
            "user-agent": ctx.user_agent,
            **metadata,
            **_auth_context_metadata(ctx.caller),
            "resolved_ip": _resolved_ip(),
        },
    )


def log_action(
    tx: Documents, ctx: Context, repository: str, kind: str, metadata: Mapping[str, Any]
) -> None:
    """``log_action(kind, namespace, metadata, repo_name=...)`` for ``repository``."""
    _append(tx, ctx, repository, kind, {**metadata, **_oauth_token_metadata(ctx.caller)})


def log_namespace_action(
    tx: Documents, ctx: Context, namespace: str, kind: str, metadata: Mapping[str, Any]
) -> None:
    """``log_action(kind, namespace, metadata)`` with no repository: the namespace's own log,
    kept under the namespace's name (which has no ``/``, so it is no repository's)."""
    log_action(tx, ctx, namespace, kind, metadata)


def entries(tx: Transaction, repository: str) -> Iterator[dict[str, Any]]:
    """The log entries of ``repository``, oldest first."""
    first, count = _span(tx, repository)
    for number in range(first, count):
        entry = tx.get(LOGS, numbered_key(repository, number))
        if entry is not None:
            yield entry


def namespace_entries(tx: Transaction, namespace: str) -> list[dict[str, Any]]:
    """Every log entry of ``namespace``, newest first: those kept under the namespace's own
    name (entries about it, not one of its repositories) and those of each of its
    repositories, whatever their kind."""
    keys = [
        key
        for key, _ in tx.scan(LOG_COUNTERS)
        if key == namespace or key.startswith(f"{namespace}/")
    ]
    found = [entry for key in sorted(keys) for entry in reversed(list(entries(tx, key)))]
    # A stable sort: entries of one moment keep the order they were written in, per key.
    return sorted(found, key=lambda entry: load_date(entry["datetime"]), reverse=True)


def forget(tx: Transaction, repository: str) -> None:
    """Drop the log of a deleted repository: Quay keeps it with the old repository row, so a
    new repository of the same name starts with an empty log."""
    first, count = _span(tx, repository)
    for number in range(first, count):
        tx.delete(LOGS, numbered_key(repository, number))
    tx.delete(LOG_COUNTERS, repository)


def _append(
    tx: Documents, ctx: Context, repository: str, kind: str, metadata: dict[str, Any]
) -> None:
    first, count = _span(tx, repository)
    entry = {
        "kind": kind,
        "metadata": metadata,
        "ip": ctx.ip,
        "datetime": store_date(ctx.now),
        "performer": ctx.caller.username,
    }
    tx.put(LOGS, numbered_key(repository, count), entry)
    count += 1
    while count - first > ctx.config.audit_log_size:
        tx.delete(LOGS, numbered_key(repository, first))
        first += 1
    tx.put(LOG_COUNTERS, repository, {"count": count, "first": first})


def _span(tx: Documents, repository: str) -> tuple[int, int]:
    """The numbers of the repository's oldest kept entry and of its next one."""
    counter = tx.get(LOG_COUNTERS, repository) or {"count": 0}
    return counter.get("first", 0), counter["count"]


def _oauth_token_metadata(caller: Caller) -> dict[str, Any]:
    """What ``log_action`` adds for a request made with an OAuth token."""
    if caller.token is None:
        return {}
    return {
        # Quay's token row id; mockquay derives a stable number from the token.
        "oauth_token_id": zlib.crc32(caller.token.encode()) & 0x7FFFFFFF,
        "oauth_token_application_id": OAUTH_APPLICATION_CLIENT_ID,
        "oauth_token_application": OAUTH_APPLICATION_NAME,
    }


def _auth_context_metadata(caller: Caller) -> dict[str, Any]:
    """``analytics_id_and_public_metadata`` of the caller's entity: an OAuth token's, or a
    robot's (``RobotEntityHandler``); nothing when anonymous."""
    if caller.username is None:
        return {}
    if caller.robot:
        return {"username": caller.username, "is_robot": True}
    return {**_oauth_token_metadata(caller), "username": caller.username}


#: The ``syncToken`` of the AWS ranges file Quay ships (``util/ipresolver/aws-ip-ranges.json``).
AWS_RANGES_SYNC_TOKEN = "1645662201"


def _resolved_ip() -> dict[str, Any]:
    """``ip_resolver.resolve_ip`` of a loopback or public client: no GeoIP or AWS match."""
    return {
        "provider": "internet",
        "service": None,
        "sync_token": AWS_RANGES_SYNC_TOKEN,
        "country_iso_code": None,
        "aws_region": None,
        "continent": None,
    }
