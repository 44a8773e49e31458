"""One request and its answer, and the two sides that answer it: a Quay over HTTP, and a
mockquay in this process."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from mockquay.app import create_app
from mockquay.extension import emulator_of
from mockquay.parity.errors import ParityError
from mockquay.settings import Settings

#: How long one call to the target may take, in seconds.
TIMEOUT = 30

JSON = "application/json"


@dataclass(frozen=True)
class Request:
    """A request to Quay's API; ``token`` is ``"main"``, ``"read-only"`` or None (anonymous)."""

    method: str
    path: str
    query: str = ""
    body: Any = None
    #: The body is sent as this text instead of JSON (with ``content_type``).
    raw_body: str | None = None
    content_type: str | None = None
    token: str | None = "main"

    @property
    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")

    def data(self) -> tuple[bytes | None, dict[str, str]]:
        """The body's bytes and the headers that describe it."""
        if self.raw_body is not None:
            return self.raw_body.encode(), {"Content-Type": self.content_type or "text/plain"}
        if self.body is None:
            return None, {}
        return json.dumps(self.body).encode(), {"Content-Type": self.content_type or JSON}


@dataclass(frozen=True)
class Answer:
    """What a side answered: status, headers and body bytes."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def content_type(self) -> str | None:
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value
        return None

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Side:
    """Something that answers requests: :class:`Target` or :class:`Reference`."""

    #: The base URL its own answers name (for the ``host`` rule).
    base_url: str
    tokens: dict[str, str]

    def send(self, request: Request) -> Answer:
        raise NotImplementedError

    def headers(self, request: Request) -> dict[str, str]:
        """The request's headers on this side: its token and its body's type."""
        headers: dict[str, str] = {}
        token = self.tokens.get(request.token or "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers


class Target(Side):
    """A Quay (or a mockquay) at ``url``, over HTTP."""

    def __init__(self, url: str, tokens: Mapping[str, str]) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ParityError(f"{url!r} is not an http:// or https:// URL")
        self.base_url = url.rstrip("/")
        self.tokens = dict(tokens)
        self._session = requests.Session()

    def send(self, request: Request) -> Answer:
        data, headers = request.data()
        try:
            response = self._session.request(
                request.method,
                self.base_url + request.target,
                data=data,
                headers={**self.headers(request), **headers},
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            raise ParityError(f"cannot reach {self.base_url}: {_reason(error)}") from None
        return Answer(response.status_code, dict(response.headers), response.content)

    def close(self) -> None:
        self._session.close()


def _reason(error: requests.RequestException) -> str:
    """The innermost cause of a failed call, on one line."""
    cause: BaseException = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__  # type: ignore[assignment]
    text = str(cause).strip() or type(cause).__name__
    return " ".join(text.split())


class Reference(Side):
    """A mockquay in this process, as Quay ``profile``, on ``document`` alone or else on the
    fixture files ``fixtures`` (default: the bundled ones): no sockets, no worker, a clock that
    stands still."""

    base_url = "http://localhost"

    def __init__(
        self,
        profile: str | None,
        tokens: Mapping[str, str],
        document: Mapping[str, Any] | None = None,
        fixtures: Sequence[str] = (),
    ) -> None:
        settings = Settings(
            profile=profile,
            fixtures=tuple(fixtures),
            default_fixtures=document is None,
            worker="off",
            clock="manual",
        )
        self.app = create_app(settings)
        self.emulator = emulator_of(self.app)
        if document is not None:
            self.emulator.replace(dict(document), source="the verify world")
        self.tokens = dict(tokens)
        self._client = self.app.test_client(use_cookies=False)

    def send(self, request: Request) -> Answer:
        data, headers = request.data()
        response = self._client.open(
            request.path,
            method=request.method,
            query_string=request.query or None,
            data=data,
            headers={**self.headers(request), **headers},
        )
        return Answer(response.status_code, dict(response.headers), response.get_data())

    def close(self) -> None:
        self.emulator.close()


def query_string(params: Mapping[str, Any]) -> str:
    """``params`` as a query string."""
    return urlencode(params)
