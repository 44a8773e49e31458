"""The virtual clock: ``GET /__mockquay__/clock`` and ``POST /__mockquay__/clock``.

``POST`` moves the clock forward (``{"advance": seconds or an ISO 8601 duration}`` or
``{"set": "<ISO 8601 time>"}``) and answers once every worker event due up to the new time
has run, in time order.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from mockquay.admin import blueprint, schemas
from mockquay.domain.clock import ClockError, advanced, parse_duration, parse_instant
from mockquay.extension import current_emulator

blp = blueprint.AdminBlueprint(
    "mockquay_clock",
    __name__,
    "The virtual clock every time of the emulated Quay comes from (mock-only)",
    prefix="/clock",
)


@blp.route("", methods=["GET"])
@blp.response(200, schemas.ClockSchema)
@blp.errors()
def get_clock() -> dict[str, Any]:
    """The clock's time and mode."""
    return current_emulator().clock.view()


@blp.route("", methods=["POST"])
@blp.arguments(schemas.ClockChangeSchema)
@blp.response(200, schemas.ClockSchema)
@blp.errors(400)
def change_clock(body: dict[str, Any]) -> Response | dict[str, Any]:
    """Advance or set the clock, running the worker events due on the way; 400 changes nothing."""
    emulator = current_emulator()
    try:
        if "advance" in body:
            emulator.advance_clock(
                advanced(emulator.clock.now(), parse_duration(body["advance"])), strict=False
            )
        else:
            emulator.advance_clock(parse_instant(body["set"]))
    except ClockError as error:
        return blueprint.error_response(400, str(error))
    emulator.save_clock()
    return emulator.clock.view()
