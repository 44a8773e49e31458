"""The suite's pytest fixtures; the helpers they use live in the ``support`` package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.world import build_app

from mockquay.app import create_app
from mockquay.settings import Settings


@pytest.fixture
def make_client() -> Callable[..., FlaskClient]:
    """``make_client(document=None, profile=None)``: a test client on a fresh app."""

    def make(document: dict[str, Any] | None = None, *, profile: str | None = None) -> FlaskClient:
        return build_app(document, profile=profile).test_client()

    return make


@pytest.fixture
def app() -> Flask:
    """A fresh app on the bundled default fixtures (pytest-flask's ``client`` serves it), with
    no sync worker running."""
    return create_app(Settings(worker="off"))


@pytest.fixture
def default_client(client: FlaskClient) -> FlaskClient:
    """pytest-flask's test client on :func:`app`, the bundled default fixtures."""
    return client
