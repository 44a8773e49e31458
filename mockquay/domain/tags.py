"""A repository's tags and their history, as Quay's OCI ``Tag`` table keeps them.

Each row is one lifetime of a tag: from ``lifetime_start_ms`` until ``lifetime_end_ms`` (None:
alive). Pushing a tag, moved or not, ends its alive row and starts a new one at the same
instant; deleting it ends the row. ``listRepoTags`` shows the whole history, ``getRepo`` the
alive tags.

The history grows with every sync, so a push must not rewrite it. The repository's ``TAGS``
record holds the row count and the alive rows, ``{"count": N, "alive": {name: {"number": n,
"row": row}}}``; a row that ends becomes a ``TAG_ROWS`` record of its own (keyed by its number,
rows being numbered in the order they start), written once. A tag's row ends only when the
tag is pushed again or deleted, always at the clock's time, which never goes backwards: so the
rows of ``alive`` are exactly those Quay's ``filter_to_alive_tags`` keeps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from mockquay.domain.dates import format_rfc2822
from mockquay.domain.keys import TAG_ROWS, TAGS, RepositoryRef, numbered_key
from mockquay.domain.upstream import Manifest
from mockquay.store import Documents, Transaction

#: ``getRepo`` shows at most this many tags (Quay's ``max_tags``).
MAX_REPOSITORY_TAGS = 500

FILTER_SYNTAX = (
    "Unsupported syntax for filter_tag_name. Expected <operation>:<tag_name> where <operation>"
    "can be 'like' or 'eq'."
)


class TagFilterError(ValueError):
    """A ``filter_tag_name`` Quay cannot parse; Quay answers 400 with this message."""


_EPOCH = datetime(1970, 1, 1)
_MS = timedelta(milliseconds=1)


def epoch_ms(moment: datetime) -> int:
    """Quay's ``get_epoch_timestamp_ms`` for ``moment`` (naive UTC)."""
    return (moment - _EPOCH) // _MS


def _index(tx: Documents, repository: RepositoryRef, *, writing: bool = False) -> dict[str, Any]:
    """The repository's ``TAGS`` record (see the module's docstring).

    A record of an older mockquay's state file (``{"history": rows}``) is read as one; when
    ``writing``, its ended rows become ``TAG_ROWS`` records first, so the change keeps them.
    """
    doc = tx.get(TAGS, str(repository))
    if doc is None:
        return {"count": 0, "alive": {}}
    if "history" not in doc:
        return doc
    alive = {}
    for number, row in enumerate(doc["history"]):
        if row["lifetime_end_ms"] is None:
            alive[row["name"]] = {"number": number, "row": row}
        elif writing:
            tx.put(TAG_ROWS, numbered_key(str(repository), number), row)
    return {"count": len(doc["history"]), "alive": alive}


def history(tx: Documents, repository: RepositoryRef) -> list[dict[str, Any]]:
    """Every row of the repository's tag history, in the order they started."""
    older = tx.get(TAGS, str(repository))
    if older is not None and "history" in older:
        return older["history"]
    index = _index(tx, repository)
    alive = {entry["number"]: entry["row"] for entry in index["alive"].values()}
    rows = (
        alive.get(number) or tx.get(TAG_ROWS, numbered_key(str(repository), number))
        for number in range(index["count"])
    )
    return [row for row in rows if row is not None]


def alive_tags(
    tx: Documents, repository: RepositoryRef, now: datetime
) -> dict[str, dict[str, Any]]:
    """The alive tags of ``repository`` at ``now`` (at or after every row's start) by name."""
    return {name: entry["row"] for name, entry in _index(tx, repository)["alive"].items()}


def _end(tx: Documents, repository: RepositoryRef, entry: dict[str, Any], now_ms: int) -> None:
    """End the alive row of ``entry`` (popped from the index) at ``now_ms``: it joins the
    ended rows, which are written once and never changed."""
    row = entry["row"]
    row["lifetime_end_ms"] = now_ms
    tx.put(TAG_ROWS, numbered_key(str(repository), entry["number"]), row)


