"""Quay's repository-mirror worker as a discrete-event simulation on mockquay's clock."""

from __future__ import annotations

import gc
import heapq
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Literal

from mockquay.domain import sync
from mockquay.domain.config import QuayConfig
from mockquay.domain.keys import MIRRORS, REPOSITORIES, RepositoryRef
from mockquay.domain.mirror import eligible_from
from mockquay.domain.org_mirror_worker import OrgMirrorPhases, grid_tick
from mockquay.store import Store

WORKER_MODES = ("auto", "manual", "off")

#: Quay's ``REPO_MIRROR_INTERVAL`` default: seconds between two polls.
DEFAULT_INTERVAL = 30

#: Events run in one store transaction; other requests are served between two slices.
SLICE_EVENTS = 1000

#: The most events one advance of the clock runs (a claim, the end of a tag copy, a poll).
ADVANCE_EVENTS = 1_000_000

#: The most documents the worker keeps read between two transactions.
CACHE_DOCUMENTS = 50_000

#: How :meth:`MirrorWorker.run_until` ended: every event up to the target ran, the limit of
#: events stopped it first, or the worker was reset meanwhile.
Ended = Literal["done", "limit", "reset"]


class MirrorWorker:
    """Quay's ``RepoMirrorWorker`` on mockquay's clock, over the store.

    It polls every ``interval`` seconds on the grid that starts at ``origin`` (a poll is skipped
    while the previous one's work goes on, as APScheduler's ``max_instances=1`` does), picks the
    eligible mirrors in an order drawn from the seed, and runs them one after the other, each
    run a few events in time (:mod:`mockquay.domain.sync`). Polls that would find nothing are
    not simulated: a heap of when each mirror becomes eligible tells when the next useful poll
    is. A change made outside the worker at time T (the ``clock``'s time when it is committed)
    enables a mirror no earlier than T, so the poll that picks it is the first tick at or
    after T.
    """

    def __init__(
        self,
        store: Store,
        config: Callable[[], QuayConfig],
        clock: Callable[[], datetime],
        mode: str = "auto",
        interval: int = DEFAULT_INTERVAL,
    ) -> None:
        self.store = store
        self._config = config
        self._clock = clock
        self.mode = mode
        self.interval = interval
        self._lock = threading.RLock()
        self._own = threading.local()
        #: Where the polls fall within a second (from the seed): ``origin + phase + k * interval``.
        self._phase = timedelta(0)
        #: Quay's worker does not start on a read-only registry (workers/worker.py), and its
        #: ``process_mirrors`` returns at once without ``FEATURE_REPO_MIRROR``.
        self._readonly = False
        self._polls_off = False
        #: Counts resets: a run of events started before one stops.
        self._epoch = 0
        self.reset(clock())
        #: Set when something outside the worker changed the store (wakes a driving thread).
        self.changed = threading.Event()
        store.listeners.append(self._store_changed)

    def reset(self, origin: datetime) -> None:
        """Forget any work in progress; polls start again at ``origin``, and every mirror
        counts as changed then."""
        with self._lock:
            self._epoch += 1
            self.origin = origin
            self._run: sync.Run | None = None
            self._queue: deque[tuple[str, str]] = deque()
            self._not_before = origin
            #: When the next queued mirror is claimed: as soon as the previous run ended.
            self._free_at = origin
            #: ``{mirror: (eligible_from, earliest poll time)}`` of the eligible mirrors.
            self._eligible: dict[str, tuple[datetime, datetime]] = {}
            #: ``(earliest poll time, mirror)``, with outdated entries skipped when met.
            self._heap: list[tuple[datetime, str]] = []
            #: ``{mirror: commit time}`` of the changes made outside the worker since the
            #: index last looked.
            self._changed: dict[str, datetime] = {}
            #: When set, the whole store changed at that time: the index is built again.
            self._rebuild: datetime | None = origin
            self._cache: _CarriedSession | None = None
            #: The org-mirror operations, on their own poll grid (``ORG_MIRROR_INTERVAL``).
            self.org_mirrors = OrgMirrorPhases(origin)

    def configure(self, mode: str, interval: int, now: datetime) -> None:
        """Take ``mode`` and ``interval`` from ``now``: a change lets no event happen before
        ``now`` (a mirror left due while the worker was off waits for the next poll)."""
        with self._lock:
            if (mode, interval) != (self.mode, self.interval):
                self._not_before = max(self._not_before, now)
                self._free_at = max(self._free_at, now)
                if self._run is not None:
                    self._run.next_time = max(self._run.next_time, now)
            self.mode, self.interval = mode, interval

    def _store_changed(self, written: list[tuple[str, str]] | None) -> None:
        """The store's listener: note when each mirror or repository changed (under the
        store's lock, which the index is read under too)."""
        if getattr(self._own, "writing", False):
            return
        if self._cache is not None:
            self._cache.forget(written)
        now = self._clock()
        if written is None:
            self._rebuild = now
        else:
            for kind, key in written:
                if kind == MIRRORS or kind == REPOSITORIES:
                    self._changed[key] = now
        self.org_mirrors.store_changed(written, now)
        self.changed.set()

    def _refresh(self, session: sync.Session) -> None:
        """Bring the index up to date with the changes made outside the worker."""
        changed, self._changed = self._changed, {}
        if self._rebuild is not None:
            floor, self._rebuild = self._rebuild, None
            self._eligible, self._heap = {}, []
            for key, mirror in session.scan(MIRRORS):
                start = eligible_from(session.get(REPOSITORIES, key), mirror)
                self._index(key, start, max(floor, changed.get(key, floor)))
            return
        for key, when in changed.items():
            start = self._eligible_from(session, key)
            known = self._eligible.get(key)
            # A change that leaves the mirror eligible from the same time enabled nothing.
            if start is None or known is None or known[0] != start:
                self._index(key, start, when)

    @staticmethod
    def _eligible_from(session: sync.Session, key: str) -> datetime | None:
        mirror = session.get(MIRRORS, key)
        return None if mirror is None else eligible_from(session.get(REPOSITORIES, key), mirror)

    def _index(self, key: str, start: datetime | None, changed_at: datetime) -> None:
        """Index the mirror ``key``, eligible from ``start`` (None: never), changed at
        ``changed_at``: no poll before then picks it."""
        if start is None:
            self._eligible.pop(key, None)
            return
        ready = max(start, changed_at)
        self._eligible[key] = (start, ready)
        heapq.heappush(self._heap, (ready, key))
        if len(self._heap) > 2 * len(self._eligible) + 64:
            self._heap = [(ready, key) for key, (_, ready) in self._eligible.items()]
            heapq.heapify(self._heap)

    def _earliest(self) -> datetime | None:
        """The earliest time a poll may pick an indexed mirror."""
        heap = self._heap
        while heap:
            ready, key = heap[0]
            known = self._eligible.get(key)
            if known is not None and known[1] == ready:
                return ready
            heapq.heappop(heap)
        return None

    def next_event(self) -> datetime | None:
        """When the worker next has something to do, if nothing else changes."""
        with self._lock:
            if (
                self._run is None
                and not self._queue
                and (self._changed or self._rebuild or self.org_mirrors.dirty)
            ):
                try:
                    with self._session() as session:
                        return self._next_event(session)
                finally:
                    self._cache = None
            return self._next_event(None)

    def _next_event(self, session: sync.Session | None) -> datetime | None:
        own = self._own_next_event(session)
        org = None if self._readonly else self.org_mirrors.next_event(session)
        return own if org is None or (own is not None and own <= org) else org

    def _own_next_event(self, session: sync.Session | None) -> datetime | None:
        if self._run is not None or self._queue:
            return self._busy_event()
        if session is not None:
            self._refresh(session)
        if self._polls_off:
            return None
        earliest = self._earliest()
        if earliest is None:
            return None
        return self._tick(max(earliest, self._not_before))

    def _tick(self, moment: datetime) -> datetime | None:
        """The first poll of the grid at or after ``moment`` (None: beyond the calendar)."""
        return grid_tick(self.origin + self._phase, self.interval, moment)

    def run_until(
        self,
        target: datetime,
        before_event: Callable[[datetime], None] | None = None,
        limit: int | None = None,
    ) -> Ended:
        """Run every event due up to ``target``, in time order, or ``limit`` events at most.

        Each slice of :data:`SLICE_EVENTS` events is one transaction; between two the store
        is free for other requests, which see the state and ``before_event``'s clock as of
        the last event run. A reset meanwhile ends the run.
        """
        epoch, events = self._epoch, 0
        try:
            while True:
                with self._lock:
                    if self._epoch != epoch:
                        return "reset"
                    with self._session() as session:
                        for _ in range(SLICE_EVENTS):
                            when = self._next_event(session)
                            if when is None or when > target:
                                return "done"
                            if limit is not None and events >= limit:
                                return "limit"
                            if before_event is not None:
                                before_event(when)
                            self._step(session, when, None)
                            events += 1
                # Long enough for a thread waiting for the store to take it first.
                time.sleep(0.0005)
        finally:
            with self._lock:
                self._cache = None

    def poll_now(self, now: datetime) -> tuple[list[str], list[sync.Finished]]:
        """One poll at ``now`` (off the grid), its runs carried out to their end, each event at
        its own time: ``POST /__mockquay__/worker/run``. The claimed mirrors and the ends.

        A run in flight ends first; the poll is then at ``now`` or when that run ended.
        """
        finished: list[sync.Finished] = []
        with self._lock:
            try:
                with self._session() as session:
                    self._finish_runs(session, finished)
                    claimed = self._poll(session, max(now, self._free_at))
                    self._finish_runs(session, finished)
            finally:
                self._cache = None
        return claimed, finished

    def _finish_runs(self, session: sync.Session, finished: list[sync.Finished]) -> None:
        while self._run is not None or self._queue:
            self._step(session, self._busy_event(), finished)

    def _busy_event(self) -> datetime:
        """The end of the copy in flight, else the claim of the next queued mirror."""
        return self._run.next_time if self._run is not None else self._free_at

    @contextmanager
    def _session(self) -> Iterator[sync.Session]:
        """One transaction, through the documents the worker kept from its previous one.

        Every session of the worker (all under its lock) goes through the one cache, and the
        store's listener drops from it what others change, so it never holds an old document.
        Callers drop the cache, under the lock, when they are done.
        """
        config = self._config()
        self._phase = sync.sub_second(config.seed, "poll")
        self._readonly = config.registry_state == "readonly"
        self._polls_off = self._readonly or not config.feature("REPO_MIRROR")
        self._own.writing = True
        try:
            with _collector_paused(), self.store.transaction() as tx:
                if self._cache is None:
                    self._cache = _CarriedSession(tx)
                session = self._cache
                session.tx, session.config = tx, config
                try:
                    yield session
                except Exception:
                    self.reset(self.origin)
                    raise
                session.flush()
        finally:
            self._own.writing = False

    def _poll(self, session: sync.Session, now: datetime) -> list[str]:
        self._refresh(session)
        chosen = []
        heap = self._heap
        while heap and heap[0][0] <= now and not self._polls_off:
            ready, key = heapq.heappop(heap)
            known = self._eligible.get(key)
            if known is None or known[1] != ready:
                continue
            # Indexed again when its run ends (or when the claim is pre-empted).
            del self._eligible[key]
            mirror = session.get(MIRRORS, key)
            if mirror is not None:
                chosen.append((key, mirror["sync_transaction_id"]))
        # Quay's yield_random_entries hands the mirrors out in random blocks of ids, not by
        # start date: an order drawn from the seed and the poll's time.
        chosen.sort()
        seed = session.config.seed if session.config is not None else 0
        random.Random(f"{seed}:{now}").shuffle(chosen)
        self._queue = deque(chosen)
        # The next poll is a later tick, even if this one's work ends at once.
        self._not_before = now + timedelta(microseconds=1)
        self._free_at = now
        return [key for key, _ in self._queue]

    def _step(
        self, session: sync.Session, now: datetime, finished: list[sync.Finished] | None
    ) -> None:
        """The one event at ``now``: a copy ends, a queued mirror is claimed, or a poll."""
        config = session.config
        assert config is not None, "_session sets it"
        org_due = not self._readonly and self.org_mirrors.next_event(session) == now
        if org_due and self._own_next_event(session) != now:
            self.org_mirrors.step(session, now)
            return
        outcome: sync.Run | sync.Finished | None
        if self._run is not None:
            key = str(self._run.repository)
            try:
                outcome = sync.step(session, config, self._run, now)
            except sync.Crash:
                outcome = self._abandon_poll(session, key, now)
        elif self._queue:
            key, transaction_id = self._queue.popleft()
            try:
                outcome = sync.start_run(
                    session, config, RepositoryRef.parse(key), transaction_id, now
                )
            except sync.Crash:
                outcome = self._abandon_poll(session, key, now)
        else:
            self._poll(session, now)
            return
        changed_at = max(now, self._changed.pop(key, now))
        self._index(key, self._eligible_from(session, key), changed_at)
        if isinstance(outcome, sync.Run):
            self._run = outcome
            return
        self._run = None
        if outcome is not None and finished is not None:
            finished.append(outcome)
        self._free_at = now
        self._not_before = max(self._not_before, now)

    def _abandon_poll(self, session: sync.Session, key: str, now: datetime) -> sync.Finished:
        """Quay's ``process_mirrors`` caught an exception: the mirrors left in this poll wait
        for the next one."""
        for left, _ in self._queue:
            self._index(left, self._eligible_from(session, left), now)
        self._queue.clear()
        return sync.Finished(RepositoryRef.parse(key), None)


