"""Where mockquay keeps its state: TinyDB behind a small keyed interface.

The store holds documents by *kind* (``repositories``, ``mirrors``, ...) and key
(``acme/app``). Three properties matter more than TinyDB's defaults give:

* **Flat cost.** TinyDB rewrites a whole table on every update, so each kind is spread over
  :data:`BUCKETS` tables by a hash of the key; an update touches one small table however many
  documents the store holds.
* **Isolation.** TinyDB is not thread-safe. All access goes through :meth:`Store.transaction`,
  which holds one lock, buffers writes and applies them only when the block ends without an
  unexpected exception, so a bug half-way through a request never leaves half a change.
* **Durability.** With a file, every committed transaction is appended to a change log
  (``FILE.changes``, one JSON line per commit) before :meth:`Store.transaction` returns, so a
  killed process loses nothing it acknowledged: the operating system holds the written bytes. A
  background writer fsyncs the log every :data:`FSYNC_INTERVAL` seconds (a machine crash loses
  at most that much) and compacts it: the whole state is written atomically to ``FILE`` (a
  temporary file, fsync, rename) and the log starts again empty. Start-up replays the log over
  ``FILE``. See :class:`_Persistence`.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import re
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, NoReturn, Protocol

from tinydb import TinyDB
from tinydb.storages import MemoryStorage

#: How many TinyDB tables one kind is spread over.
BUCKETS = 512

#: How often the background writer fsyncs the change log and checks the files, in seconds.
FSYNC_INTERVAL = 1.0

#: The change log is compacted into the state file when it outgrows this many bytes and the
#: state file's size.
COMPACT_BYTES = 4 * 1024 * 1024

#: The state file's marker: a file without it is not mockquay's and is never overwritten.
STATE_FORMAT = "mockquay-state"
STATE_VERSION = 1

log = logging.getLogger("mockquay.store")

Doc = dict[str, Any]


class Documents(Protocol):
    """Reads and writes by kind and key: a :class:`Transaction`, or the sync worker's
    write-back session over one (``mockquay.domain.sync.Session``)."""

    def get(self, kind: str, key: str) -> Doc | None: ...

    def put(self, kind: str, key: str, doc: Doc) -> None: ...

    def delete(self, kind: str, key: str) -> None: ...


def _copy(value: Any) -> Any:
    """A deep copy of a JSON-shaped value (dicts, lists, scalars): the store's documents.

    Several times faster than ``copy.deepcopy``, which matters: every read and write copies,
    so that callers never share a document with the store. Each dict or list is copied whole
    at C speed, then only its nested dicts and lists are replaced by copies. It walks the
    value with a stack of its own, not by recursion, so a free-form value (a robot's
    ``unstructured_metadata``) can be nested as deeply as a request body can.
    """
    if isinstance(value, dict):
        root: Any = dict(value)
    elif isinstance(value, list):
        root = list(value)
    else:
        return value
    pending = [root]
    nested: Any
    while pending:
        target = pending.pop()
        if isinstance(target, dict):
            for key, item in target.items():
                if isinstance(item, dict):
                    target[key] = nested = dict(item)
                    pending.append(nested)
                elif isinstance(item, list):
                    target[key] = nested = list(item)
                    pending.append(nested)
        else:
            for index, item in enumerate(target):
                if isinstance(item, dict):
                    target[index] = nested = dict(item)
                    pending.append(nested)
                elif isinstance(item, list):
                    target[index] = nested = list(item)
                    pending.append(nested)
    return root


def _read_only(*_args: object, **_kwargs: object) -> NoReturn:
    raise TypeError("shared and read-only: copy.deepcopy() (or Transaction.get()) gives a copy")


class FrozenDict(dict):
    """A dict that refuses mutation; copies and pickles of it are plain dicts.

    The store keeps its documents so, which lets :meth:`Transaction.view` hand them out
    without a copy; shared schemas are kept so too.
    """

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, memo: dict) -> dict:
        return _copy(self)

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return dict, (dict(self),)


class FrozenList(list):
    """A list that refuses mutation; copies and pickles of it are plain lists."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _read_only
    append = extend = insert = pop = remove = clear = sort = reverse = _read_only

    def __copy__(self) -> list:
        return list(self)

    def __deepcopy__(self, memo: dict) -> list:
        return _copy(self)

    def __reduce_ex__(self, protocol: Any) -> tuple:
        return list, (list(self),)


def freeze(value: Any) -> Any:
    """A read-only deep copy of a JSON-shaped value: :func:`_copy` building
    :class:`FrozenDict` and :class:`FrozenList`, and sharing the parts already frozen."""
    if type(value) in _FROZEN:
        return value
    if isinstance(value, dict):
        root: Any = FrozenDict()
    elif isinstance(value, list):
        root = FrozenList()
    else:
        return value
    pending = [(value, root)]
    nested: Any
    while pending:
        source, target = pending.pop()
        # Filled by dict's and list's own methods, which the frozen classes refuse.
        if isinstance(source, dict):
            items = {}
            for key, item in source.items():
                if not isinstance(item, (dict, list)) or type(item) in _FROZEN:
                    items[key] = item
                else:
                    items[key] = nested = FrozenDict() if isinstance(item, dict) else FrozenList()
                    pending.append((item, nested))
            dict.update(target, items)
        else:
            values = []
            for item in source:
                if not isinstance(item, (dict, list)) or type(item) in _FROZEN:
                    values.append(item)
                else:
                    nested = FrozenDict() if isinstance(item, dict) else FrozenList()
                    values.append(nested)
                    pending.append((item, nested))
            list.extend(target, values)
    return root


_FROZEN = (FrozenDict, FrozenList)


_NO_TABLES: dict[str, dict[str, Doc]] = {}


def _table_name(kind: str, key: str) -> str:
    return f"{kind}#{zlib.crc32(key.encode('utf-8')) % BUCKETS}"


class CommittedAnyway(Exception):
    """Base for exceptions that end a transaction but keep what it wrote.

    Quay's answers to bad requests are raised as exceptions, and some of them come after Quay
    has already changed something (a robot granted ``write`` before a 500). Those exceptions
    subclass this, so the change they follow is kept; any other exception rolls back.
    """


class Transaction:
    """Reads and buffered writes inside :meth:`Store.transaction`.

    :meth:`get` gives a copy to change, :meth:`view` the stored document itself, read-only.
    """

    def __init__(self, db: TinyDB) -> None:
        self._db = db
        self._pending: dict[tuple[str, str], Doc | None] = {}

    def get(self, kind: str, key: str) -> Doc | None:
        """A copy of the document ``kind``/``key``, or None."""
        doc: Doc | None = _copy(self._stored(kind, key))
        return doc

    def view(self, kind: str, key: str) -> Mapping[str, Any] | None:
        """The document ``kind``/``key`` read-only (a :class:`FrozenDict`, never changed by
        later writes), or None. Cheaper than :meth:`get`: the stored document itself, unless
        it was handed over (see :meth:`put`)."""
        doc = self._stored(kind, key)
        return doc if doc is None or type(doc) is FrozenDict else freeze(doc)

    def _stored(self, kind: str, key: str) -> Any:
        pair = (kind, key)
        if pair in self._pending:
            return self._pending[pair]
        table = (self._db.storage.read() or _NO_TABLES).get(_table_name(kind, key))
        return None if table is None else table.get(key)

    def put(self, kind: str, key: str, doc: Doc, *, handed_over: bool = False) -> None:
        """Store ``doc`` as ``kind``/``key``, replacing what was there: a read-only copy.

        With ``handed_over`` the caller gives ``doc`` away (it keeps no reference, and nothing
        changes it after), so it is stored as it is, and a :meth:`view` of it is a copy.
        """
        self._pending[(kind, key)] = doc if handed_over else freeze(doc)

    def delete(self, kind: str, key: str) -> None:
        """Remove ``kind``/``key`` if it exists."""
        self._pending[(kind, key)] = None

    def scan(self, kind: str) -> Iterator[tuple[str, Doc]]:
        """Every document of ``kind`` (a full scan: not for per-request paths)."""
        prefix = f"{kind}#"
        for name in sorted(self._db.tables()):
            if not name.startswith(prefix):
                continue
            for key, doc in (self._db.storage.read() or {})[name].items():
                if (kind, key) in self._pending:
                    continue
                yield key, _copy(doc)
        for (pending_kind, key), doc in list(self._pending.items()):
            if pending_kind == kind and doc is not None:
                yield key, _copy(doc)

    def _commit(self, fresh: set[str]) -> list[tuple[str, str]]:
        """Apply the buffered writes; return their ``(kind, key)`` pairs.

        A table is changed in place only if it is in ``fresh`` (no snapshot shares it);
        otherwise it is replaced by a changed copy, which joins ``fresh``. So a shallow copy
        of the tables taken under the lock stays a consistent snapshot after it is released
        (see :meth:`Store._frozen`), and a table is copied at most once per snapshot, however
        many commits write to it.
        """
        tables = self._db.storage.read()
        if tables is None:
            tables = {}
            self._db.storage.write(tables)
        for (kind, key), doc in self._pending.items():
            name = _table_name(kind, key)
            table = tables.get(name)
            if table is None or name not in fresh:
                table = tables[name] = dict(table or ())
                fresh.add(name)
            if doc is None:
                table.pop(key, None)
            else:
                table[key] = doc
        return list(self._pending)


