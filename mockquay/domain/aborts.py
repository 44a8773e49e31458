"""Quay handlers that call Flask's ``abort(<status>)`` themselves."""

from __future__ import annotations


class Abort(Exception):
    """``abort(status)`` in a Quay handler: Werkzeug's own error for ``status``.

    Quay's API serialises it as ``{"message": <Werkzeug's description>}``, not as an ApiError.
    """

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status
