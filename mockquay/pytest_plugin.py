"""mockquay's pytest plugin (entry point ``mockquay``): a fresh emulated Quay for every test.

Fixtures: ``mockquay_server`` (one live server per session and xdist worker), ``mockquay``
(its controls, reset before each test), ``mockquay_app`` and ``mockquay_client`` (the app in
this process, reset before each test). Marker: ``@pytest.mark.mockquay(fixtures=...,
profile=..., faults=..., allow_unserved=...)``. Options: ``--mockquay-url``,
``--mockquay-profile``, ``--mockquay-fixtures``, ``--mockquay-seed``,
``--mockquay-access-log`` and their ini keys.

This module is imported by every pytest run where mockquay is installed, so it imports Flask,
requests and mockquay's app only when a fixture is used.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from pluggy import Result

    from mockquay.testing import Controls, MockQuay

MARKER = "mockquay"
MARKER_KEYS = ("fixtures", "profile", "faults", "allow_unserved")
ADMIN_TOKEN_VARIABLE = "MOCKQUAY_ADMIN_TOKEN"

#: The controls each test reset, by ``id``, so that several fixtures reset a server only once.
_PREPARED = pytest.StashKey[dict]()
#: Whether a test's failure report already has mockquay's sections.
_REPORTED = pytest.StashKey[bool]()
#: The report sections of a test failed at teardown, taken while its server still runs.
_TEARDOWN_SECTIONS = pytest.StashKey[list[tuple[str, str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockquay", "mockquay: an emulated Red Hat Quay")
    group.addoption(
        "--mockquay-url",
        metavar="URL",
        help="drive the mockquay running at URL (through its admin API) instead of starting one",
    )
    group.addoption("--mockquay-profile", metavar="NAME", help="Quay profile, e.g. latest, 3.15")
    group.addoption(
        "--mockquay-fixtures",
        action="append",
        metavar="PATH",
        help="fixture file or folder each test starts from, or 'bundled' for the bundled "
        "ones; repeatable, applied in order (default: bundled)",
    )
    group.addoption(
        "--mockquay-seed", type=int, metavar="N", help="seed of chance-based faults (default 0)"
    )
    group.addoption(
        "--mockquay-access-log",
        nargs="?",
        const="common",
        choices=("common", "json"),
        metavar="FORMAT",
        help="the server's access log on stderr (common or json; default: off)",
    )
    parser.addini("mockquay_url", "URL of a running mockquay to use (as --mockquay-url)")
    parser.addini(
        "mockquay_access_log", "access log format, common or json (as --mockquay-access-log)"
    )
    parser.addini("mockquay_profile", "Quay profile (as --mockquay-profile)")
    parser.addini(
        "mockquay_fixtures",
        "fixture files or folders relative to the ini file, or 'bundled' (as --mockquay-fixtures)",
        type="args",
    )
    parser.addini("mockquay_seed", "seed of chance-based faults (as --mockquay-seed)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockquay(fixtures=None, profile=None, faults=None, allow_unserved=False): the state "
        "(fixture documents or paths, relative to the test file), Quay profile and fault rules "
        "this test starts with; allow_unserved lets it call paths mockquay does not serve.",
    )


@dataclass(frozen=True)
class Options:
    """The plugin's options: command line first, then the ini file."""

    url: str | None
    profile: str | None
    fixtures: tuple[str, ...]
    seed: int | None
    access_log: str | None = None

    @classmethod
    def of(cls, config: pytest.Config) -> Options:
        ini_folder = config.inipath.parent if config.inipath else config.rootpath
        fixtures = config.getoption("mockquay_fixtures") or [
            os.fspath(path) for path in _relative_to(config.getini("mockquay_fixtures"), ini_folder)
        ]
        seed = config.getoption("mockquay_seed")
        if seed is None and config.getini("mockquay_seed"):
            seed = int(config.getini("mockquay_seed"))
        return cls(
            url=config.getoption("mockquay_url") or config.getini("mockquay_url") or None,
            profile=config.getoption("mockquay_profile")
            or config.getini("mockquay_profile")
            or None,
            fixtures=tuple(fixtures),
            seed=seed,
            access_log=config.getoption("mockquay_access_log")
            or config.getini("mockquay_access_log")
            or None,
        )


@pytest.fixture(scope="session")
def _mockquay_local(pytestconfig: pytest.Config) -> Iterator[MockQuay]:
    """This worker's own mockquay; its app is made, and its server started, only when used."""
    from mockquay.testing import MockQuay

    options = Options.of(pytestconfig)
    local = MockQuay(
        fixtures=options.fixtures or None,
        profile=options.profile,
        seed=options.seed,
        access_log=options.access_log,
    )
    yield local
    local.stop()


