"""Quay's audit log for repositories (``util/audit.py track_and_log``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mockquay.domain.context import Context
from mockquay.domain.dates import store_date
from mockquay.store import Transaction


def record(tx: Transaction, ctx: Context, repository: str, kind: str, **metadata: Any) -> None:
    """Append one log entry of ``kind`` for ``repository`` (``namespace/name``)."""
    namespace, _, name = repository.partition("/")
    counter = tx.get("log_counters", repository) or {"count": 0}
    entry = {
        "kind": kind,
        "metadata": {
            "repo": name,
            "namespace": namespace,
            "user-agent": ctx.user_agent,
            **metadata,
            **({"username": ctx.caller.username} if ctx.caller.username else {}),
        },
        "ip": ctx.ip,
        "datetime": store_date(ctx.now),
        "performer": ctx.caller.username,
    }
    tx.put("logs", f"{repository}#{counter['count']:010d}", entry)
    tx.put("log_counters", repository, {"count": counter["count"] + 1})


def entries(tx: Transaction, repository: str) -> Iterator[dict[str, Any]]:
    """The log entries of ``repository``, oldest first."""
    counter = tx.get("log_counters", repository) or {"count": 0}
    for number in range(counter["count"]):
        entry = tx.get("logs", f"{repository}#{number:010d}")
        if entry is not None:
            yield entry