class StateFileError(ValueError):
    """The ``--data`` file is not mockquay state, or cannot be read; it is left as it was."""


class Store:
    """mockquay's state, in memory or kept in a JSON file at ``path`` (see :class:`_Persistence`).

    Raises StateFileError when ``path`` holds something else than mockquay state, and OSError
    when its folder cannot be written.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._lock = threading.RLock()
        self._db = TinyDB(storage=MemoryStorage)
        self._path = os.fspath(path) if path is not None else None
        self._files: _Persistence | None = None
        #: Counts whole-state replacements and :meth:`touch` calls, for caches of derived values.
        self.generation = 0
        #: Called (holding the store) after every commit that wrote something, with the
        #: ``(kind, key)`` pairs written, and after every restore, with None.
        self.listeners: list[Callable[[list[tuple[str, str]] | None], None]] = []
        #: The tables no snapshot shares, which a commit may change in place.
        self._fresh: set[str] = set()
        if self._path is not None:
            self._files = _Persistence(self._path, self._lock, self._frozen)
            self._replace(self._files.load())
            self._loaded = bool(self._db.storage.read())
            self._files.start()

    @property
    def path(self) -> str | None:
        """The file the state is kept in, or None when it lives in memory only."""
        return self._path

    def loaded_from_file(self) -> bool:
        """True when the store started from an existing, non-empty file."""
        return self._path is not None and self._loaded

    def persistence(self) -> dict[str, Any] | None:
        """Whether the file is being written: ``file``, ``ok``, ``error``, ``since``; None in
        memory."""
        return None if self._files is None else self._files.status()

    @contextmanager
    def transaction(self, *, notify: bool = True) -> Iterator[Transaction]:
        """Hold the store for one unit of work; its writes land only if it ends cleanly.

        With a file, they are in the change log when the block returns. Without ``notify``
        the :attr:`listeners` are not called: for writes that no derived value depends on.
        """
        with self._lock:
            tx = Transaction(self._db)
            try:
                yield tx
            except CommittedAnyway:
                self._apply(tx, notify)
                raise
            self._apply(tx, notify)

    def snapshot(self) -> str:
        """The whole state as a string that :meth:`restore` takes back."""
        with self._lock:
            return json.dumps(self._db.storage.read() or {})

    def restore(self, snapshot: str) -> None:
        """Replace the whole state by one taken with :meth:`snapshot`."""
        data = json.loads(snapshot)
        with self._lock:
            self._replace(data)
            if self._files is not None:
                self._files.append(f'{{"replace": {snapshot}}}')
            self._notify(None)

    def touch(self) -> None:
        """Tell caches of derived values (the Quay configuration) that they may be stale."""
        with self._lock:
            self.generation += 1

    def flush(self) -> None:
        """Write the whole state to the file and empty the change log (no-op in memory)."""
        if self._files is not None:
            self._files.compact()

    def close(self) -> None:
        """Stop the background writer and leave the whole state in the file."""
        if self._files is not None:
            self._files.close()

    def _apply(self, tx: Transaction, notify: bool = True) -> None:
        written = tx._commit(self._fresh)
        if written and notify:
            self._notify(written)
        if written and self._files is not None:
            writes = [(kind, key, doc) for (kind, key), doc in tx._pending.items()]
            try:
                line = json.dumps({"writes": writes})
            except (ValueError, RecursionError) as error:
                self._files.fail(error)
            else:
                self._files.append(line)

    def _frozen(self) -> dict:
        """The tables as they are now, safe to read without the lock (see ``_commit``)."""
        self._fresh = set()
        return dict(self._db.storage.read() or {})

    def _replace(self, data: dict) -> None:
        self._db = TinyDB(storage=MemoryStorage)
        self._db.storage.write(
            {name: {key: freeze(doc) for key, doc in table.items()} for name, table in data.items()}
        )
        self._fresh = set()
        self.generation += 1

    def _notify(self, written: list[tuple[str, str]] | None) -> None:
        for listener in self.listeners:
            listener(written)


class _Persistence:
    """The files behind a :class:`Store`: ``FILE`` (the state at one point) and its change logs.

    ``FILE`` holds ``{"format": "mockquay-state", "version": 1, "epoch": N, "tables": ...}``.
    Change log ``FILE.changes-N`` starts with a header line naming epoch ``N`` and holds one
    line per commit after the moment ``FILE`` of epoch ``N`` was taken: ``{"writes": [[kind,
    key, doc or null], ...]}`` or ``{"replace": tables}``. Lines are handed to the operating
    system (``os.write``) under the store lock, before the transaction returns.

    Compaction, under the lock, takes the state and opens log ``N+1`` for the commits after it;
    then it writes ``FILE`` of epoch ``N+1`` atomically and deletes older logs. A crash at any
    step leaves ``FILE`` and the logs of its epoch and later, which start-up replays in order,
    stopping at a torn line.

    A failed write does not stop persistence: the writer retries a compaction every
    :data:`FSYNC_INTERVAL` seconds, logs the failure (once per episode, then once a minute)
    and :meth:`status` reports it until a write succeeds.
    """

    def __init__(self, path: str, lock: threading.RLock, frozen: Callable[[], dict]) -> None:
        self.path = path
        self._lock = lock
        self._frozen = frozen
        self._epoch = 0
        self._fd: int | None = None
        self._log_bytes = 0
        self._state_bytes = 0
        self._unsynced = False
        #: The log misses changes (a write failed): only a compaction makes the files whole.
        self._broken = False
        self._error: str | None = None
        self._since: str | None = None
        self._logged_at = 0.0
        self._compacting = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._writer = threading.Thread(target=self._run, name="mockquay-store-writer", daemon=True)

    def load(self) -> dict:
        """The state the files hold; StateFileError, changing nothing, if ``FILE`` is foreign."""
        tables, self._epoch = _read_state(self.path)
        for epoch, log_path in sorted(self._logs()):
            if epoch < self._epoch:
                continue
            if not _replay(log_path, epoch, tables):
                break
            self._epoch = epoch
        for name in _leftover_temporaries(self.path):
            os.unlink(name)
        return tables

    def start(self) -> None:
        """Write the loaded state as one file with an empty log, then start the writer."""
        self.compact()
        self._writer.start()

    def append(self, line: str) -> None:
        """Hand one commit's line to the operating system; call with the store lock held."""
        if self._broken or self._fd is None:
            # Broken: the next compaction writes the whole state. None: closed.
            return
        data = (line + "\n").encode()
        try:
            _write_all(self._fd, data)
        except OSError as error:
            self.fail(error)
            return
        self._log_bytes += len(data)
        self._unsynced = True
        if self._log_bytes > max(COMPACT_BYTES, self._state_bytes):
            self._wake.set()

    def fail(self, error: BaseException) -> None:
        """A change could not be logged: report it, and have the writer write the whole state."""
        self._broken = True
        self._failed(error)
        self._wake.set()

    def compact(self) -> None:
        """Write the whole state to ``FILE`` and continue in a new, empty log."""
        # One at a time: a slower, older compaction must not replace a newer FILE.
        with self._compacting:
            self._compact()

    def _compact(self) -> None:
        with self._lock:
            tables = self._frozen()
            epoch = self._epoch + 1
            fd = _new_log(self._log_path(epoch), epoch)
            old, self._fd = self._fd, fd
            self._epoch, self._log_bytes, self._broken = epoch, 0, False
        if old is not None:
            os.close(old)
        text = json.dumps(tables)
        document = f'{{"format": "{STATE_FORMAT}", "version": {STATE_VERSION}, "epoch": {epoch}, '
        _atomic_write(self.path, f'{document}"tables": {text}}}')
        self._state_bytes = len(text)
        for older, log_path in self._logs():
            if older < epoch:
                os.unlink(log_path)

    def status(self) -> dict[str, Any]:
        error = self._error
        return {"file": self.path, "ok": error is None, "error": error, "since": self._since}

    def close(self) -> None:
        """Stop the writer and leave the whole state in ``FILE``."""
        self._closed.set()
        self._wake.set()
        if self._writer.is_alive():
            self._writer.join()
        try:
            self.compact()
        except OSError as error:
            self._failed(error)
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _run(self) -> None:
        while True:
            self._wake.wait(FSYNC_INTERVAL)
            self._wake.clear()
            if self._closed.is_set():
                return
            self.tick()

    def tick(self) -> None:
        """One round of the writer: fsync the log, or compact it when due or after a failure."""
        try:
            self._tick()
        except Exception as error:  # retried next round; reported until then
            self._broken = True
            self._failed(error)
        else:
            self._recovered()

    def _tick(self) -> None:
        assert self._fd is not None, "the writer stops before close() clears the log"
        removed = os.fstat(self._fd).st_nlink == 0 or not os.path.exists(self.path)
        if removed and not self._broken:
            raise FileNotFoundError(f"{self.path} or its change log was removed")
        # Decided under the compaction's lock: a round that finds another's compaction under
        # way waits for its FILE, so it never reports the files whole before they are.
        with self._compacting:
            if self._broken or self._log_bytes > max(COMPACT_BYTES, self._state_bytes):
                self._compact()
            elif self._unsynced:
                self._unsynced = False
                os.fsync(self._fd)

    def _failed(self, error: BaseException) -> None:
        now = time.monotonic()
        if self._error is None:
            self._since = _now_iso()
        elif now - self._logged_at < 60:
            self._error = str(error)
            return
        self._error, self._logged_at = str(error), now
        log.error("cannot write %s (retrying every %s s): %s", self.path, FSYNC_INTERVAL, error)

    def _recovered(self) -> None:
        if self._error is not None:
            log.warning("writing %s again after: %s", self.path, self._error)
            self._error = self._since = None

    def _log_path(self, epoch: int) -> str:
        return f"{self.path}.changes-{epoch}"

    def _logs(self) -> list[tuple[int, str]]:
        """The change logs next to ``FILE``, as ``(epoch, path)``."""
        found = []
        for log_path in glob.glob(f"{glob.escape(self.path)}.changes-*"):
            suffix = log_path.rsplit("-", 1)[1]
            if suffix.isdigit():
                found.append((int(suffix), log_path))
        return found


