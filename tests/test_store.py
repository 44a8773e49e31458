"""The store: transactions, isolation, persistence and atomic writes."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from mockquay import store as store_module
from mockquay.store import CommittedAnyway, Store


class Answer(CommittedAnyway):
    pass


def test_write_is_visible_after_transaction():
    store = Store()
    with store.transaction() as tx:
        tx.put("mirrors", "acme/app", {"sync_interval": 5})
    with store.transaction() as tx:
        assert tx.get("mirrors", "acme/app") == {"sync_interval": 5}


def test_transaction_reads_its_own_pending_writes():
    store = Store()
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice"})
        assert tx.get("users", "alice") == {"username": "alice"}
        tx.delete("users", "alice")
        assert tx.get("users", "alice") is None


def test_unexpected_exception_rolls_back_every_write():
    store = Store()
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice"})
    with pytest.raises(KeyError), store.transaction() as tx:
        tx.put("users", "bob", {"username": "bob"})
        tx.delete("users", "alice")
        raise KeyError("bug")
    with store.transaction() as tx:
        assert tx.get("users", "bob") is None
        assert tx.get("users", "alice") == {"username": "alice"}


def test_committed_anyway_keeps_writes_before_it():
    store = Store()
    with pytest.raises(Answer), store.transaction() as tx:
        tx.put("repositories", "acme/app", {"permissions": {"acme+bot": "write"}})
        raise Answer()
    with store.transaction() as tx:
        assert tx.get("repositories", "acme/app") == {"permissions": {"acme+bot": "write"}}


def test_documents_read_are_copies():
    store = Store()
    with store.transaction() as tx:
        tx.put("mirrors", "acme/app", {"root_rule": {"rule_value": ["a"]}})
    with store.transaction() as tx:
        tx.get("mirrors", "acme/app")["root_rule"]["rule_value"].append("b")
    with store.transaction() as tx:
        assert tx.get("mirrors", "acme/app") == {"root_rule": {"rule_value": ["a"]}}


def test_put_replaces_the_whole_document():
    store = Store()
    with store.transaction() as tx:
        tx.put("mirrors", "acme/app", {"a": 1, "b": 2})
    with store.transaction() as tx:
        tx.put("mirrors", "acme/app", {"a": 3})
    with store.transaction() as tx:
        assert tx.get("mirrors", "acme/app") == {"a": 3}


def test_scan_lists_every_document_of_a_kind_including_pending():
    store = Store()
    with store.transaction() as tx:
        for number in range(50):
            tx.put("repositories", f"acme/r{number}", {"n": number})
        tx.put("users", "alice", {})
    with store.transaction() as tx:
        tx.put("repositories", "acme/new", {"n": -1})
        tx.delete("repositories", "acme/r0")
        keys = sorted(key for key, _ in tx.scan("repositories"))
    assert keys == sorted([f"acme/r{n}" for n in range(1, 50)] + ["acme/new"])


def test_snapshot_and_restore_round_trip():
    store = Store()
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice"})
    snapshot = store.snapshot()
    generation = store.generation
    with store.transaction() as tx:
        tx.delete("users", "alice")
        tx.put("users", "bob", {"username": "bob"})
    store.restore(snapshot)
    assert store.generation == generation + 1
    with store.transaction() as tx:
        assert tx.get("users", "alice") == {"username": "alice"}
        assert tx.get("users", "bob") is None


def test_file_store_survives_a_restart(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    with store.transaction() as tx:
        tx.put("mirrors", "acme/app", {"sync_interval": 7})
    store.close()
    reopened = Store(path)
    assert reopened.loaded_from_file()
    with reopened.transaction() as tx:
        assert tx.get("mirrors", "acme/app") == {"sync_interval": 7}
    reopened.close()


def test_file_is_written_in_the_background_after_a_change(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice"})
    for _ in range(250):
        if path.exists() and "alice" in path.read_text():
            break
        time.sleep(0.02)
    assert "alice" in path.read_text()
    store.close()


def test_a_failed_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    store = Store(path)
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice"})
    store.flush()
    before = path.read_text()

    def crash(source, target):
        raise OSError("disk vanished")

    monkeypatch.setattr(store_module.os, "replace", crash)
    with store.transaction() as tx:
        tx.put("users", "bob", {"username": "bob"})
    with pytest.raises(OSError):
        store.flush()
    monkeypatch.undo()
    assert path.read_text() == before
    json.loads(path.read_text())
    assert [name for name in os.listdir(tmp_path) if name.endswith(".tmp")] == []
    store.close()


def test_concurrent_read_modify_write_loses_no_update():
    store = Store()
    with store.transaction() as tx:
        tx.put("counters", "hits", {"n": 0})

    def bump():
        for _ in range(200):
            with store.transaction() as tx:
                doc = tx.get("counters", "hits")
                doc["n"] += 1
                tx.put("counters", "hits", doc)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with store.transaction() as tx:
        assert tx.get("counters", "hits") == {"n": 1600}
