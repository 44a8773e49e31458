"""The WSGI layer that applies fault rules to Quay API requests.

It sits between the WSGI server and Flask. For each request under ``/api/`` it asks the
engine which rules fire (or reads the one-off ``X-Mockquay-Fault`` header), then waits,
answers instead of Quay, lets Quay answer first (``phase: after``), or breaks the connection.
The admin API under ``/__mockquay__`` is never faulted. The header is an admin control: it
passes the admin API's Host and Origin checks and, with an admin token set, needs the token.

For the layers around it (the request journal) it sets ``environ["mockquay.fault"]`` to the
id of the rule that faulted the request and, for a broken connection,
``environ["mockquay.transport"]`` to its kind. A broken connection gets no ``start_response``
call (no status is ever sent) and breaks only when the server reads the returned body, after
the outer layers are done with the request.

Over a real socket a broken connection is the real thing: the server puts a
:class:`mockquay.server.RawConnection` in ``environ["mockquay.connection"]``. In-process
(Flask's test client) there is none: the layer raises :class:`TransportFault` instead, after
Quay's logic has run for ``phase: after``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from flask import Response
from werkzeug.exceptions import default_exceptions
from werkzeug.http import HTTP_STATUS_CODES

from mockquay.faults.engine import Decision, FaultEngine
from mockquay.faults.rules import (
    FaultRule,
    FaultRuleError,
    RequestFacts,
    parse_header,
)
from mockquay.quay_api import answers
from mockquay.quay_api.routing import QUAY_API_PREFIX, ROUTE_ENVIRON

logger = logging.getLogger("mockquay.faults")

FAULT_HEADER = "X-Mockquay-Fault"
#: environ keys: the faulting rule's id, the kind of broken connection, the raw connection.
FAULT_ENVIRON = "mockquay.fault"
TRANSPORT_ENVIRON = "mockquay.transport"
CONNECTION_ENVIRON = "mockquay.connection"
#: ``X-Mockquay-Emulated`` reason of a faulted 5xx page.
EMULATED_REASON = "fault"

_HEADER_ENVIRON = "HTTP_X_MOCKQUAY_FAULT"
#: A 200 whose chunked body starts with a chunk size that is not hexadecimal.
_MALFORMED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    b'%s: %s\r\n\r\nnot-a-chunk-size\r\n{"detail": '
)

StartResponse = Callable[..., Any]


class TransportFault(ConnectionError):
    """A broken connection asked for in-process, where there is no socket to break."""

    def __init__(self, transport: str, rule_id: str) -> None:
        super().__init__(f"mockquay fault {rule_id!r}: transport {transport}")
        self.transport = transport
        self.rule_id = rule_id


def default_answer(status: int) -> Response:
    """Quay's own answer for ``status`` when a rule gives no ``body``.

    400, 401, 403 and 404 are Quay's ApiError bodies; other 4xx are Werkzeug errors as
    Flask-RESTful serialises them (``{"message": ...}``); 5xx are the HTML page of Quay's
    crash, marked ``X-Mockquay-Emulated: fault``; below 400 the body is empty (labelled JSON,
    as Quay's ``"", 204``).
    Needs a request context (ApiError bodies name the host).
    """
    if status in (401, 403, 404):
        return answers.api_error(status)
    if status == 400:
        return answers.api_error(status, "Invalid request")
    if status >= 500:
        response = answers.emulated_crash(EMULATED_REASON)
        response.status_code = status
        return response
    if status >= 400:
        known = default_exceptions.get(status)
        description = known.description if known else HTTP_STATUS_CODES.get(status, "Error")
        return answers.werkzeug_error(status, description)
    return Response(b"", status, content_type="application/json")


def _answer(rule: FaultRule) -> Response:
    assert rule.status is not None, "a rule that breaks no connection has a status"
    if rule.body is None:
        response = default_answer(rule.status)
    elif isinstance(rule.body, str):
        response = Response(rule.body, rule.status, content_type="text/plain; charset=utf-8")
    else:
        response = answers.restful_json(rule.body, rule.status)
    for name, value in rule.headers:
        response.headers[name] = value
    return response


class _Broken:
    """The body of a broken connection: reading it breaks the connection and yields nothing.

    The break waits for the server to read the body, so that the layers around this one (the
    journal) have finished with the request before the client can see it end.
    """

    def __init__(self, action: Callable[[], None]) -> None:
        self._action = action

    def __iter__(self) -> Iterator[bytes]:
        self._action()
        return iter(())


def _router(environ: dict) -> Callable[[], tuple[str | None, str | None]]:
    def route() -> tuple[str | None, str | None]:
        route = environ[ROUTE_ENVIRON]
        return route.operation, route.repository

    return route


class FaultLayer:
    """WSGI middleware applying the engine's rules and one-off header faults to ``wsgi_app``.

    ``request_context`` (the app's ``request_context``) gives the context the fault answers
    are built in. Rules match the :class:`~mockquay.quay_api.routing.Route` a ``RouteLayer``
    around it put in the environ. The header is an admin control: ``header_refusal`` (the admin
    guard's) answers a sender who may not use it, and ``error_response`` (the admin API's error
    body) a header that is not a rule; the app passes both, so that faults need not know the
    admin API.
    """

    def __init__(
        self,
        wsgi_app: Callable[..., Iterable[bytes]],
        engine: FaultEngine,
        request_context: Callable[[dict], AbstractContextManager[Any]],
        header_refusal: Callable[[], Response | None],
        error_response: Callable[..., Response],
    ) -> None:
        self.wsgi_app = wsgi_app
        self.engine = engine
        self.request_context = request_context
        self.header_refusal = header_refusal
        self.error_response = error_response

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        header = environ.get(_HEADER_ENVIRON)
        if header is None and not self.engine.rules:
            return self.wsgi_app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if not path.startswith(QUAY_API_PREFIX):
            return self.wsgi_app(environ, start_response)
        decision: Decision | None
        if header is not None:
            with self.request_context(environ):
                refusal = self.header_refusal()
            if refusal is not None:
                return refusal(environ, start_response)
            try:
                decision = Decision.of([parse_header(header)])
            except FaultRuleError as error:
                return self._refuse_header(error, environ, start_response)
        else:
            facts = RequestFacts(environ.get("REQUEST_METHOD", "GET"), path, _router(environ))
            decision = self.engine.decide(facts)
            if decision is None:
                return self.wsgi_app(environ, start_response)
        environ[FAULT_ENVIRON] = decision.rule_id
        logger.info(
            "fault %s on %s %s: %s",
            decision.rule_id,
            environ.get("REQUEST_METHOD"),
            path,
            "; ".join(rule.describe() for rule in decision.fired),
        )
        return self._apply(decision, environ, start_response)

    def _apply(
        self, decision: Decision, environ: dict, start_response: StartResponse
    ) -> Iterable[bytes]:
        rule = decision.answer
        if decision.delay_before:
            time.sleep(decision.delay_before)
        quay = None
        if rule is None or rule.phase == "after":
            quay = self._call_quay(environ)
        if decision.delay_after:
            time.sleep(decision.delay_after)
        if rule is None:
            assert quay is not None, "Quay answered above: no rule answers"
            status, headers, body = quay
            start_response(status, [*headers, (FAULT_HEADER, decision.rule_id)])
            return [body]
        if rule.transport is not None:
            return self._break(rule.transport, decision.rule_id, environ)
        with self.request_context(environ):
            response = _answer(rule)
        response.headers[FAULT_HEADER] = decision.rule_id
        return response(environ, start_response)

    def _call_quay(self, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
        """Run Quay's logic to the end (its change is committed) and keep its answer."""
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, list(headers)
            return chunks.append

        body = self.wsgi_app(environ, capture)
        try:
            chunks.extend(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        return captured["status"], captured["headers"], b"".join(chunks)

    def _break(self, transport: str, rule_id: str, environ: dict) -> Iterable[bytes]:
        environ[TRANSPORT_ENVIRON] = transport
        connection = environ.get(CONNECTION_ENVIRON)
        if connection is None:
            raise TransportFault(transport, rule_id)
        if transport == "reset":
            return _Broken(connection.reset)
        if transport == "malformed":
            data = _MALFORMED % (FAULT_HEADER.encode(), rule_id.encode())
            return _Broken(lambda: connection.close(data))
        return _Broken(connection.close if transport == "close" else connection.hang)

    def _refuse_header(
        self, error: FaultRuleError, environ: dict, start_response: StartResponse
    ) -> Iterable[bytes]:
        with self.request_context(environ):
            response = self.error_response(
                400, f"invalid {FAULT_HEADER} header: {error}", field=error.field
            )
        return response(environ, start_response)
