"""The store: transactions, isolation, persistence and atomic writes."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from mockquay import store as store_module
from mockquay.store import CommittedAnyway, StateFileError, Store


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


def killed_copy(path, into):
    """The files of the store at ``path`` copied to the folder ``into``, as a kill -9 leaves
    them (written to the operating system, the process gone): the path of the copied state."""
    into.mkdir()
    for name in os.listdir(path.parent):
        if name.startswith(path.name):
            shutil.copy(path.parent / name, into / name)
    return into / path.name


def names(store: Store, kind: str = "users") -> list[str]:
    with store.transaction() as tx:
        return sorted(key for key, _ in tx.scan(kind))


@pytest.fixture
def alice_store(tmp_path):
    """A store kept in ``tmp_path/live/state.json`` that holds the user alice."""
    path = tmp_path / "live" / "state.json"
    path.parent.mkdir()
    store = Store(path)
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice"})
    yield store
    store.close()


def names_after_kill(path, tmp_path) -> list[str]:
    """The users a store started on a :func:`killed_copy` of ``path`` holds."""
    reopened = Store(killed_copy(path, tmp_path / "after-kill"))
    try:
        return names(reopened)
    finally:
        reopened.close()


def test_a_commit_is_in_the_change_log_when_the_transaction_returns(alice_store, tmp_path):
    store = alice_store
    path = Path(store.path)
    with store.transaction() as tx:
        tx.put("users", "bob", {"username": "bob"})
        tx.delete("users", "alice")
    assert names_after_kill(path, tmp_path) == ["bob"]


def test_a_whole_state_replacement_survives_a_kill(alice_store, tmp_path):
    store = alice_store
    path = Path(store.path)
    empty = Store().snapshot()
    store.restore(empty)
    with store.transaction() as tx:
        tx.put("users", "carol", {"username": "carol"})
    assert names_after_kill(path, tmp_path) == ["carol"]


def test_a_kill_during_compaction_loses_nothing(alice_store, tmp_path, monkeypatch):
    store = alice_store
    path = Path(store.path)

    def killed(path, text):
        raise OSError("killed before the state file was replaced")

    monkeypatch.setattr(store_module, "_atomic_write", killed)
    with pytest.raises(OSError):
        store.flush()
    with store.transaction() as tx:
        tx.put("users", "bob", {"username": "bob"})
    monkeypatch.undo()
    assert names_after_kill(path, tmp_path) == ["alice", "bob"]


def test_a_torn_last_line_is_dropped_and_the_lines_before_it_kept(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice"})
    log_path = [name for name in os.listdir(tmp_path) if ".changes-" in name]
    assert len(log_path) == 1
    with open(tmp_path / log_path[0], "a") as log:
        log.write('{"writes": [["users", "bob", {"usern')
    assert names_after_kill(path, tmp_path) == ["alice"]
    store.close()


def test_a_clean_close_leaves_the_whole_state_in_the_file_and_an_empty_log(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice"})
    store.close()
    document = json.loads(path.read_text())
    assert document["format"] == "mockquay-state" and document["version"] == 1
    assert "alice" in json.dumps(document["tables"])
    logs = [name for name in os.listdir(tmp_path) if ".changes-" in name]
    assert logs == [f"state.json.changes-{document['epoch']}"]
    assert (tmp_path / logs[0]).read_text().count("\n") == 1


def test_a_failed_write_is_reported_retried_and_then_catches_up(alice_store, tmp_path):
    store = alice_store
    path = Path(store.path)
    shutil.rmtree(path.parent)
    with store.transaction() as tx:
        tx.put("users", "bob", {"username": "bob"})
    store._files.tick()
    failing = store.persistence()
    assert failing["ok"] is False and failing["file"] == str(path)
    assert "removed" in failing["error"] and failing["since"].endswith("Z")
    store._files.tick()
    assert store.persistence()["since"] == failing["since"]
    path.parent.mkdir()
    with store.transaction() as tx:
        tx.put("users", "carol", {"username": "carol"})
    store._files.tick()
    assert store.persistence() == {"file": str(path), "ok": True, "error": None, "since": None}
    assert names_after_kill(path, tmp_path) == ["alice", "bob", "carol"]


def test_a_failed_write_is_logged_once_per_episode(tmp_path, caplog):
    path = tmp_path / "data" / "state.json"
    path.parent.mkdir()
    store = Store(path)
    shutil.rmtree(path.parent)
    store._files.tick()
    store._files.tick()
    path.parent.mkdir()
    store._files.tick()
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "mockquay.store"]
    assert [level for level, _ in records] == ["ERROR", "WARNING"]
    assert records[0][1].startswith(f"cannot write {path} (retrying every 1.0 s): ")
    store.close()


def test_temporary_files_left_by_a_kill_are_removed_at_start(tmp_path):
    path = tmp_path / "state.json"
    leftovers = [tmp_path / ".mockquay-abc123.tmp", tmp_path / ".state.json.mockquay-x1.tmp"]
    other = tmp_path / ".other.json.mockquay-x2.tmp"
    for name in [*leftovers, other]:
        name.write_text("{")
    store = Store(path)
    assert [name.exists() for name in leftovers] == [False, False]
    assert other.exists()
    store.close()


@pytest.mark.parametrize(
    "content",
    ['{"hello": 1}', "[1, 2]", "not json", '{"format": "something-else"}'],
    ids=["foreign-object", "list", "not-json", "other-format"],
)
def test_a_file_that_is_not_mockquay_state_is_refused_and_left_alone(tmp_path, content):
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(StateFileError, match="is not a mockquay state file"):
        Store(path)
    assert os.listdir(tmp_path) == ["state.json"]
    assert path.read_text() == content


def test_a_state_file_of_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"format": "mockquay-state", "version": 2, "epoch": 1, "tables": {}}')
    with pytest.raises(StateFileError, match="of version 2; this mockquay reads version 1 only"):
        Store(path)


def test_a_state_file_of_an_older_mockquay_is_read(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"users#7": {"alice": {"username": "alice"}}}))
    store = Store(path)
    assert store.loaded_from_file()
    with store.transaction() as tx:
        assert [key for key, _ in tx.scan("users")] == ["alice"]
    store.close()


def test_an_empty_file_is_a_new_state(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("")
    store = Store(path)
    assert not store.loaded_from_file()
    store.close()
    assert json.loads(path.read_text())["format"] == "mockquay-state"


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


def test_the_tables_compaction_takes_are_not_changed_by_later_commits():
    store = Store()
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice", "n": 1})
        tx.put("users", "carol", {"username": "carol"})
    frozen = store._frozen()
    before = json.dumps(frozen, sort_keys=True)
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice", "n": 2})
        tx.delete("users", "carol")
        tx.put("users", "bob", {"username": "bob"})
    assert json.dumps(frozen, sort_keys=True) == before
    assert names(store) == ["alice", "bob"]


def test_a_change_the_log_could_not_take_is_written_with_the_whole_state(tmp_path, monkeypatch):
    path = tmp_path / "live" / "state.json"
    path.parent.mkdir()
    store = Store(path)

    def disk_full(fd, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store_module, "_write_all", disk_full)
    with store.transaction() as tx:
        tx.put("users", "alice", {"username": "alice"})
    assert store.persistence()["error"] == "[Errno 28] No space left on device"
    monkeypatch.undo()
    store._files.tick()
    assert store.persistence()["ok"] is True
    assert names_after_kill(path, tmp_path) == ["alice"]
    store.close()


def test_views_are_the_stored_documents_read_only_and_unchanged_by_later_writes():
    store = Store()
    with store.transaction() as tx:
        tx.put("mirrors", "acme/app", {"sync_interval": 60, "root_rule": {"rule_value": ["v*"]}})
    with store.transaction() as tx:
        view = tx.view("mirrors", "acme/app")
        assert view == {"sync_interval": 60, "root_rule": {"rule_value": ["v*"]}}
        assert tx.view("mirrors", "acme/app") is view
        for mutate in (
            lambda: view.__setitem__("sync_interval", 1),
            lambda: view["root_rule"].update(rule_value=[]),
            lambda: view["root_rule"]["rule_value"].append("x"),
        ):
            with pytest.raises(TypeError):
                mutate()
        changed = tx.get("mirrors", "acme/app")
        changed["root_rule"]["rule_value"].append("x")
        tx.put("mirrors", "acme/app", changed)
        assert tx.view("mirrors", "acme/app")["root_rule"]["rule_value"] == ["v*", "x"]
    assert view == {"sync_interval": 60, "root_rule": {"rule_value": ["v*"]}}
    assert tx.view("mirrors", "missing") is None
    with store.transaction() as tx:
        tx.put("mirrors", "acme/app", {"rule_value": ["v*"]}, handed_over=True)
        with pytest.raises(TypeError):
            tx.view("mirrors", "acme/app")["rule_value"].append("x")


def test_documents_restored_from_a_snapshot_are_read_only_views_too():
    store = Store()
    with store.transaction() as tx:
        tx.put("mirrors", "acme/app", {"rule_value": ["v*"]})
    restored = Store()
    restored.restore(store.snapshot())
    with restored.transaction() as tx:
        with pytest.raises(TypeError):
            tx.view("mirrors", "acme/app")["rule_value"].append("x")
        assert tx.view("mirrors", "acme/app") == {"rule_value": ["v*"]}
