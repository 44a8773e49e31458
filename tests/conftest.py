"""The suite's pytest fixtures; the helpers they use live in the ``support`` package."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask, request, request_finished
from flask.testing import FlaskClient
from support.browser import chromium
from support.openapi import described, openapi_problem
from support.world import build_app

from mockquay.app import create_app
from mockquay.settings import Settings

#: Modules whose tests start processes (``mockquay serve``, pytest, pip, the container's
#: entrypoint) or a browser, or run hypothesis: collected first, longest first, so that the
#: workers of ``pytest -n`` end on short tests and finish together.
SLOW_FIRST = (
    "test_plugin.py",
    "test_swagger_ui.py",
    "test_dashboard.py",
    "test_docs.py",
    "test_serve.py",
    "test_container.py",
    "test_faults_admin.py",
    "test_server.py",
    "test_packaging.py",
    "test_fuzz_no_unmarked_500.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: index for index, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


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


@pytest.fixture(scope="session")
def openapi_document() -> dict[str, Any]:
    """mockquay's OpenAPI document, as ``/__mockquay__/openapi.json`` serves it."""
    client = create_app(Settings(default_fixtures=False)).test_client()
    return client.get("/__mockquay__/openapi.json").get_json()


@pytest.fixture(autouse=True)
def answers_follow_the_openapi_document(openapi_document):
    """Every admin or Quay API answer a test produces must be one the OpenAPI document
    describes (status, content type and body)."""
    problems: list[str] = []

    def check(sender: Flask, response: Any, **extra: Any) -> None:
        if described(request):
            problem = openapi_problem(openapi_document, request, response)
            if problem is not None:
                problems.append(problem)

    with request_finished.connected_to(check):
        yield
    assert problems == []


@pytest.fixture
def openapi_check(openapi_document) -> Callable[[Any, Any], str | None]:
    """``check(request, response)``: why the answer is not one the OpenAPI document describes."""
    return lambda request, response: openapi_problem(openapi_document, request, response)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium driven by Selenium, one per test module; skips when either is missing."""
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver
