"""What every request under ``/__mockquay__`` must pass before its handler and token check.

* A JSON body must be Unicode text: a lone surrogate (``"\\ud800"``) could be neither stored
  under a key nor sent back, so it is refused with 400 before anything changes.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request

from mockquay.control.admin import PREFIX, error_response
from mockquay.control.faults import LONE_SURROGATE

#: The admin API's answer to a JSON body too deeply nested to parse or apply.
TOO_DEEP = "the JSON body is nested too deeply"


def check_admin_request() -> Response | None:
    """``before_request`` hook of the app: the refusal of an admin request, or None."""
    if not request.path.startswith(PREFIX):
        return None
    return _body_refusal()


def _body_refusal() -> Response | None:
    # A RecursionError from parsing reaches the app's error handler, which answers TOO_DEEP.
    if request.is_json and _holds_lone_surrogate(request.get_json(silent=True)):
        return error_response(400, "the JSON body holds a lone surrogate (\\ud800)")
    return None


def _holds_lone_surrogate(value: Any) -> bool:
    """Whether a key or string anywhere in the JSON value ``value`` holds a lone surrogate."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