def retarget(
    tx: Documents,
    repository: RepositoryRef,
    name: str,
    manifest: Manifest,
    now: datetime,
    architectures: tuple[str, ...] | None = None,
) -> None:
    """Point tag ``name`` at ``manifest``, as Quay's ``retarget_tag`` does on every manifest
    push: the alive row ends at ``now`` and a new row starts then, even for the same manifest.

    ``architectures`` are the images of a manifest list that were copied (None: all). Writes
    the ended row and the index, however long the history.
    """
    now_ms = epoch_ms(now)
    index = _index(tx, repository, writing=True)
    ended = index["alive"].pop(name, None)
    if ended is not None:
        _end(tx, repository, ended, now_ms)
    row = {
        "name": name,
        "manifest_digest": manifest.digest,
        "is_manifest_list": manifest.is_manifest_list,
        "size": manifest.size,
        "lifetime_start_ms": now_ms,
        "lifetime_end_ms": None,
        "reversion": False,
    }
    if manifest.is_manifest_list:
        row["child_manifests_presence"] = {
            digest: architectures is None or architecture in architectures
            for architecture, digest in manifest.children
        }
    index["alive"][name] = {"number": index["count"], "row": row}
    index["count"] += 1
    tx.put(TAGS, str(repository), index)


def delete(tx: Documents, repository: RepositoryRef, names: set[str], now: datetime) -> None:
    """End the alive rows of the tags ``names`` (Quay's ``delete_tag``)."""
    now_ms = epoch_ms(now)
    index = _index(tx, repository, writing=True)
    ending = names & index["alive"].keys()
    for name in ending:
        _end(tx, repository, index["alive"].pop(name), now_ms)
    if ending:
        tx.put(TAGS, str(repository), index)


def rollback(tx: Documents, repository: RepositoryRef, since: datetime, now: datetime) -> None:
    """Undo every tag change made since ``since``, as Quay's mirror ``rollback`` does: for each
    row that started or ended since then, newest first, the tag's alive row ends, and a row
    that had ended (the tag moved or was deleted) starts again as a reversion."""
    since_ms, now_ms = epoch_ms(since), epoch_ms(now)
    index = _index(tx, repository, writing=True)
    changed = sorted(
        (
            (row, row["lifetime_end_ms"])
            for row in history(tx, repository)
            if row["lifetime_start_ms"] >= since_ms
            or (row["lifetime_end_ms"] is not None and row["lifetime_end_ms"] >= since_ms)
        ),
        key=lambda pair: -pair[0]["lifetime_start_ms"],
    )
    for row, ended in changed:
        alive = index["alive"].pop(row["name"], None)
        if alive is not None:
            _end(tx, repository, alive, now_ms)
        if ended is not None:
            reverted = {**row, "lifetime_start_ms": now_ms, "lifetime_end_ms": None}
            reverted["reversion"] = True
            index["alive"][row["name"]] = {"number": index["count"], "row": reverted}
            index["count"] += 1
    if changed:
        tx.put(TAGS, str(repository), index)


def forget(tx: Transaction, repository: RepositoryRef) -> None:
    """Drop the tags of a deleted repository."""
    for number in range(_index(tx, repository)["count"]):
        tx.delete(TAG_ROWS, numbered_key(str(repository), number))
    tx.delete(TAGS, str(repository))


