"""``mockquay record``: a proxy to a Quay that writes each exchange to a cassette, secrets
redacted; and ``mockquay verify --cassette``, which replays a cassette against a mockquay."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
import yaml

from mockquay.parity.errors import ParityError
from mockquay.parity.exchange import TIMEOUT, Answer, Reference, Request, Target
from mockquay.parity.normalise import Normaliser, Shown, differences, layout, shown
from mockquay.parity.verify import Outcome, Report, discovery_of, profile_from_discovery
from mockquay.profiles import get_profile
from mockquay.redaction import REDACTED, is_secret, redact, redacted_query

#: The cassette format's version, the first key of every cassette.
FORMAT = 1

#: Headers that belong to one connection, never forwarded nor recorded (RFC 9110 7.6.1).
_HOP_BY_HOP = frozenset(
    "connection keep-alive proxy-authenticate proxy-authorization te trailer "
    "transfer-encoding upgrade host content-length accept-encoding content-encoding".split()
)

#: Request headers that carry credentials besides those naming a password or token.
_CREDENTIALS = frozenset(("authorization", "cookie", "set-cookie"))


def redacted_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` without the hop-by-hop ones, credentials replaced."""
    return {
        name: REDACTED if value and (name.lower() in _CREDENTIALS or is_secret(name)) else value
        for name, value in headers.items()
        if name.lower() not in _HOP_BY_HOP
    }


class Cassette:
    """The exchanges recorded so far, written to ``path`` after each one (YAML or JSON)."""

    def __init__(self, path: str, upstream: str, profile: str | None) -> None:
        self.path = Path(path)
        self.document: dict[str, Any] = {
            "mockquay_cassette": FORMAT,
            "upstream": upstream,
            "profile": profile,
            "exchanges": [],
        }
        self._lock = threading.Lock()
        self._write()

    def add(self, exchange: dict[str, Any]) -> None:
        with self._lock:
            self.document["exchanges"].append(exchange)
            self._write()

    def _write(self) -> None:
        self.path.write_text(dump(self.document, self.path), encoding="utf-8")


def dump(document: Any, path: Path) -> str:
    """``document`` as JSON for a ``.json`` path, else as YAML."""
    if path.suffix == ".json":
        return json.dumps(document, indent=2) + "\n"
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def exchange(
    method: str, target: str, headers: Mapping[str, str], body: bytes, answer: Answer
) -> dict[str, Any]:
    """One exchange as a cassette records it; a JSON body's layout is kept beside it."""
    path, _, query = target.partition("?")
    recorded: dict[str, Any] = {
        "method": method,
        "path": path,
        "query": redacted_query(query),
        "headers": redacted_headers(headers),
    }
    _put_body(recorded, "body", body)
    recorded["status"] = answer.status
    recorded["answer_headers"] = redacted_headers(answer.headers)
    _put_body(recorded, "answer_body", answer.body)
    return recorded


def _put_body(recorded: dict[str, Any], key: str, data: bytes) -> None:
    """A body as a cassette keeps it: JSON parsed (secrets redacted) with its layout, else
    text, None when empty."""
    if not data:
        recorded[key] = None
        return
    try:
        recorded[key] = redact(json.loads(data))
    except ValueError:
        recorded[key] = data.decode("utf-8", "replace")
    else:
        recorded[key.replace("body", "layout")] = layout(data)


