"""The running mock: its store, its boot fixtures, and the Quay configuration they set."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from mockquay.control.fault_store import fault_rules, put_fault_rules
from mockquay.control.faults import FaultEngine, parse_new_rules, parse_rule
from mockquay.control.journal import Journal
from mockquay.domain.config import QuayConfig
from mockquay.domain.keys import SETTINGS
from mockquay.fixtures import (
    apply_document,
    apply_documents,
    bundled_default,
    export_state,
    read_documents,
    read_fault_documents,
)
from mockquay.settings import Settings
from mockquay.store import Store


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
        self._config_lock = threading.Lock()
        self._config: tuple[int, QuayConfig] | None = None
        #: The fault rules in force; their definitions live in the store, their counts here.
        self.faults = FaultEngine(settings.seed)
        self._faults_lock = threading.Lock()
        self._load_faults(keep_counters=False)
        #: The requests to Quay's API, recorded by the app's outermost WSGI layer.
        self.journal = Journal(settings.journal_size)

    def quay_config(self) -> QuayConfig:
        """The Quay settings now in force (cached until the state is replaced or reseeded)."""
        cached = self._config
        if cached is not None and cached[0] == self.store.generation:
            return cached[1]
        with self._config_lock:
            with self.store.transaction() as tx:
                settings = tx.get(SETTINGS, "quay") or {}
            config = QuayConfig.from_settings(settings, self.settings.profile)
            self._config = (self.store.generation, config)
            return config

    def reset(self, *, empty: bool = False) -> None:
        """Back to the boot fixtures, or to nothing at all; fault counts start again."""
        with self._faults_lock:
            self.store.restore(self.empty_snapshot if empty else self.boot_snapshot)
            self._load_faults(keep_counters=False)

    def seed(self, document: Any, source: str = "<seed>") -> None:
        """Apply a fixture document on top of the current state (all or nothing)."""
        with self._faults_lock:
            with self.store.transaction() as tx:
                apply_document(tx, document, source)
            self.store.touch()
            self._load_faults(keep_counters=True)

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

    def close(self) -> None:
        self.store.close()


def _snapshot_of(documents: list[tuple[str, Any]]) -> str:
    """The state the documents give when applied to an empty store; FixtureError if invalid."""
    scratch = Store()
    with scratch.transaction() as tx:
        apply_documents(tx, documents)
    return scratch.snapshot()
