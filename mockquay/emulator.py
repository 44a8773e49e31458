"""The running mock: its store, its boot fixtures, and the Quay configuration they set."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mockquay.delivery import Deliveries
from mockquay.domain.clock import Clock, ClockError, format_instant, settings_start
from mockquay.domain.config import QuayConfig
from mockquay.domain.dates import load_date, store_date
from mockquay.domain.keys import CLOCK, SETTINGS
from mockquay.domain.mirror_worker import ADVANCE_EVENTS, DEFAULT_INTERVAL, MirrorWorker
from mockquay.domain.sync import Finished
from mockquay.faults.engine import FaultEngine
from mockquay.faults.rules import parse_new_rules, parse_rule
from mockquay.faults.store import fault_rules, put_fault_rules
from mockquay.fixtures.loader import (
    apply_document,
    apply_documents,
    bundled_default,
    export_state,
    read_documents,
    read_fault_documents,
)
from mockquay.journal.recorder import Journal
from mockquay.settings import Settings
from mockquay.store import Store

logger = logging.getLogger("mockquay")

#: The longest the worker's thread sleeps before it looks again (seconds).
DRIVER_TICK = 1.0


class Emulator:
    """One emulated Quay: state, boot fixtures and settings, shared by the Quay API and controls."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        paths = settings.fixtures or ((bundled_default(),) if settings.default_fixtures else ())
        self.boot_documents = read_documents(paths) + read_fault_documents(settings.faults)
        self.boot_snapshot = _snapshot_of(self.boot_documents)
        self.empty_snapshot = Store().snapshot()
        self.store = Store(settings.data)
        if not self.store.loaded_from_file():
            self.store.restore(self.boot_snapshot)
        self._config: tuple[int, QuayConfig] | None = None
        #: The fault rules in force; their definitions live in the store, their counts here.
        self.faults = FaultEngine(settings.seed)
        self._faults_lock = threading.Lock()
        self._load_faults(keep_counters=False)
        #: The requests to Quay's API, recorded by the app's outermost WSGI layer.
        self.journal = Journal(settings.journal_size)
        #: The one clock of every time the emulated Quay uses.
        self.clock = Clock(settings.clock)
        self._boot_time = self.clock.start
        #: Quay's repository-mirror worker, on the clock.
        self.worker = MirrorWorker(self.store, self.quay_config, self.clock.now, settings.worker)
        #: Quay's notification worker: sends the deliveries the events queue, when due.
        self.deliveries = Deliveries(self.store, self.quay_config, self.clock.now, self.faults)
        self._time_settings: tuple[Any, Any] | None = None
        self._closed = threading.Event()
        self._driver: threading.Thread | None = None
        self._apply_time_settings(restart=True, resume=self._stored_clock())

    def quay_config(self) -> QuayConfig:
        """The Quay settings now in force (cached until the state is replaced or reseeded).

        It takes no lock but the store's, so a caller may hold the store (docs/architecture.md,
        "Locks"); two threads that miss the cache at once both build it, and either result
        stands.
        """
        cached = self._config
        if cached is not None and cached[0] == self.store.generation:
            return cached[1]
        with self.store.transaction() as tx:
            generation = self.store.generation
            settings = tx.get(SETTINGS, "quay") or {}
        config = QuayConfig.from_settings(
            settings, self.settings.profile, self.settings.audit_log_size, self.settings.seed
        )
        self._config = (generation, config)
        return config

    def reset(self, *, empty: bool = False) -> None:
        """Back to the boot fixtures, or to nothing at all; fault counts start again."""
        with self._faults_lock:
            self.store.restore(self.empty_snapshot if empty else self.boot_snapshot)
            self._load_faults(keep_counters=False)
            self._apply_time_settings(restart=True)

    def seed(self, document: Any, source: str = "<seed>") -> None:
        """Apply a fixture document on top of the current state (all or nothing)."""
        with self._faults_lock:
            with self.store.transaction() as tx:
                apply_document(tx, document, source)
            self.store.touch()
            self._load_faults(keep_counters=True)
            self._apply_time_settings(restart=False)

    def export(self) -> dict[str, Any]:
        """The whole state as a fixture document."""
        with self.store.transaction() as tx:
            return export_state(tx)

    def replace(self, document: Any, source: str = "<state>") -> None:
        """Replace the whole state by a fixture document (all or nothing); fault counts start
        again."""
        snapshot = _snapshot_of([(source, document)])
        with self._faults_lock:
            self.store.restore(snapshot)
            self._load_faults(keep_counters=False)
            self._apply_time_settings(restart=True)

    def add_faults(self, rules: Sequence[Any]) -> list[dict[str, Any]]:
        """Install fault rules after the current ones, all or nothing; return them as installed.

        Raises FaultRuleError naming the field of every problem.
        """
        with self._faults_lock:
            with self.store.transaction() as tx:
                installed = fault_rules(tx)
                taken = {rule["id"] for rule in installed}
                new = [rule.to_dict() for rule in parse_new_rules(rules, taken)]
                put_fault_rules(tx, installed + new)
            self._load_faults(keep_counters=True)
        return new

    def remove_faults(self, rule_id: str | None = None) -> list[str]:
        """Remove the fault rule ``rule_id``, or every rule; return the ids removed."""
        with self._faults_lock:
            with self.store.transaction() as tx:
                installed = fault_rules(tx)
                kept = [rule for rule in installed if rule_id is not None and rule["id"] != rule_id]
                put_fault_rules(tx, kept)
            self._load_faults(keep_counters=True)
        return [rule["id"] for rule in installed if rule not in kept]

    def _load_faults(self, *, keep_counters: bool) -> None:
        """Give the engine the rules and seed now in the store."""
        with self.store.transaction() as tx:
            rules = [parse_rule(rule) for rule in fault_rules(tx)]
            seed = (tx.get(SETTINGS, "quay") or {}).get("seed", self.settings.seed)
        self.faults.load(rules, seed=seed, keep_counters=keep_counters)

    def _apply_time_settings(self, *, restart: bool, resume: datetime | None = None) -> None:
        """Set the clock from the state's ``settings.clock`` after a reset, a replace, or a
        seed that changed it: mode, and back to the start, or on to ``resume`` if later."""
        with self.store.transaction() as tx:
            settings = tx.get(SETTINGS, "quay") or {}
        chosen = (settings.get("clock"), settings.get("worker"))
        if restart or chosen[0] != (self._time_settings or (None,))[0]:
            clock_settings = chosen[0] or {}
            mode = clock_settings.get("mode", self.settings.clock)
            start = settings_start(clock_settings)
            if start is None and mode == "manual":
                start = self._boot_time.replace(microsecond=0)
            self.clock.configure(mode, start)
            if resume is not None and resume > self.clock.now():
                self.clock.move_to(resume)
            restart = True
        worker_settings = chosen[1] or {}
        self.worker.configure(
            worker_settings.get("mode", self.settings.worker),
            worker_settings.get("interval", DEFAULT_INTERVAL),
            self.clock.now(),
        )
        if restart:
            self.worker.reset(self.clock.now())
            self.save_clock()
        self._time_settings = chosen
        self._start_driver()

    def save_clock(self) -> None:
        """Store the clock's position, once per change: a restart with ``--data`` goes on
        from it, so the clock is never before a date the state holds."""
        position = {
            "mode": self.clock.mode,
            "start": store_date(self.clock.start),
            "now": store_date(self.clock.now()),
        }
        # Nothing derived depends on it: the worker need not look at the store again.
        with self.store.transaction(notify=False) as tx:
            tx.put(CLOCK, "position", position, handed_over=True)

    def _stored_clock(self) -> datetime | None:
        """The clock's time the state was left at, if it says."""
        with self.store.transaction() as tx:
            position = tx.get(CLOCK, "position")
        return None if position is None else load_date(position["now"])

    def _start_driver(self) -> None:
        """In real time with the worker on auto, a thread runs the worker's events when due."""
        if self.clock.mode == "real" and self.worker.mode == "auto" and self._driver is None:
            self._driver = threading.Thread(
                target=_drive, args=(weakref.ref(self),), name="mockquay-worker", daemon=True
            )
            self._driver.start()
        self.worker.changed.set()

    def run_worker(self) -> tuple[list[str], list[Finished]]:
        """``POST /__mockquay__/worker/run``: one poll now, its runs carried out."""
        return self.worker.poll_now(self.clock.now())

    def advance_clock(self, target, *, strict: bool = True) -> None:
        """Move the clock to ``target``, running the worker's events due on the way, each at its
        own time; other requests are served meanwhile, at the time of the last event run.

        ClockError if ``target`` is in the past and ``strict`` (a real clock moves on while an
        advance is computed, so an advance is not strict), and when the worker's events would
        be more than ``ADVANCE_EVENTS``: the clock then stays at the last one run.
        """
        if strict and target < self.clock.now():
            self.clock.move_to(target)
        ended = "done"
        if self.worker.mode == "auto":
            ended = self.worker.run_until(target, self._clock_to, ADVANCE_EVENTS)
        if ended == "limit":
            raise ClockError(
                f"the advance stopped at {format_instant(self.clock.now())}, before "
                f"{format_instant(target)}: one advance runs at most {ADVANCE_EVENTS:,} worker "
                "events (polls, claims, tag copies); advance from there in smaller steps"
            )
        if ended == "done":
            self._clock_to(target)
        self.worker.changed.set()
        self.deliveries.wake()

    def _clock_to(self, moment) -> None:
        if moment > self.clock.now():
            self.clock.move_to(moment)

    def now(self):
        """The clock's current time."""
        return self.clock.now()

    def close(self) -> None:
        self._closed.set()
        self.worker.changed.set()
        self.deliveries.close()
        self.store.close()


def _drive(emulator_ref: weakref.ref) -> None:
    """The worker's thread in real time: sleep until its next event or a change, run, repeat.

    It holds the emulator only while it works, so an emulator nobody uses ends it.
    """
    while True:
        emulator = emulator_ref()
        if emulator is None or emulator._closed.is_set():
            return
        wait = DRIVER_TICK
        if emulator.clock.mode == "real" and emulator.worker.mode == "auto":
            now = emulator.clock.now()
            when = emulator.worker.next_event()
            if when is not None and when <= now:
                try:
                    emulator.worker.run_until(now)
                except Exception:
                    logger.exception("mockquay's sync worker failed")
                continue
            if when is not None:
                wait = min(wait, (when - now).total_seconds())
        changed = emulator.worker.changed
        del emulator
        changed.wait(wait)
        changed.clear()


def _snapshot_of(documents: list[tuple[str, Any]]) -> str:
    """The state the documents give when applied to an empty store; FixtureError if invalid."""
    scratch = Store()
    with scratch.transaction() as tx:
        apply_documents(tx, documents)
    return scratch.snapshot()