def _read_state(path: str) -> tuple[dict, int]:
    """The tables and epoch of the state file ``path``; none and 0 if it is missing or empty.

    Files of mockquay before the change log (bare TinyDB tables) are read as epoch 0.
    """
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except FileNotFoundError:
        return {}, 0
    except UnicodeDecodeError:
        raise StateFileError(_foreign(path, "it is not UTF-8 text")) from None
    except OSError as error:
        raise StateFileError(f"--data {path} cannot be read: {error.strerror}") from None
    if not text.strip():
        return {}, 0
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise StateFileError(_foreign(path, "it is not JSON")) from None
    if isinstance(data, dict) and data.get("format") == STATE_FORMAT:
        if data.get("version") != STATE_VERSION:
            raise StateFileError(
                f"{path} holds mockquay state of version {data.get('version')!r}; this mockquay "
                f"reads version {STATE_VERSION} only"
            )
        return data["tables"], int(data["epoch"])
    if isinstance(data, dict) and all(
        _LEGACY_TABLE.fullmatch(str(name)) and isinstance(table, dict)
        for name, table in data.items()
    ):
        return data, 0
    raise StateFileError(_foreign(path, f'it has no "format": "{STATE_FORMAT}" marker'))


_LEGACY_TABLE = re.compile(r"[a-z_]+#\d+")


def _foreign(path: str, why: str) -> str:
    return (
        f"--data {path} is not a mockquay state file ({why}); refusing to use it and leaving it "
        "as it is: name a new or empty file, or one mockquay wrote"
    )


def _replay(log_path: str, epoch: int, tables: dict) -> bool:
    """Apply the lines of one change log to ``tables``; False if it ends early (torn or foreign)."""
    with open(log_path, "rb") as file:
        lines = file.read().split(b"\n")
    try:
        header = json.loads(lines[0])
    except ValueError:
        return False
    if header != {"format": "mockquay-changes", "epoch": epoch}:
        return False
    for line in lines[1:]:
        if not line:
            continue
        try:
            record = json.loads(line)
        except ValueError:
            log.warning("%s ends with a torn line; replayed up to it", log_path)
            return False
        if "replace" in record:
            tables.clear()
            tables.update(record["replace"])
            continue
        for kind, key, doc in record["writes"]:
            table = tables.setdefault(_table_name(kind, key), {})
            if doc is None:
                table.pop(key, None)
            else:
                table[key] = doc
    return True


def _new_log(log_path: str, epoch: int) -> int:
    """Create the change log ``log_path`` of ``epoch``; return its descriptor, for appending."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    try:
        _write_all(fd, (json.dumps({"format": "mockquay-changes", "epoch": epoch}) + "\n").encode())
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _leftover_temporaries(path: str) -> list[str]:
    """Temporary files that a killed mockquay left next to ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    ours = glob.glob(
        os.path.join(glob.escape(folder), f".{glob.escape(os.path.basename(path))}.mockquay-*.tmp")
    )
    # Older mockquay named its temporaries after no file.
    return ours + glob.glob(os.path.join(glob.escape(folder), ".mockquay-*.tmp"))


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _atomic_write(path: str, text: str) -> None:
    """Replace ``path`` by ``text`` so that a crash leaves the old or the new file."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.mockquay-", suffix=".tmp", dir=folder
    )
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
