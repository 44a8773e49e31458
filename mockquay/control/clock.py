"""The virtual clock: ``GET /__mockquay__/clock`` and ``POST /__mockquay__/clock``.

``POST`` moves the clock forward (``{"advance": seconds or an ISO 8601 duration}`` or
``{"set": "<ISO 8601 time>"}``) and answers once every worker event due up to the new time
has run, in time order.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from marshmallow import Schema, fields

from mockquay.control import admin
from mockquay.domain.clock import ClockError, parse_duration, parse_instant
from mockquay.extension import current_emulator

blp = admin.control_blueprint(
    "mockquay_clock",
    __name__,
    "The virtual clock every time of the emulated Quay comes from (mock-only)",
    prefix="/clock",
)

_USAGE = (
    'the body must be {"advance": <seconds or an ISO 8601 duration like PT1H30M>} or '
    '{"set": "<ISO 8601 time like 2026-01-01T00:00:00Z>"}'
)


class ClockSchema(Schema):
    """The clock: its current time and its mode."""

    now = fields.String(metadata={"description": "ISO 8601, UTC, e.g. 2026-01-01T00:00:00Z"})
    mode = fields.String(metadata={"description": "real (wall time) or manual"})


class ClockChangeSchema(Schema):
    """One change: ``advance`` or ``set``, not both."""

    advance = fields.Raw(
        metadata={"description": "seconds (a number, not negative) or an ISO 8601 duration"}
    )
    set = fields.String(metadata={"description": "a time not before the clock's now"})


@blp.route("", methods=["GET"])
@blp.response(200, ClockSchema)
def get_clock() -> dict[str, Any]:
    """The clock's time and mode."""
    return current_emulator().clock.view()


@blp.route("", methods=["POST"])
@blp.doc(requestBody={"content": {"application/json": {"schema": ClockChangeSchema}}})
@blp.response(200, ClockSchema)
def change_clock() -> Response | dict[str, Any]:
    """Advance or set the clock, running the worker events due on the way; 400 changes nothing."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or len(body) != 1 or not set(body) <= {"advance", "set"}:
        return admin.error_response(400, _USAGE)
    emulator = current_emulator()
    try:
        if "advance" in body:
            emulator.advance_clock(
                emulator.clock.now() + parse_duration(body["advance"]), strict=False
            )
        else:
            emulator.advance_clock(parse_instant(body["set"]))
    except ClockError as error:
        return admin.error_response(400, str(error))
    return emulator.clock.view()
