"""The running :class:`~mockquay.emulator.Emulator` of a Flask app, typed, for the admin API and
the wiring (Quay's API sees only its :class:`~mockquay.quay_api.backend.Backend`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

from mockquay.quay_api.backend import EXTENSION

if TYPE_CHECKING:
    from mockquay.emulator import Emulator


def emulator_of(app: Flask) -> Emulator:
    """The emulator ``create_app`` gave ``app``."""
    return app.extensions[EXTENSION]


def current_emulator() -> Emulator:
    """The emulator of the app handling the current request."""
    return emulator_of(current_app)
