"""A fault rule as a marshmallow schema: what users write in ``faults:`` of a fixture, in
``POST /__mockquay__/faults`` and in the ``X-Mockquay-Fault`` header, with mockquay's
messages (see :mod:`mockquay.document_fields`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate

import mockquay.document_fields as document_fields
from mockquay.document_fields import LONE_SURROGATE, validates_schema
from mockquay.quay_api.operation import Operation
from mockquay.quay_api.resources import OPERATIONS

TRANSPORTS = ("reset", "close", "malformed", "hang")
PHASES = ("before", "after")
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
#: The id of a one-off fault asked for in a request's ``X-Mockquay-Fault`` header.
REQUEST_RULE_ID = "request"
#: The longest wait a rule may ask for (ten minutes), to catch seconds given as milliseconds.
MAX_DELAY_MS = 600_000

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}\Z")
_ID_MESSAGE = "must be 1 to 100 letters, digits, '.', '_', ':' or '-'"
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: RFC 9110's field-value characters: tab, visible ASCII, space and obs-text (Latin-1).
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
#: A UTF-16 surrogate on its own, which JSON's ``\\ud800`` escapes can give and UTF-8 cannot carry.
#: Headers the server computes; a rule that set them would break the answer's framing.
_FRAMING_HEADERS = ("content-length", "transfer-encoding", "connection")


def known_operations() -> Mapping[str, Operation]:
    """Quay's operations by nickname, as the Quay resources mockquay serves declare them."""
    return OPERATIONS


def _operation_problem(operation: Any) -> str | None:
    operations = known_operations()
    if isinstance(operation, str) and operation in operations:
        return None
    return f"must be one of Quay's operation nicknames ({', '.join(sorted(operations))})"


def _header_problem(name: Any, value: Any) -> str | None:
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        return "is not a valid header name"
    if name.lower() in _FRAMING_HEADERS:
        return "is set by the server and cannot be faked"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return "must be a string or a number"
    if "\r" in str(value) or "\n" in str(value):
        return "must not contain a line break"
    # Sent as ISO-8859-1 bytes: what Latin-1 cannot carry, or a control character, is refused.
    if _HEADER_VALUE.fullmatch(str(value)) is None:
        return "must be Latin-1 text without control characters"
    return None


