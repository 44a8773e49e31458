"""How the tag history is stored: a push writes the rows it ends and the index, never the
whole history (whose length grows with every sync of a mirror)."""

from __future__ import annotations

from datetime import datetime, timedelta

from mockquay.domain import tags
from mockquay.domain.keys import TAG_ROWS, TAGS, RepositoryRef
from mockquay.domain.upstream import Manifest
from mockquay.store import Store

REPOSITORY = RepositoryRef("acme", "app")
MANIFEST = Manifest("sha256:" + "a" * 64, False, 1234)
START = datetime(2026, 1, 1)
NAMES = ("v1", "v2", "v3")


def synced(store: Store, syncs: int) -> datetime:
    """``syncs`` syncs of the three tags, an hour apart, one transaction each; the last time."""
    now = START
    for number in range(syncs):
        now = START + timedelta(hours=number)
        with store.transaction() as tx:
            for name in NAMES:
                tags.retarget(tx, REPOSITORY, name, MANIFEST, now)
    return now


def written_by(store: Store, change) -> list[tuple[str, str]]:
    """The ``(kind, key)`` pairs one transaction running ``change(tx)`` wrote."""
    written: list[tuple[str, str]] = []
    store.listeners.append(lambda pairs: written.extend(pairs or []))
    with store.transaction() as tx:
        change(tx)
    return written


def test_a_push_writes_the_ended_row_and_the_index_only():
    """``retarget_tag`` (data/model/oci/tag.py) ends the alive row and starts one: after 20
    syncs (60 rows) a push writes that ended row and the repository's index of alive rows."""
    store = Store()
    now = synced(store, 20) + timedelta(hours=1)
    written = written_by(store, lambda tx: tags.retarget(tx, REPOSITORY, "v2", MANIFEST, now))
    assert sorted(written) == [(TAG_ROWS, "acme/app#0000000058"), (TAGS, "acme/app")]
    with store.transaction() as tx:
        index = tx.get(TAGS, "acme/app")
        ended = tx.get(TAG_ROWS, "acme/app#0000000058")
    assert index["count"] == 61
    assert sorted(index["alive"]) == ["v1", "v2", "v3"]
    assert index["alive"]["v2"]["number"] == 60
    assert ended["name"] == "v2"
    assert ended["lifetime_end_ms"] == tags.epoch_ms(now)


def test_the_index_holds_the_alive_rows_however_long_the_history():
    """The repository's record does not grow with the syncs: 3 alive rows after 1 or 40 syncs;
    the ended rows are records of their own, one each."""
    store = Store()
    synced(store, 40)
    with store.transaction() as tx:
        index = tx.get(TAGS, "acme/app")
        ended = [key for key, _ in tx.scan(TAG_ROWS)]
    assert len(index["alive"]) == 3
    assert len(ended) == 117
    assert all(key.startswith("acme/app#") for key in ended)


def test_history_is_every_row_in_start_order_with_its_lifetime():
    """``list_repository_tag_history`` (data/model/oci/tag.py) sees every row: the ended rows
    and the alive ones, in the order they started; ``delete_tag`` ends a row without a new
    one."""
    store = Store()
    last = synced(store, 2)
    deleted = last + timedelta(minutes=5)
    with store.transaction() as tx:
        tags.delete(tx, REPOSITORY, {"v3", "gone"}, deleted)
        rows = tags.history(tx, REPOSITORY)
        alive = tags.alive_tags(tx, REPOSITORY, deleted)
    first, second, deleted_ms = (tags.epoch_ms(moment) for moment in (START, last, deleted))
    assert [(row["name"], row["lifetime_start_ms"], row["lifetime_end_ms"]) for row in rows] == [
        ("v1", first, second),
        ("v2", first, second),
        ("v3", first, second),
        ("v1", second, None),
        ("v2", second, None),
        ("v3", second, deleted_ms),
    ]
    assert sorted(alive) == ["v1", "v2"]


def test_forget_drops_every_row_of_the_repository():
    """A deleted repository's tags go with it, the ended rows too."""
    store = Store()
    synced(store, 3)
    with store.transaction() as tx:
        tags.forget(tx, REPOSITORY)
    with store.transaction() as tx:
        assert tx.get(TAGS, "acme/app") is None
        assert list(tx.scan(TAG_ROWS)) == []
        assert tags.history(tx, REPOSITORY) == []


def test_a_history_of_an_older_state_file_is_read_and_kept_on_the_next_push():
    """A ``--data`` file of an older mockquay holds ``{"history": rows}``: listRepoTags reads
    it as it is, and the next push keeps every row, ending the alive one."""
    store = Store()
    first, later = tags.epoch_ms(START), tags.epoch_ms(START + timedelta(hours=1))
    old_rows = [
        {**row_of("v1", first), "lifetime_end_ms": later},
        row_of("v1", later),
        {**row_of("v2", first), "lifetime_end_ms": later},
    ]
    with store.transaction() as tx:
        tx.put(TAGS, "acme/app", {"history": old_rows})
    with store.transaction() as tx:
        assert tags.history(tx, REPOSITORY) == old_rows
        assert sorted(tags.alive_tags(tx, REPOSITORY, START)) == ["v1"]
    pushed = START + timedelta(hours=2)
    with store.transaction() as tx:
        tags.retarget(tx, REPOSITORY, "v1", MANIFEST, pushed)
    with store.transaction() as tx:
        rows = tags.history(tx, REPOSITORY)
    assert rows[:3] == [
        old_rows[0],
        {**old_rows[1], "lifetime_end_ms": tags.epoch_ms(pushed)},
        old_rows[2],
    ]
    assert rows[3] == row_of("v1", tags.epoch_ms(pushed))


def row_of(name: str, start_ms: int) -> dict:
    """The alive row :func:`tags.retarget` starts for ``MANIFEST``."""
    return {
        "name": name,
        "manifest_digest": MANIFEST.digest,
        "is_manifest_list": False,
        "size": MANIFEST.size,
        "lifetime_start_ms": start_ms,
        "lifetime_end_ms": None,
        "reversion": False,
    }
