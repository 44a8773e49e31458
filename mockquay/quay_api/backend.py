"""What Quay's HTTP surface needs of the running mock, as a protocol.

The Quay API reads the store, the Quay settings in force and the clock, nothing else of the
:class:`~mockquay.emulator.Emulator`; naming only that keeps ``quay_api/`` free of the emulator
(which imports the rooms that import ``quay_api/``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from flask import current_app

from mockquay.domain.config import QuayConfig
from mockquay.store import Store

#: The key of the running mock in ``app.extensions``.
EXTENSION = "mockquay"


class Backend(Protocol):
    """The part of the running mock that Quay's handlers use."""

    store: Store

    def quay_config(self) -> QuayConfig:
        """The Quay settings in force."""

    def now(self) -> datetime:
        """The clock's current time."""


def current_backend() -> Backend:
    """The running mock of the app handling the current request."""
    return current_app.extensions[EXTENSION]
