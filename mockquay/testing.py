"""mockquay in a test suite or a script: :class:`MockQuay` runs one, :class:`Controls` drives one.

Every change a test makes (reset, seed, faults, clearing the journal) goes through the admin
API under ``/__mockquay__``, so the same calls work on an app in this process (through Flask's
test client, without sockets), on a server in a thread, and on a ``mockquay serve`` someone else
runs (over HTTP).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import requests

from mockquay.admin.blueprint import PREFIX, TOKEN_HEADER
from mockquay.admin.guard import CLIENT_HEADER
from mockquay.extension import emulator_of
from mockquay.faults.rules import MATCH_KEYS

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient

    from mockquay.server import Server

#: A fixture document, the path of a fixture file or folder, or a list of them (applied in order).
Fixtures = Union[
    Mapping[str, Any], str, os.PathLike, Sequence[Union[Mapping[str, Any], str, os.PathLike]]
]

#: How long an HTTP call to the admin API may take, in seconds.
ADMIN_TIMEOUT = 30

#: Sent with every admin call: a POST without a JSON body needs a header like it (``guard.py``).
CLIENT_HEADERS = {CLIENT_HEADER: "mockquay.testing"}

#: ``(method, path under /__mockquay__, json, params) -> (status, parsed JSON body or None)``.
Transport = Callable[..., "tuple[int, Any]"]


class MockQuayError(RuntimeError):
    """The admin API refused a control call; ``status`` and ``body`` are its answer."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        message = f"{method} {PREFIX}{path} answered {status}"
        if isinstance(body, Mapping) and "error" in body:
            message += f": {body['error']}"
            message += "".join(f"\n  {problem}" for problem in body.get("problems") or ())
        super().__init__(message)
        self.status = status
        self.body = body


class WSGITransport:
    """Admin calls to an app in this process, through Flask's test client (no sockets)."""

    def __init__(self, app: Flask) -> None:
        self._client = app.test_client(use_cookies=False)

    def __call__(
        self, method: str, path: str, json: Any = None, params: Mapping | None = None
    ) -> tuple[int, Any]:
        response = self._client.open(
            PREFIX + path,
            method=method,
            json=json,
            query_string=params or None,
            headers=CLIENT_HEADERS,
        )
        return response.status_code, response.get_json(silent=True)


