"""Quay's repository-mirror worker as a discrete-event simulation on mockquay's clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from mockquay.domain import sync
from mockquay.domain.config import QuayConfig
from mockquay.domain.dates import load_date
from mockquay.domain.keys import MIRRORS, REPOSITORIES, RepositoryRef
from mockquay.domain.mirror import eligible_from
from mockquay.store import Store

WORKER_MODES = ("auto", "manual", "off")

#: Quay's ``REPO_MIRROR_INTERVAL`` default: seconds between two polls.
DEFAULT_INTERVAL = 30


class MirrorWorker:
    """Quay's ``RepoMirrorWorker`` on mockquay's clock, over the store.

    It polls every ``interval`` seconds on the grid that starts at ``origin`` (a poll is skipped
    while the previous one's work goes on, as APScheduler's ``max_instances=1`` does), picks the
    eligible mirrors oldest ``sync_start_date`` first, and runs them one after the other, each
    run a few events in time (:mod:`mockquay.domain.sync`). Polls that would find nothing are
    not simulated: an index of when each mirror becomes eligible, rebuilt after any change made
    outside the worker, tells when the next useful poll is.
    """

    def __init__(
        self,
        store: Store,
        config: Callable[[], QuayConfig],
        origin: datetime,
        mode: str = "auto",
        interval: int = DEFAULT_INTERVAL,
    ) -> None:
        self.store = store
        self._config = config
        self.mode = mode
        self.interval = interval
        self._lock = threading.RLock()
        self._own = threading.local()
        self.reset(origin)
        #: Set when something outside the worker changed the store (wakes a driving thread).
        self.changed = threading.Event()
        store.listeners.append(self._store_changed)

    def reset(self, origin: datetime) -> None:
        """Forget any work in progress; polls start again at ``origin``."""
        with self._lock:
            self.origin = origin
            self._run: sync.Run | None = None
            self._queue: list[tuple[str, str]] = []
            self._not_before = origin
            #: When the next queued mirror is claimed: as soon as the previous run ended.
            self._free_at = origin
            self._due: dict[str, datetime] = {}
            self._stale = True

    def _store_changed(self) -> None:
        if not getattr(self._own, "writing", False):
            self._stale = True
            self.changed.set()

    def _reindex(self, tx: sync.Session) -> None:
        due = {}
        for key, mirror in tx.scan(MIRRORS):
            start = eligible_from(tx.get(REPOSITORIES, key), mirror)
            if start is not None:
                due[key] = start
        self._due = due
        self._stale = False

    def _note(self, tx: sync.Session, key: str) -> None:
        """Update the index for the mirror ``key`` the worker just changed."""
        mirror = tx.get(MIRRORS, key)
        start = None if mirror is None else eligible_from(tx.get(REPOSITORIES, key), mirror)
        if start is None:
            self._due.pop(key, None)
        else:
            self._due[key] = start

    def next_event(self) -> datetime | None:
        """When the worker next has something to do, if nothing else changes."""
        with self._lock:
            if self._run is None and not self._queue and self._stale:
                with self._session() as session:
                    return self._next_event(session)
            return self._next_event(None)

    def _next_event(self, session: sync.Session | None) -> datetime | None:
        if self._run is not None or self._queue:
            return self._busy_event()
        if self._stale and session is not None:
            self._reindex(session)
        if not self._due:
            return None
        earliest = max(min(self._due.values()), self._not_before)
        periods = -((self.origin - earliest) // timedelta(seconds=self.interval))
        return self.origin + max(periods, 0) * timedelta(seconds=self.interval)

    def _busy_event(self) -> datetime:
        """The end of the copy in flight, else the claim of the next queued mirror."""
        return self._run.next_time if self._run is not None else self._free_at

    def run_until(
        self, target: datetime, before_event: Callable[[datetime], None] | None = None
    ) -> list[sync.Finished]:
        """Run every event due up to ``target``, in time order; the runs that ended.

        The store is held meanwhile, so that nothing else changes between the events.
        """
        finished: list[sync.Finished] = []
        with self._lock, self._session() as session:
            while True:
                when = self._next_event(session)
                if when is None or when > target:
                    return finished
                if before_event is not None:
                    before_event(when)
                self._step(session, when, finished)

    def poll_now(self, now: datetime) -> tuple[list[str], list[sync.Finished]]:
        """One poll at ``now`` (off the grid), its runs carried out to their end, each event at
        its own time: ``POST /__mockquay__/worker/run``. The claimed mirrors and the ends."""
        finished: list[sync.Finished] = []
        with self._lock, self._session() as session:
            while self._run is not None or self._queue:
                self._step(session, self._busy_event(), finished)
            claimed = self._poll(session, now)
            while self._run is not None or self._queue:
                self._step(session, self._busy_event(), finished)
        return claimed, finished

    @contextmanager
    def _session(self) -> Iterator[sync.Session]:
        self._own.writing = True
        try:
            with self.store.transaction() as tx:
                session = sync.Session(tx)
                session.config = self._config()
                try:
                    yield session
                except Exception:
                    self.reset(self.origin)
                    raise
                session.flush()
        finally:
            self._own.writing = False

    def _poll(self, session: sync.Session, now: datetime) -> list[str]:
        if self._stale:
            self._reindex(session)
        chosen = []
        for key, start in self._due.items():
            if start <= now:
                mirror = session.get(MIRRORS, key)
                if mirror is not None:
                    chosen.append((load_date(mirror["sync_start_date"]), key, mirror))
        chosen.sort(key=lambda item: (item[0] is None, item[0] or now, item[1]))
        self._queue = [(key, mirror["sync_transaction_id"]) for _, key, mirror in chosen]
        # The next poll is a later tick, even if this one's work ends at once.
        self._not_before = now + timedelta(microseconds=1)
        self._free_at = now
        return [key for key, _ in self._queue]

    def _step(self, session: sync.Session, now: datetime, finished: list[sync.Finished]) -> None:
        """The one event at ``now``: a copy ends, a queued mirror is claimed, or a poll."""
        config = session.config
        assert config is not None, "_session sets it"
        outcome: sync.Run | sync.Finished | None
        if self._run is not None:
            key = str(self._run.repository)
            outcome = sync.step(session, config, self._run, now)
        elif self._queue:
            key, transaction_id = self._queue.pop(0)
            outcome = sync.start_run(session, config, RepositoryRef.parse(key), transaction_id, now)
        else:
            self._poll(session, now)
            return
        self._note(session, key)
        if isinstance(outcome, sync.Run):
            self._run = outcome
            return
        self._run = None
        if outcome is not None:
            finished.append(outcome)
        self._free_at = now
        self._not_before = max(self._not_before, now)
