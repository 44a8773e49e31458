"""Quay's audit log of repositories: what ``track_and_log`` and ``log_action`` write.

Quay records a repository's entries in two ways, and their metadata differ:

* ``util/audit.py track_and_log`` (the mirror endpoints): ``repo``, ``namespace`` and
  ``user-agent``, then the change (``changed``, ``to``), then the auth context's public metadata
  (for an OAuth token: its id, its application's client id and name, and ``username``), then
  ``resolved_ip``.
* ``endpoints/api log_action`` (repository creation, state and description changes): the
  handler's metadata, then the OAuth token's id and application only.

Values are stored as Quay's ``json.dumps(..., default=_json_serialize)`` would keep them.
Entries are kept per repository in the order they were written.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from typing import Any

from mockquay.domain.context import Context
from mockquay.domain.dates import store_date
from mockquay.domain.identity import Caller
from mockquay.domain.keys import LOG_COUNTERS, LOGS
from mockquay.store import Transaction

#: The OAuth application mockquay's fixture tokens stand for (Quay's ``OAuthApplication``).
OAUTH_APPLICATION_CLIENT_ID = "MOCKQUAYFIXTURETOKEN"
OAUTH_APPLICATION_NAME = "mockquay"


def record(tx: Transaction, ctx: Context, repository: str, kind: str, **metadata: Any) -> None:
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
    tx: Transaction, ctx: Context, repository: str, kind: str, metadata: Mapping[str, Any]
) -> None:
    """``log_action(kind, namespace, metadata, repo_name=...)`` for ``repository``."""
    _append(tx, ctx, repository, kind, {**metadata, **_oauth_token_metadata(ctx.caller)})


def entries(tx: Transaction, repository: str) -> Iterator[dict[str, Any]]:
    """The log entries of ``repository``, oldest first."""
    counter = tx.get(LOG_COUNTERS, repository) or {"count": 0}
    for number in range(counter["count"]):
        entry = tx.get(LOGS, _key(repository, number))
        if entry is not None:
            yield entry


def forget(tx: Transaction, repository: str) -> None:
    """Drop the log of a deleted repository: Quay keeps it with the old repository row, so a
    new repository of the same name starts with an empty log."""
    counter = tx.get(LOG_COUNTERS, repository) or {"count": 0}
    for number in range(counter["count"]):
        tx.delete(LOGS, _key(repository, number))
    tx.delete(LOG_COUNTERS, repository)


def _append(
    tx: Transaction, ctx: Context, repository: str, kind: str, metadata: dict[str, Any]
) -> None:
    counter = tx.get(LOG_COUNTERS, repository) or {"count": 0}
    entry = {
        "kind": kind,
        "metadata": metadata,
        "ip": ctx.ip,
        "datetime": store_date(ctx.now),
        "performer": ctx.caller.username,
    }
    tx.put(LOGS, _key(repository, counter["count"]), entry)
    tx.put(LOG_COUNTERS, repository, {"count": counter["count"] + 1})


def _key(repository: str, number: int) -> str:
    return f"{repository}#{number:010d}"


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
    """``OAuthTokenEntityHandler.analytics_id_and_public_metadata`` (nothing when anonymous)."""
    if caller.username is None:
        return {}
    return {**_oauth_token_metadata(caller), "username": caller.username}


def _resolved_ip() -> dict[str, Any]:
    """``ip_resolver.resolve_ip`` of a client Quay's GeoIP and AWS tables do not know.

    ``sync_token`` is the AWS ranges file's token in a real Quay; mockquay has no such file.
    """
    return {"provider": "internet", "service": None, "sync_token": None, "country_iso_code": None}