class HTTPTransport:
    """Admin calls over HTTP to a mockquay at ``url``, with its admin token if it has one."""

    def __init__(self, url: str, admin_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self._session = requests.Session()
        self._session.headers.update(CLIENT_HEADERS)
        if admin_token:
            self._session.headers[TOKEN_HEADER] = admin_token

    def __call__(
        self, method: str, path: str, json: Any = None, params: Mapping | None = None
    ) -> tuple[int, Any]:
        response = self._session.request(
            method, self.url + PREFIX + path, json=json, params=params, timeout=ADMIN_TIMEOUT
        )
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return response.status_code, body

    def close(self) -> None:
        self._session.close()


class BaseURLSession(requests.Session):
    """A ``requests.Session`` that sends paths (``/api/v1/...``) to ``base_url``."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(
        self, method: str, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        return super().request(method, url, *args, **kwargs)


class Fault:
    """A fault rule added by :meth:`Controls.fault`; as a context manager, removed on exit."""

    def __init__(self, controls: Controls, rule: dict[str, Any]) -> None:
        self.controls = controls
        self.rule = rule
        self.id: str = rule["id"]

    def remove(self) -> None:
        """Delete the rule (a rule already gone, e.g. used up, is fine)."""
        status, body = self.controls._transport("DELETE", f"/faults/{self.id}")
        if status >= 400 and status != 404:
            raise MockQuayError("DELETE", f"/faults/{self.id}", status, body)

    def requests(self) -> list[dict[str, Any]]:
        """The journal's entries for the requests this rule changed."""
        return [entry for entry in self.controls.requests() if entry["fault"] == self.id]

    def __enter__(self) -> Fault:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"Fault({self.rule!r})"


class SyncTimeout(AssertionError):
    """A mirror still in SYNC_NOW or SYNCING after :meth:`Controls.wait_for_sync` gave up."""


class NotificationTimeout(AssertionError):
    """No such delivery of a notification before :meth:`Controls.wait_for_notification` gave
    up."""


class ClockControls:
    """``mockquay.clock``: the server's virtual clock."""

    def __init__(self, controls: Controls) -> None:
        self._controls = controls

    @property
    def now(self) -> datetime:
        """The clock's current time (naive UTC, as Quay keeps dates)."""
        return _instant(self._controls._call("GET", "/clock")["now"])

    @property
    def mode(self) -> str:
        """``real`` or ``manual``."""
        return self._controls._call("GET", "/clock")["mode"]

    def advance(
        self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> datetime:
        """Move the clock forward, running the worker's events due on the way; the new now."""
        total = timedelta(seconds=seconds, minutes=minutes, hours=hours, days=days)
        body = self._controls._call("POST", "/clock", json={"advance": total.total_seconds()})
        return _instant(body["now"])

    def set(self, when: datetime | str) -> datetime:
        """Move the clock forward to ``when`` (a naive UTC datetime or an ISO 8601 string)."""
        text = when if isinstance(when, str) else when.isoformat() + "Z"
        return _instant(self._controls._call("POST", "/clock", json={"set": text})["now"])


class WorkerControls:
    """``mockquay.worker``: the simulated repository-mirror worker."""

    def __init__(self, controls: Controls) -> None:
        self._controls = controls

    def run(self) -> dict[str, Any]:
        """One poll now, its syncs carried out: ``{"claimed": [...], "finished": [...]}``."""
        return self._controls._call("POST", "/worker/run")

    def info(self) -> dict[str, Any]:
        """``{"mode", "interval", "next_event"}``."""
        return self._controls._call("GET", "/worker")


class Controls:
    """The controls of one mockquay server: state, faults and the request journal.

    This is what the ``mockquay`` pytest fixture gives a test. ``Controls.connect(url)`` drives
    a server someone else runs; :class:`MockQuay` runs one of its own.
    """

    def __init__(
        self,
        transport: Transport | None = None,
        url: str | None = None,
        *,
        token: str | None = None,
        fixtures: Fixtures | None = None,
        profile: str | None = None,
    ) -> None:
        self._own_transport = transport
        self._url = url
        self._chosen_token = token
        #: The documents :meth:`reset` loads instead of the server's boot fixtures (None: those).
        self.baseline_documents = None if fixtures is None else load_fixtures(fixtures)
        #: The profile :meth:`reset` applies over the fixtures (None: theirs or the server's).
        self.baseline_profile = profile
        #: Set True in a test to allow requests to paths mockquay does not serve.
        self.allow_unserved = False
        #: Fixture documents and fault rules applied since the last reset, for failure reports.
        self.applied: list[tuple[str, Any]] = []
        self._token: str | None = None
        self._sessions: list[requests.Session] = []
        #: The virtual clock: ``.now``, ``.advance(seconds=, minutes=, hours=)``, ``.set()``.
        self.clock = ClockControls(self)
        #: The sync worker: ``.run()``.
        self.worker = WorkerControls(self)

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        admin_token: str | None = None,
        token: str | None = None,
        fixtures: Fixtures | None = None,
        profile: str | None = None,
    ) -> Controls:
        """Controls of the mockquay serving at ``url`` (its own fixtures unless ``fixtures``)."""
        return cls(
            HTTPTransport(url, admin_token), url, token=token, fixtures=fixtures, profile=profile
        )

    @property
    def _transport(self) -> Transport:
        if self._own_transport is None:
            raise RuntimeError("these controls are not connected to a mockquay")
        return self._own_transport

    def _call(self, method: str, path: str, json: Any = None, params: Mapping | None = None) -> Any:
        status, body = self._transport(method, path, json=json, params=params)
        if status >= 400:
            raise MockQuayError(method, path, status, body)
        return body

    @property
    def url(self) -> str:
        """The base URL to point a Quay client at, e.g. ``http://127.0.0.1:40123``."""
        if self._url is None:
            raise RuntimeError("this mockquay has no URL: start it, or use test_client()")
        return self._url

    @property
    def token(self) -> str | None:
        """A bearer token for clients: the one given, else the first token with ``repo:admin``.

        With the bundled fixtures that is ``admin-token`` (``admin`` owns the ``acme`` org).
        """
        if self._chosen_token is not None:
            return self._chosen_token
        if self._token is None:
            tokens = self.state().get("tokens") or []
            admins = [t for t in tokens if "repo:admin" in (t.get("scopes") or ())]
            chosen = (admins or tokens or [{}])[0]
            self._token = chosen.get("token")
        return self._token

    def session(self, token: str | None = None) -> requests.Session:
        """A ``requests.Session`` on :attr:`url` that sends ``token`` (default :attr:`token`).

        Paths such as ``/api/v1/...`` are relative to :attr:`url`.
        """
        session = BaseURLSession(self.url, token if token is not None else self.token)
        self._sessions.append(session)
        return session

    def health(self) -> dict[str, Any]:
        """``GET /__mockquay__/health``: readiness, profile and version."""
        return self._call("GET", "/health")

    def reset(
        self,
        fixtures: Fixtures | None = None,
        *,
        profile: str | None = None,
        faults: Iterable[Mapping[str, Any]] = (),
    ) -> Controls:
        """Start over: no fault rules, the fixtures' state, ``profile``, ``faults``, no journal.

        Without ``fixtures`` the state goes back to the server's boot fixtures (or the ones
        these controls were connected with). This is what the ``mockquay`` fixture does before
        each test.
        """
        self._close_sessions()
        self.allow_unserved = False
        self.applied = []
        self._token = None
        self._call("DELETE", "/faults")
        profile = profile if profile is not None else self.baseline_profile
        documents = load_fixtures(fixtures) if fixtures is not None else self.baseline_documents
        if documents:
            (source, first), *rest = documents
            self._call("PUT", "/state", json=first)
            self.applied.append((f"state from {source}", first))
            for source, document in rest:
                self._seed_document(source, document)
        else:
            self._call("POST", "/reset")
        if profile is not None:
            self._seed_document("profile", {"settings": {"profile": profile}})
        for rule in faults:
            self.fault(**rule)
        self._call("DELETE", "/requests")
        return self

    def seed(self, fixtures: Fixtures) -> None:
        """Apply fixture documents (a document, a file or folder path, or a list) on top."""
        for source, document in load_fixtures(fixtures):
            self._seed_document(source, document)

    def _seed_document(self, source: str, document: Any) -> None:
        self._call("POST", "/seed", json=document)
        self.applied.append((f"seeded from {source}", document))

    def state(self) -> dict[str, Any]:
        """The whole state, as a fixture document, with its passwords and tokens."""
        return self._call("GET", "/state", params={"secrets": "true"})

    def fault(self, **rule: Any) -> Fault:
        """Add a fault rule (docs/faults.md); use it in ``with`` to scope it.

        ``operation``, ``method``, ``repository`` and ``path`` may be given at the top level
        for ``match``. Without an ``id`` the server names the rule (``fault-1``, ...), the same
        way each run. The rule lasts until removed or until the next reset.
        """
        rule = dict(rule)
        match = dict(rule.pop("match", None) or {})
        for key in MATCH_KEYS:
            if key in rule:
                match[key] = rule.pop(key)
        if match:
            rule["match"] = match
        [installed] = self._call("POST", "/faults", json=rule)["rules"]
        self.applied.append(("fault rule", installed))
        return Fault(self, installed)

    def faults(self) -> list[dict[str, Any]]:
        """The fault rules in force, in order, each with its ``matched`` and ``fired`` counts."""
        return self._call("GET", "/faults")["rules"]

    def fault_seed(self) -> int:
        """The seed the chances of fault rules come from (``--seed``, or the fixtures')."""
        return self._call("GET", "/faults")["seed"]

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._call("DELETE", "/faults")

    def requests(
        self,
        operation: str | None = None,
        *,
        repository: str | None = None,
        method: str | None = None,
        status: int | str | None = None,
        served: bool | None = None,
    ) -> list[dict[str, Any]]:
        """The journal's entries (requests to Quay's API), oldest first, filtered.

        ``status`` is a code or a class (``"5xx"``); ``served=False`` keeps the requests to
        paths mockquay does not serve.
        """
        params = {
            "operation": operation,
            "repository": repository,
            "method": method,
            "status": status,
            "served": None if served is None else str(served).lower(),
        }
        body = self._call(
            "GET", "/requests", params={k: v for k, v in params.items() if v is not None}
        )
        return body["requests"]

    def wait_for_sync(self, repository: str, *, within: float = 86400) -> dict[str, Any]:
        """Advance the clock, event by event, until ``repository``'s mirror leaves SYNC_NOW and
        SYNCING; return the mirror as the state shows it.

        Gives up, raising SyncTimeout, when the worker has nothing more to do or its next event
        is more than ``within`` seconds away. The message says why: the worker's mode and next
        event, why it would not claim the mirror, the repository's state, the mirror's status
        fields and its last sync's log message (from ``GET /__mockquay__/ui/mirrors``).
        """
        __tracebackhide__ = True
        deadline = self.clock.now + timedelta(seconds=within)
        while True:
            mirror = self._mirror(repository)
            if mirror["sync_status"] not in ("SYNC_NOW", "SYNCING"):
                return mirror
            worker = self.worker.info()
            when = worker["next_event"]
            if when is None or _instant(when) > deadline:
                why = (
                    f"the worker is {worker['mode']!r}, not 'auto'"
                    if worker["mode"] != "auto"
                    else "the worker has nothing more to do for it"
                    if when is None
                    else f"the worker's next event is at {when}, after {within:g} s"
                )
                raise SyncTimeout(self._stuck(repository, why, worker))
            if _instant(when) <= self.clock.now:
                self._call("POST", "/clock", json={"advance": 0})
            else:
                self._call("POST", "/clock", json={"set": when})

    def _stuck(self, repository: str, why: str, worker: Mapping[str, Any]) -> str:
        """What :meth:`wait_for_sync` says when it gives up on ``repository``'s mirror."""
        rows = self._call("GET", "/ui/mirrors")["mirrors"]
        row = next(row for row in rows if row["repository"] == repository)
        last = row["last_sync"]
        lines = [
            f"the mirror of {repository} is stuck in {row['sync_status']}: {why}",
            f"  the worker would not claim it: {row['why_not_eligible']}"
            if row["why_not_eligible"]
            else "  the worker would claim it now",
            f"  repository state {row['repository_state']}, sync_status {row['sync_status']}, "
            f"is_enabled {json.dumps(row['is_enabled'])}, "
            f"sync_expiration_date {row['sync_expiration_date'] or 'null'}",
            f"  worker mode {worker['mode']!r}, next event {worker['next_event'] or 'none'}",
            f"  last sync: {last['kind']} at {last['datetime']}: {last['message']}"
            if last
            else "  last sync: none",
        ]
        return "\n".join(lines)

    def _mirror(self, repository: str) -> dict[str, Any]:
        for mirror in self.state()["mirrors"]:
            if mirror["repository"] == repository:
                return mirror
        raise LookupError(f"no mirror for repository {repository!r}")

    def notifications(
        self,
        event: str | None = None,
        *,
        repository: str | None = None,
        method: str | None = None,
        outcome: str | None = None,
    ) -> list[dict[str, Any]]:
        """The tries of repository notifications so far, oldest first, filtered: each with its
        ``time`` on the clock, ``event``, ``method``, ``target`` (URL), ``body``, ``outcome``
        (``sent``, ``recorded``, ``failed``, ``disabled``), ``status`` and ``error``."""
        return self._deliveries(event, repository, method, outcome)["deliveries"]

    def _deliveries(self, *filters: str | None) -> dict[str, Any]:
        names = ("event", "repository", "method", "outcome")
        params = {name: value for name, value in zip(names, filters) if value is not None}
        return self._call("GET", "/notifications", params=params)

    def wait_for_notification(
        self,
        event: str | None = None,
        *,
        repository: str | None = None,
        method: str | None = None,
        outcome: str | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """The ``count``-th try matching the filters, once the delivery thread made it.

        Deliveries are made by a thread of their own, a moment after the event that raised
        them (on a manual clock too), so a test waits for them here rather than reading
        :meth:`notifications` at once. Raises NotificationTimeout, listing the tries made,
        after ``timeout`` seconds of real time.
        """
        __tracebackhide__ = True
        deadline = time.monotonic() + timeout
        filters = (event, repository, method, outcome)
        while True:
            found = self._deliveries(*filters)
            if len(found["deliveries"]) >= count:
                return found["deliveries"][count - 1]
            if time.monotonic() > deadline:
                made = self.notifications()
                lines = [
                    f"{len(found['deliveries'])} of {count} tries of a notification "
                    f"(event={event}, repository={repository}, method={method}, "
                    f"outcome={outcome}) after {timeout:g} s; {found['pending']} pending; "
                    f"{len(made)} made:",
                    *(
                        f"  {d['time']} {d['event']} {d['method']} {d['target'] or '-'}: "
                        f"{d['outcome']}{' (' + d['error'] + ')' if d['error'] else ''}"
                        for d in made
                    ),
                ]
                raise NotificationTimeout("\n".join(lines))
            time.sleep(0.01)

    def clear_requests(self) -> None:
        """Empty the journal."""
        self._call("DELETE", "/requests")

    def assert_called(
        self,
        operation: str,
        repository: str | None = None,
        times: int | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Assert that ``operation`` was called (exactly ``times`` times, if given).

        ``filters`` are the other filters of :meth:`requests` (``method``, ``status``). On
        failure the message lists every request recorded instead. Returns the matching entries.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not this one
        matching = self.requests(operation, repository=repository, **filters)
        if (times is None and matching) or len(matching) == times:
            return matching
        described = " ".join(
            [operation]
            + ([f"on {repository}"] if repository else [])
            + [f"with {k}={v!r}" for k, v in filters.items()]
        )
        if times == 0:
            expected = f"expected {described} not to be called"
        else:
            expected = f"expected {described} to be called " + (
                "at least once" if times is None else _times(times)
            )
        actual = "it was not called" if not matching else f"it was called {_times(len(matching))}"
        raise AssertionError(f"{expected}, but {actual}.\n{describe_journal(self.requests())}")

    def assert_not_called(
        self, operation: str, repository: str | None = None, **filters: Any
    ) -> None:
        """Assert that ``operation`` (on ``repository``, if given) was never called."""
        __tracebackhide__ = True
        self.assert_called(operation, repository, times=0, **filters)

    def _close_sessions(self) -> None:
        for session in self._sessions:
            session.close()
        self._sessions = []

    def __repr__(self) -> str:
        return f"Controls(url={self._url!r})"

    def close(self) -> None:
        """Close the sessions and connections these controls opened."""
        self._close_sessions()
        closer = getattr(self._own_transport, "close", None)
        if closer is not None:
            closer()


class MockQuay(Controls):
    """A mockquay of your own, in this process: ``with MockQuay() as mq:`` serves on ``mq.url``.

    ``fixtures`` are the boot fixtures (default: the bundled ones), ``profile`` the Quay
    profile, ``seed`` the seed of chance-based faults. Without starting a server,
    :meth:`test_client` talks to the app directly. With ``access_log`` (``"common"`` or
    ``"json"``), the server writes an access log line per request on stderr.
    """

    def __init__(
        self,
        fixtures: Fixtures | None = None,
        profile: str | None = None,
        seed: int | None = None,
        *,
        token: str | None = None,
        journal_size: int | None = None,
        access_log: str | None = None,
    ) -> None:
        super().__init__(token=token)
        self._access_log = access_log
        self._seed = seed
        self._fixtures = fixtures
        self._profile = profile
        self._journal_size = journal_size
        self._app: Flask | None = None
        self._server: Server | None = None
        self._folder: str | None = None

    @property
    def app(self) -> Flask:
        """The Flask app (made on first use)."""
        if self._app is None:
            from mockquay.app import create_app
            from mockquay.settings import Settings

            settings = Settings(
                host="127.0.0.1",
                port=0,
                fixtures=self._fixture_paths(),
                profile=self._profile,
                # A test's time stands still unless the test moves it.
                clock="manual",
                seed=Settings.seed if self._seed is None else self._seed,
                journal_size=(
                    Settings.journal_size if self._journal_size is None else self._journal_size
                ),
            )
            self._app = create_app(settings)
        return self._app

    def _fixture_paths(self) -> tuple[str, ...]:
        """Boot fixture paths; documents given inline are written to a private folder."""
        if self._fixtures is None:
            return ()
        paths = []
        for index, item in enumerate(_as_list(self._fixtures)):
            if isinstance(item, Mapping):
                if self._folder is None:
                    self._folder = tempfile.mkdtemp(prefix="mockquay-")
                path = Path(self._folder, f"{index:04d}.json")
                path.write_text(json.dumps(item), encoding="utf-8")
                item = path
            paths.append(os.fspath(item))
        return tuple(paths)

    @property
    def _transport(self) -> Transport:
        if self._own_transport is None:
            self._own_transport = WSGITransport(self.app)
        return self._own_transport

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError(
                "this MockQuay is not serving: use `with MockQuay() as mq` or start()"
            )
        return self._server.url

    def start(self) -> MockQuay:
        """Serve on 127.0.0.1 and a free port, in a thread; return once it accepts connections."""
        if self._server is None:
            from mockquay.access_log import AccessLog
            from mockquay.server import Server

            log = None if self._access_log is None else AccessLog(self._access_log)
            self._server = Server(self.app, "127.0.0.1", 0, access_log=log).start()
        return self

    def stop(self) -> None:
        """Stop serving and release the state."""
        self.close()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._app is not None:
            emulator_of(self._app).close()
            self._app = None
            self._own_transport = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def test_client(self) -> FlaskClient:
        """A Flask test client on the app: Quay's API in this process, without sockets."""
        return self.app.test_client()

    def __repr__(self) -> str:
        return f"MockQuay(url={None if self._server is None else self._server.url!r})"

    def __enter__(self) -> MockQuay:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def load_fixtures(fixtures: Fixtures) -> list[tuple[str, Any]]:
    """``(source, document)`` for each document given or read from a path, in order."""
    from mockquay.fixtures.loader import read_documents

    documents: list[tuple[str, Any]] = []
    for index, item in enumerate(_as_list(fixtures)):
        if isinstance(item, Mapping):
            documents.append((f"document {index + 1}", dict(item)))
        else:
            documents.extend(read_documents([item]))
    return documents


def _as_list(fixtures: Fixtures) -> list[Any]:
    if isinstance(fixtures, (Mapping, str, os.PathLike)):
        return [fixtures]
    return list(fixtures)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z"))


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def describe_entry(entry: Mapping[str, Any]) -> str:
    """One journal entry on one line: ``#3 POST /api/v1/... -> 204 (syncNow acme/app)``."""
    target = entry["path"] + (f"?{entry['query']}" if entry.get("query") else "")
    status = "no answer" if entry["status"] is None else str(entry["status"])
    named = " ".join(part for part in (entry["operation"], entry["repository"]) if part)
    if not entry.get("served", True):
        named = "a path mockquay does not serve"
    line = f"#{entry['id']} {entry['method']} {target} -> {status}"
    if named:
        line += f" ({named})"
    if entry.get("fault"):
        line += f" [fault {entry['fault']}]"
    if entry.get("body") is not None:
        line += f" body={json.dumps(entry['body'], sort_keys=True)}"
    return line


def describe_journal(entries: Sequence[Mapping[str, Any]]) -> str:
    """The journal as the explanation of a failed assertion or test."""
    if not entries:
        return "No requests to Quay's API were recorded."
    lines = [f"Requests to Quay's API recorded ({len(entries)}):"]
    lines += [f"  {describe_entry(entry)}" for entry in entries]
    return "\n".join(lines)