class Recorder:
    """The recording proxy: requests to ``host:port`` go to ``upstream``, answers come back
    unchanged, and each exchange goes to the cassette ``out``."""

    def __init__(self, upstream: str, host: str, port: int, out: str) -> None:
        target = Target(upstream, {})
        try:
            profile, _ = profile_from_discovery(discovery_of(target))
        finally:
            target.close()
        self.upstream = target.base_url
        self.cassette = Cassette(out, self.upstream, profile)
        recorder = self

        class Handler(_Forward):
            owner = recorder

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Recorder:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def forward(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        sent = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
        try:
            response = requests.request(
                method,
                self.upstream + target,
                headers=sent,
                data=body or None,
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            message = f"mockquay record: cannot reach {self.upstream}: {error}"
            return Answer(502, {"Content-Type": "text/plain"}, message.encode())
        answer = Answer(response.status_code, dict(response.headers), response.content)
        self.cassette.add(exchange(method, target, headers, body, answer))
        return answer


class _Forward(BaseHTTPRequestHandler):
    owner: Recorder
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = self.owner.forward(self.command, self.path, dict(self.headers.items()), body)
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _forward

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")


def serve(upstream: str, host: str, port: int, out: str) -> int:
    """``mockquay record``: proxy until SIGINT or SIGTERM."""
    recorder = Recorder(upstream, host, port, out)

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=recorder._server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    ready = {"event": "ready", "url": recorder.url, "upstream": recorder.upstream, "out": out}
    print(json.dumps(ready), flush=True)
    recorder.serve()
    recorder._server.server_close()
    print(
        json.dumps({"event": "stopped", "exchanges": len(recorder.cassette.document["exchanges"])}),
        flush=True,
    )
    return 0


# --- replay ------------------------------------------------------------------------------


def read_cassette(path: str) -> dict[str, Any]:
    """A cassette's document; a ParityError when the file is not one."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ParityError(f"{path} is not YAML or JSON: {' '.join(str(error).split())}") from None
    if not isinstance(document, dict) or document.get("mockquay_cassette") != FORMAT:
        raise ParityError(f"{path} is not a cassette of mockquay record")
    exchanges = document.get("exchanges")
    if not isinstance(exchanges, list) or not all(isinstance(e, dict) for e in exchanges):
        raise ParityError(f"{path}: 'exchanges' must be a list of exchanges")
    return document


def _request(entry: Mapping[str, Any]) -> Request:
    headers = {name.lower(): value for name, value in (entry.get("headers") or {}).items()}
    body = entry.get("body")
    raw = json.dumps(body) if "layout" in entry else body
    return Request(
        str(entry["method"]),
        str(entry["path"]),
        query=str(entry.get("query") or ""),
        raw_body=raw,
        content_type=headers.get("content-type"),
        token="main" if headers.get("authorization") == REDACTED else None,
    )


def _recorded(entry: Mapping[str, Any], normaliser: Normaliser) -> Shown:
    headers = entry.get("answer_headers") or {}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), None)
    body = entry.get("answer_body")
    if "answer_layout" in entry:
        return Shown(
            entry["status"], content_type, normaliser.value(body), entry.get("answer_layout")
        )
    return Shown(entry["status"], content_type, normaliser.text(body or ""), None)


def replay(
    path: str,
    *,
    token: str | None = None,
    profile: str | None = None,
    fixtures: Sequence[str] | None = None,
) -> Report:
    """Each recorded exchange sent to a mockquay and compared with the recorded answer."""
    document = read_cassette(path)
    exchanges = document["exchanges"]
    if token is None and any(_request(entry).token for entry in exchanges):
        raise ParityError(f"{path}: its requests carry a redacted Authorization: give --token")
    chosen = get_profile(profile or document.get("profile")).name
    source = "--profile" if profile else "the cassette"
    reference = Reference(chosen, {"main": token or ""}, fixtures=fixtures or ())
    on_upstream = Normaliser(str(document.get("upstream") or ""))
    on_reference = Normaliser(reference.base_url)
    outcomes = []
    try:
        for number, entry in enumerate(exchanges, 1):
            try:
                request = _request(entry)
                recorded = _recorded(entry, on_upstream)
            except (KeyError, TypeError) as error:
                raise ParityError(f"{path}: exchange {number} lacks {error}") from None
            answer = reference.send(request)
            found = differences(recorded, shown(answer, on_reference))
            name, outcome = f"{request.method} {request.target}", "differs" if found else "same"
            target = Answer(recorded.status)
            outcomes.append(Outcome(number, name, name, outcome, request, target, answer, found))
    finally:
        reference.close()
    heading = [
        f"replay {path} ({len(exchanges)} exchanges) against mockquay {chosen}, from {source}"
    ]
    return Report(path, chosen, source, outcomes, heading)
