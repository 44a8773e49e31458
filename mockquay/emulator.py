"""The running mock: its store, its boot fixtures, and the Quay configuration they set."""

from __future__ import annotations

import threading
from typing import Any

from mockquay.domain.config import QuayConfig
from mockquay.fixtures import (
    apply_document,
    apply_documents,
    bundled_default,
    export_state,
    read_documents,
)
from mockquay.settings import Settings
from mockquay.store import Store


class Emulator:
    """One emulated Quay: state, boot fixtures and settings, shared by the Quay API and controls."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        paths = settings.fixtures or ((bundled_default(),) if settings.default_fixtures else ())
        self.boot_documents = read_documents(paths)
        self.boot_snapshot = _snapshot_of(self.boot_documents)
        self.empty_snapshot = Store().snapshot()
        self.store = Store(settings.data)
        if not self.store.loaded_from_file():
            self.store.restore(self.boot_snapshot)
        self._config_lock = threading.Lock()
        self._config: tuple[int, QuayConfig] | None = None

    def quay_config(self) -> QuayConfig:
        """The Quay settings now in force (cached until the state is replaced or reseeded)."""
        cached = self._config
        if cached is not None and cached[0] == self.store.generation:
            return cached[1]
        with self._config_lock:
            with self.store.transaction() as tx:
                settings = tx.get("settings", "quay") or {}
            config = QuayConfig.from_settings(settings, self.settings.profile)
            self._config = (self.store.generation, config)
            return config

    def reset(self, *, empty: bool = False) -> None:
        """Back to the boot fixtures, or to nothing at all."""
        self.store.restore(self.empty_snapshot if empty else self.boot_snapshot)

    def seed(self, document: Any, source: str = "<seed>") -> None:
        """Apply a fixture document on top of the current state (all or nothing)."""
        with self.store.transaction() as tx:
            apply_document(tx, document, source)
        self.store.touch()

    def export(self) -> dict[str, Any]:
        """The whole state as a fixture document."""
        with self.store.transaction() as tx:
            return export_state(tx)

    def replace(self, document: Any, source: str = "<state>") -> None:
        """Replace the whole state by a fixture document (all or nothing)."""
        self.store.restore(_snapshot_of([(source, document)]))

    def close(self) -> None:
        self.store.close()


def _snapshot_of(documents: list[tuple[str, Any]]) -> str:
    """The state the documents give when applied to an empty store; FixtureError if invalid."""
    scratch = Store()
    with scratch.transaction() as tx:
        apply_documents(tx, documents)
    return scratch.snapshot()