class _Headers(document_fields.Dict):
    """Header names to values; every bad header is its own problem (``headers.<name>``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, Mapping):
            raise self.make_error("invalid")
        bad = {name: problem for name, v in value.items() if (problem := _header_problem(name, v))}
        if bad:
            raise ValidationError(bad)
        return {name: str(v) for name, v in value.items()}


class _NullsAreDefaults(Schema):
    @pre_load
    def _drop_nulls(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, Mapping):
            return {key: value for key, value in data.items() if value is not None}
        return data


class MatchSchema(_NullsAreDefaults):
    """Which requests a rule hits: every key optional, all given keys must hold."""

    error_messages = {  # noqa: RUF012 - marshmallow's own class attribute
        "unknown": document_fields.UNKNOWN,
        "type": "must be a mapping of operation, method, repository, path, notification_method, "
        "url",
    }

    operation = document_fields.Checked(_operation_problem, json_type="string", allow_none=True)
    method = document_fields.Checked(
        lambda method: (
            None
            if isinstance(method, str) and method.upper() in METHODS
            else f"must be one of {', '.join(METHODS)}"
        ),
        json_type="string",
        allow_none=True,
    )
    repository = document_fields.String(
        "must be 'namespace/name' (a glob like 'acme/*')",
        validate=validate.Regexp(".*/"),
        allow_none=True,
    )
    path = document_fields.String(
        "must be a path starting with '/' (a glob)", validate=validate.Regexp("/"), allow_none=True
    )
    #: A rule with either of these two matches notification deliveries, never requests.
    notification_method = document_fields.String(
        "must be a notification method (webhook, slack, email, ...; a glob)", allow_none=True
    )
    url = document_fields.String("must be a notification's URL (a glob)", allow_none=True)

    @validates_schema
    def _delivery_or_request(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        delivery = data.get("notification_method") is not None or data.get("url") is not None
        if delivery and data.get("operation") is not None:
            raise ValidationError("a notification delivery has no operation", "operation")

    @validates_schema
    def _method_of_operation(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        operation, method = data.get("operation"), data.get("method")
        if operation is not None and method is not None:
            expected = known_operations()[operation].method
            if expected != method.upper():
                raise ValidationError(
                    f"operation {operation} is {expected}, not {method.upper()}", "method"
                )

    @post_load
    def _upper_method(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "method" in data:
            data["method"] = data["method"].upper()
        return data


class FaultRuleSchema(_NullsAreDefaults):
    """A fault rule as written (docs/faults.md); a null is the key's default.

    ``rule_id`` is the id of a rule given without one; only a ``one_off`` rule (the
    ``X-Mockquay-Fault`` header's) may have the id ``request``.
    """

    error_messages = {"unknown": document_fields.UNKNOWN, "type": "must be a mapping"}  # noqa: RUF012

    id = document_fields.String(_ID_MESSAGE, validate=validate.Regexp(_ID), allow_none=True)
    match = fields.Nested(MatchSchema, allow_none=True, load_default=dict)
    status = document_fields.Integer(
        "must be an integer from 200 to 599", validate=validate.Range(200, 599), allow_none=True
    )
    body = document_fields.Raw(
        metadata={"description": "null: Quay's own error body for the status"}
    )
    headers = _Headers(
        "must map header names to values",
        keys=fields.String(),
        values=fields.Raw(metadata={"oneOf": [{"type": "string"}, {"type": "number"}]}),
        allow_none=True,
        load_default=dict,
    )
    delay_ms = document_fields.Number(
        f"must be a number of milliseconds from 0 to {MAX_DELAY_MS}",
        validate=validate.Range(0, MAX_DELAY_MS),
        allow_none=True,
        load_default=0,
    )
    transport = document_fields.String(
        f"must be one of {', '.join(TRANSPORTS)}",
        validate=validate.OneOf(TRANSPORTS),
        allow_none=True,
    )
    phase = document_fields.String(
        "must be 'before' or 'after'",
        validate=validate.OneOf(PHASES),
        allow_none=True,
        load_default="before",
    )
    times = document_fields.Integer(
        "must be a positive integer, or null for no limit",
        validate=validate.Range(min=1),
        allow_none=True,
    )
    after = document_fields.Integer(
        "must be an integer of 0 or more",
        validate=validate.Range(min=0),
        allow_none=True,
        load_default=0,
    )
    probability = document_fields.Number(
        "must be a number from 0 to 1",
        validate=validate.Range(0, 1),
        allow_none=True,
        load_default=1.0,
    )

    def __init__(self, *, rule_id: str | None = None, one_off: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.rule_id = rule_id
        self.one_off = one_off

    @validates_schema
    def _effects(self, data: dict[str, Any], original: Any, **kwargs: Any) -> None:
        if not isinstance(original, Mapping):
            return
        problems: dict[str, list[str]] = {}
        given_id = original.get("id")
        if given_id is None:
            given_id = self.rule_id
        if given_id == REQUEST_RULE_ID and not self.one_off:
            problems["id"] = [f"'{REQUEST_RULE_ID}' is kept for the X-Mockquay-Fault header"]
        elif given_id is None:
            problems["id"] = [_ID_MESSAGE]
        status, transport = original.get("status"), original.get("transport")
        if status is None:
            if original.get("body") is not None:
                problems["body"] = ["needs a status"]
            if original.get("headers"):
                problems.setdefault("headers", []).append("needs a status")
        body = original.get("body")
        # A text body is sent as UTF-8, which cannot carry a lone surrogate; JSON escapes it.
        if isinstance(body, str) and LONE_SURROGATE.search(body):
            problems.setdefault("body", []).append(
                "must be Unicode text without lone surrogates (\\ud800)"
            )
        if transport in TRANSPORTS and status is not None:
            problems["transport"] = ["excludes status: a broken connection has no answer"]
        if status is None and transport is None and original.get("delay_ms") in (None, 0):
            problems.setdefault("status", []).append(
                "a rule needs an effect: status, transport or delay_ms"
            )
        if problems:
            raise ValidationError(problems)

    @post_load
    def _given_id(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "id": data.get("id", self.rule_id)}


RULE_KEYS = tuple(FaultRuleSchema._declared_fields)
MATCH_KEYS = tuple(MatchSchema._declared_fields)


def rule_problems(error: ValidationError) -> list[tuple[str, str]]:
    """The ``(field, problem)`` pairs of a fault rule, unknown keys first."""
    found = sorted(
        document_fields.problems(error.messages),
        key=lambda problem: problem[1] != document_fields.UNKNOWN,
    )
    pairs = []
    for path, message in found:
        if message == document_fields.UNKNOWN:
            known = MATCH_KEYS if path[0] == "match" else RULE_KEYS
            message = f"unknown key (known: {', '.join(known)})"
        pairs.append((".".join(map(str, path)) or "rule", message))
    return pairs