@pytest.fixture(scope="session")
def mockquay_server(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> Controls:
    """The session's mockquay (one per xdist worker): ``.url``, and the controls of ``mockquay``.

    A live server on 127.0.0.1 and a free port, in a thread; with ``--mockquay-url``, the
    server at that URL instead.
    """
    options = Options.of(pytestconfig)
    if options.url is None:
        return request.getfixturevalue("_mockquay_local").start()
    from mockquay.testing import Controls

    remote = Controls.connect(
        options.url,
        admin_token=os.environ.get(ADMIN_TOKEN_VARIABLE),
        fixtures=options.fixtures or None,
        profile=options.profile,
    )
    request.addfinalizer(remote.close)
    try:
        remote.health()
    except Exception as error:
        pytest.fail(f"mockquay at {options.url} cannot be used: {error}", pytrace=False)
    return remote


@pytest.fixture
def mockquay(request: pytest.FixtureRequest, mockquay_server: Controls) -> Iterator[Controls]:
    """The session's mockquay, reset for this test: state, fault rules and journal.

    ``.url``, ``.token``, ``.session()``, ``.seed()``, ``.fault()``, ``.requests()``,
    ``.assert_called()``, ``.state()``. A request to a path mockquay does not serve fails the
    test at teardown, unless the test is marked ``allow_unserved=True`` or sets
    ``mockquay.allow_unserved = True``.
    """
    _prepare(request, mockquay_server)
    yield mockquay_server
    _verify(request, mockquay_server)


@pytest.fixture
def mockquay_app(request: pytest.FixtureRequest, _mockquay_local: MockQuay) -> Iterator[Flask]:
    """The Flask app of this worker's mockquay, in this process, reset for this test."""
    _prepare(request, _mockquay_local)
    yield _mockquay_local.app
    _verify(request, _mockquay_local)


@pytest.fixture
def mockquay_client(mockquay_app: Flask) -> FlaskClient:
    """A Flask test client on ``mockquay_app``: Quay's API without sockets."""
    return mockquay_app.test_client()


def _prepare(request: pytest.FixtureRequest, controls: Controls) -> None:
    """Reset ``controls``'s server for this test, once, as its ``mockquay`` markers say."""
    prepared = request.node.stash.setdefault(_PREPARED, {})
    if id(controls) in prepared:
        return
    marker = _marker_options(request.node)
    prepared[id(controls)] = controls
    controls.reset(
        marker.get("fixtures"), profile=marker.get("profile"), faults=marker.get("faults") or ()
    )
    controls.allow_unserved = bool(marker.get("allow_unserved"))


def _marker_options(item: pytest.Item) -> dict[str, Any]:
    """The ``mockquay`` markers' keywords, the closest marker winning; paths made absolute."""
    options: dict[str, Any] = {}
    for marker in reversed(list(item.iter_markers(MARKER))):
        if marker.args:
            pytest.fail("@pytest.mark.mockquay takes keywords only", pytrace=False)
        unknown = sorted(set(marker.kwargs) - set(MARKER_KEYS))
        if unknown:
            pytest.fail(
                f"unknown @pytest.mark.mockquay keyword(s) {', '.join(unknown)} "
                f"(known: {', '.join(MARKER_KEYS)})",
                pytrace=False,
            )
        options.update(marker.kwargs)
    if options.get("fixtures") is not None:
        options["fixtures"] = _relative_to(options["fixtures"], item.path.parent)
    faults = options.get("faults")
    if isinstance(faults, Mapping):
        options["faults"] = [faults]
    return options


def _relative_to(fixtures: Any, folder: Path) -> Any:
    """``fixtures`` with relative paths taken from ``folder`` (documents and the word
    ``bundled`` left as they are)."""
    from mockquay.fixtures.loader import BUNDLED

    if isinstance(fixtures, Mapping) or (isinstance(fixtures, str) and fixtures == BUNDLED):
        return fixtures
    if isinstance(fixtures, (str, os.PathLike)):
        return folder / fixtures
    return [_relative_to(item, folder) for item in fixtures]


def _verify(request: pytest.FixtureRequest, controls: Controls) -> None:
    """Fail the test if it called a path mockquay does not serve, unless it allowed that."""
    if controls.allow_unserved:
        return
    unserved = controls.requests(served=False)
    if unserved:
        request.node.stash.setdefault(_TEARDOWN_SECTIONS, []).extend(_report_sections(controls))
        paths = sorted({f"{entry['method']} {entry['path']}" for entry in unserved})
        pytest.fail(
            f"{request.node.nodeid} called path(s) mockquay does not serve: {', '.join(paths)}. "
            "mockquay answered as Quay does where its API has no route (308 or 404), which may "
            "not be what the test meant. Allow it with "
            "@pytest.mark.mockquay(allow_unserved=True) or mockquay.allow_unserved = True.",
            pytrace=False,
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, Result[pytest.TestReport], None]:
    """When a test that used mockquay fails, add its journal and seed to the report."""
    outcome = yield
    report = outcome.get_result()
    prepared = item.stash.get(_PREPARED, None)
    if not report.failed or not prepared or item.stash.get(_REPORTED, False):
        return
    item.stash[_REPORTED] = True
    if call.when == "teardown":
        # The session's server may be gone by now: use what was taken before it stopped.
        sections = item.stash.get(_TEARDOWN_SECTIONS, [])
        report.sections.extend(sections)
        return
    for controls in prepared.values():
        report.sections.extend(_report_sections(controls))


def _report_sections(controls: Controls) -> list[tuple[str, str]]:
    """The "mockquay journal" and "mockquay seed" sections of a failure report."""
    from mockquay.testing import describe_journal

    try:
        journal = describe_journal(controls.requests())
    except Exception as error:  # the report must not hide the failure it explains
        journal = f"The journal could not be read: {error}"
    seed: int | str
    try:
        seed = controls.fault_seed()
    except Exception as error:
        seed = f"unknown ({error})"
    lines = [f"Seed of chance-based faults: {seed}"]
    if not controls.applied:
        lines.append("State: the boot fixtures.")
    for what, document in controls.applied:
        lines.append(f"{what}: {json.dumps(document, sort_keys=True, default=str)}")
    return [("mockquay journal", journal), ("mockquay seed", "\n".join(lines))]