_paused = 0
_paused_lock = threading.Lock()
_collector_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a session runs, as it was before after.

    A slice allocates many small documents that outlive it (log entries, tag rows), and the
    collector would walk the whole store's heap over and over for them; it finds little: the
    documents hold no cycles. A session is bounded (:data:`SLICE_EVENTS`), so is what waits
    for the next collection. Sessions of several workers (apps) may overlap: the first one in
    pauses, the last one out restores.
    """
    global _paused, _collector_was_enabled
    with _paused_lock:
        if _paused == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _collector_was_enabled:
                gc.enable()


class _CarriedSession(sync.Session):
    """A :class:`~mockquay.domain.sync.Session` that outlives its transaction: the documents it
    read stay cached for the next one, so a long run of events reads each document once.

    A document it never read (a log entry, an ended tag row) goes to the transaction as it
    is put, and the session lets it go; its flush hands the transaction copies of the
    documents it read, which it keeps.
    """

    def put(self, kind: str, key: str, doc: dict) -> None:
        pair = (kind, key)
        if pair in self._docs:
            self._docs[pair] = doc
            self._dirty.add(pair)
        else:
            # Neither cached nor pending here: nothing the flush writes later replaces it.
            self.tx.put(kind, key, doc, handed_over=True)

    def flush(self) -> None:
        for pair in self._dirty:
            doc = self._docs[pair]
            if doc is None:
                self.tx.delete(*pair)
                del self._docs[pair]
            else:
                self.tx.put(*pair, doc)
        self._dirty.clear()
        if len(self._docs) > CACHE_DOCUMENTS:
            self._docs.clear()

    def forget(self, written: list[tuple[str, str]] | None) -> None:
        """Drop what another transaction wrote (None: everything), and the memo."""
        if written is None:
            self._docs.clear()
        else:
            for pair in written:
                self._docs.pop(pair, None)
        self.memo.clear()
