"""Where mockquay keeps its state: TinyDB behind a small keyed interface.

The store holds documents by *kind* (``repositories``, ``mirrors``, ...) and key
(``acme/app``). Three properties matter more than TinyDB's defaults give:

* **Flat cost.** TinyDB rewrites a whole table on every update, so each kind is spread over
  :data:`BUCKETS` tables by a hash of the key; an update touches one small table however many
  documents the store holds.
* **Isolation.** TinyDB is not thread-safe. All access goes through :meth:`Store.transaction`,
  which holds one lock, buffers writes and applies them only when the block ends without an
  unexpected exception, so a bug half-way through a request never leaves half a change.
* **Durability.** With a file, the state is written atomically (a temporary file, fsync, rename)
  by a background writer shortly after each change and on :meth:`Store.close`, so a crash leaves
  the old or the new file, never a broken one, and no request pays for rewriting the file.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage
from tinydb.table import Table

#: How many TinyDB tables one kind is spread over.
BUCKETS = 512

#: How long the background writer lets changes gather before it writes the file.
FLUSH_DELAY = 0.05

Doc = dict[str, Any]


def _copy(value: Any) -> Any:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars): the store's documents.

    Several times faster than ``copy.deepcopy``, which matters: every read and write copies,
    so that callers never share a document with the store.
    """
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


class _KeyedTable(Table):
    """A TinyDB table whose document ids are the documents' natural keys."""

    document_id_class = str


class _Database(TinyDB):
    table_class = _KeyedTable


def _table_name(kind: str, key: str) -> str:
    return f"{kind}#{zlib.crc32(key.encode('utf-8')) % BUCKETS}"


class CommittedAnyway(Exception):
    """Base for exceptions that end a transaction but keep what it wrote.

    Quay's answers to bad requests are raised as exceptions, and some of them come after Quay
    has already changed something (a robot granted ``write`` before a 500). Those exceptions
    subclass this, so the change they follow is kept; any other exception rolls back.
    """


class Transaction:
    """Reads and buffered writes inside :meth:`Store.transaction`; documents are copies."""

    def __init__(self, db: TinyDB) -> None:
        self._db = db
        self._pending: dict[tuple[str, str], Doc | None] = {}

    def get(self, kind: str, key: str) -> Doc | None:
        """The document ``kind``/``key``, or None."""
        if (kind, key) in self._pending:
            return _copy(self._pending[(kind, key)])
        doc = self._db.table(_table_name(kind, key)).get(doc_id=key)
        return None if doc is None else _copy(dict(doc))

    def put(self, kind: str, key: str, doc: Doc, *, handed_over: bool = False) -> None:
        """Store ``doc`` as ``kind``/``key``, replacing what was there.

        With ``handed_over`` the caller gives ``doc`` away (it keeps no reference), so it is
        stored as it is instead of copied.
        """
        self._pending[(kind, key)] = doc if handed_over else _copy(doc)

    def delete(self, kind: str, key: str) -> None:
        """Remove ``kind``/``key`` if it exists."""
        self._pending[(kind, key)] = None

    def scan(self, kind: str) -> Iterator[tuple[str, Doc]]:
        """Every document of ``kind`` (a full scan: not for per-request paths)."""
        prefix = f"{kind}#"
        for name in sorted(self._db.tables()):
            if not name.startswith(prefix):
                continue
            for key, doc in self._db.storage.read()[name].items():
                if (kind, key) in self._pending:
                    continue
                yield key, _copy(doc)
        for (pending_kind, key), doc in list(self._pending.items()):
            if pending_kind == kind and doc is not None:
                yield key, _copy(doc)

    def _commit(self) -> bool:
        """Write the pending documents straight into the tables: one dict operation each,
        where TinyDB's own insert and update copy the whole table every time."""
        if not self._pending:
            return False
        tables = self._db.storage.read() or {}
        touched = set()
        for (kind, key), doc in self._pending.items():
            name = _table_name(kind, key)
            table = tables.setdefault(name, {})
            if doc is None:
                table.pop(key, None)
            else:
                table[key] = doc
            touched.add(name)
        self._db.storage.write(tables)
        for name in touched:
            self._db.table(name).clear_cache()
        return True


class Store:
    """mockquay's state, in memory or backed by a JSON file at ``path``."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.RLock()
        self._db = _Database(storage=MemoryStorage)
        self._path = os.fspath(path) if path is not None else None
        self._dirty = threading.Event()
        self._closed = threading.Event()
        self._writer: threading.Thread | None = None
        #: Counts whole-state replacements and :meth:`touch` calls, for caches of derived values.
        self.generation = 0
        #: Called (holding the store) after every commit that wrote something and every restore.
        self.listeners: list[Callable[[], None]] = []
        if self._path is not None:
            if os.path.exists(self._path):
                with open(self._path, encoding="utf-8") as file:
                    self._replace(json.load(file))
            self._writer = threading.Thread(
                target=self._write_behind, name="mockquay-store-writer", daemon=True
            )
            self._writer.start()

    @property
    def path(self) -> str | None:
        """The file the state is kept in, or None when it lives in memory only."""
        return self._path

    def loaded_from_file(self) -> bool:
        """True when the store started from an existing, non-empty file."""
        return self._path is not None and bool(self._db.storage.read())

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the store for one unit of work; its writes land only if it ends cleanly."""
        with self._lock:
            tx = Transaction(self._db)
            try:
                yield tx
            except CommittedAnyway:
                self._apply(tx)
                raise
            self._apply(tx)

    def snapshot(self) -> str:
        """The whole state as a string that :meth:`restore` takes back."""
        with self._lock:
            return json.dumps(self._db.storage.read() or {})

    def restore(self, snapshot: str) -> None:
        """Replace the whole state by one taken with :meth:`snapshot`."""
        data = json.loads(snapshot)
        with self._lock:
            self._replace(data)
            self._changed()

    def touch(self) -> None:
        """Tell caches of derived values (the Quay configuration) that they may be stale."""
        with self._lock:
            self.generation += 1

    def flush(self) -> None:
        """Write the state to the file now (no-op in memory)."""
        if self._path is None:
            return
        with self._lock:
            text = json.dumps(self._db.storage.read() or {})
            self._dirty.clear()
        _atomic_write(self._path, text)

    def close(self) -> None:
        """Stop the background writer and write what it had not written yet."""
        self._closed.set()
        self._dirty.set()
        if self._writer is not None:
            self._writer.join()
        self.flush()

    def _apply(self, tx: Transaction) -> None:
        if tx._commit():
            self._changed()

    def _replace(self, data: dict) -> None:
        self._db = _Database(storage=MemoryStorage)
        self._db.storage.write(data)
        self.generation += 1

    def _changed(self) -> None:
        if self._path is not None:
            self._dirty.set()
        for listener in self.listeners:
            listener()

    def _write_behind(self) -> None:
        while not self._closed.is_set():
            self._dirty.wait()
            if self._closed.wait(FLUSH_DELAY):
                return
            self.flush()


def _atomic_write(path: str, text: str) -> None:
    """Replace ``path`` by ``text`` so that a crash leaves the old or the new file."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".mockquay-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
