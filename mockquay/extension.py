"""The running :class:`~mockquay.emulator.Emulator` of a Flask app, typed, for every room."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from mockquay.emulator import Emulator

#: The key of the emulator in ``app.extensions``.
EXTENSION = "mockquay"


def emulator_of(app: Flask) -> Emulator:
    """The emulator ``create_app`` gave ``app``."""
    return app.extensions[EXTENSION]


def current_emulator() -> Emulator:
    """The emulator of the app handling the current request."""
    return emulator_of(current_app)