def tag_history(
    tx: Documents,
    repository: RepositoryRef,
    now: datetime,
    *,
    specific_tag: str | None,
    filter_tag_name: str | None,
    page: int,
    limit: int,
    active_tags_only: bool,
    sparse_info: bool,
    immutable_info: bool = False,
) -> dict[str, Any]:
    """One page of the tag history, newest first (Quay's ``list_repository_tag_history``);
    ``sparse_info``: manifest lists show what of them is present (3.17 on); ``immutable_info``:
    each tag shows ``immutable`` (3.17 on).
    Raises TagFilterError for a bad ``filter_tag_name``."""
    page = max(1, page)
    limit = min(100, max(1, limit))
    if active_tags_only:
        rows = list(alive_tags(tx, repository, now).values())
    else:
        rows = history(tx, repository)
    if filter_tag_name is not None:
        operation, colon, value = filter_tag_name.partition(":")
        if not colon:
            raise TagFilterError(FILTER_SYNTAX)
        if operation == "like":
            rows = [row for row in rows if value in row["name"]]
        elif operation == "eq":
            rows = [row for row in rows if row["name"] == value]
    if specific_tag is not None:
        rows = [row for row in rows if row["name"] == specific_tag]
    rows = sorted(rows, key=lambda row: (-row["lifetime_start_ms"], row["name"]))
    found = rows[limit * (page - 1) : limit * page + 1]
    return {
        "tags": [_tag_dict(row, sparse_info, immutable_info) for row in found[:limit]],
        "page": page,
        "has_additional": len(found) > limit,
    }


def _tag_dict(row: Mapping[str, Any], sparse_info: bool, immutable_info: bool) -> dict[str, Any]:
    """Quay's ``_tag_dict`` of ``endpoints/api/tag.py``."""
    start_ts = row["lifetime_start_ms"] // 1000
    end_ms = row["lifetime_end_ms"]
    end_ts = None if end_ms is None else end_ms // 1000
    info: dict[str, Any] = {"name": row["name"], "reversion": row["reversion"]}
    if start_ts > 0:
        info["start_ts"] = start_ts
    if end_ts:
        info["end_ts"] = end_ts
    info["manifest_digest"] = row["manifest_digest"]
    info["is_manifest_list"] = row["is_manifest_list"]
    info["size"] = _layers_size(row)
    if start_ts > 0:
        info["last_modified"] = _rfc2822(start_ts)
    if end_ts is not None:
        info["expiration"] = _rfc2822(end_ts)
    if immutable_info:
        info["immutable"] = row.get("immutable", False)
    if sparse_info and row["is_manifest_list"]:
        presence = row.get("child_manifests_presence", {})
        present = sum(presence.values())
        info["is_sparse"] = present < len(presence)
        info["child_manifest_count"] = len(presence)
        info["present_child_count"] = present
        if info["is_sparse"]:
            info["child_manifests_presence"] = dict(presence)
    return info


def repository_view(tx: Documents, repository: RepositoryRef, now: datetime) -> dict[str, Any]:
    """The ``tags`` of ``getRepo``: the alive tags, newest first, at most 500."""
    rows = sorted(
        alive_tags(tx, repository, now).values(),
        key=lambda row: (-row["lifetime_start_ms"], row["name"]),
    )[:MAX_REPOSITORY_TAGS]
    view = {}
    for row in rows:
        start_ts = row["lifetime_start_ms"] // 1000
        info: dict[str, Any] = {
            "name": row["name"],
            "image_id": _legacy_image_id(row),
            "size": _layers_size(row),
        }
        if start_ts > 0:
            info["last_modified"] = _rfc2822(start_ts)
        if row["lifetime_end_ms"]:
            info["expiration"] = _rfc2822(row["lifetime_end_ms"] // 1000)
        info["manifest_digest"] = row["manifest_digest"]
        view[row["name"]] = info
    return view


def _layers_size(row: Mapping[str, Any]) -> int | None:
    """Quay's ``manifest_layers_size``: a manifest list has no layers of its own (None)."""
    return None if row["is_manifest_list"] else row["size"]


def _legacy_image_id(row: Mapping[str, Any]) -> str | None:
    """Quay's ``legacy_image_root_id``: none for a manifest list; a stable id otherwise."""
    if row["is_manifest_list"]:
        return None
    return hashlib.sha256(f"legacy:{row['manifest_digest']}".encode()).hexdigest()


def _rfc2822(timestamp: int) -> str:
    return format_rfc2822(datetime.utcfromtimestamp(timestamp))
