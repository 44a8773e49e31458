"""The answers Quay gives when a request cannot be done, as exceptions of Quay's own kinds.

Domain rules raise these; the HTTP surface turns each kind into Quay's body for it
(``mockquay.quay_api.answers``). They keep what the request changed before them, as Quay does:
Quay has no transaction around a handler.
"""

from __future__ import annotations

from mockquay.store import CommittedAnyway


class QuayError(CommittedAnyway):
    """An answer Quay gives instead of success."""


class NotFound(QuayError):
    """``endpoints.exception.NotFound``: 404 ApiError ``not_found``."""


class Unauthorized(QuayError):
    """``endpoints.exception.Unauthorized``: 401 when anonymous, else 403 ``insufficient_scope``."""


class InvalidRequest(QuayError):
    """``endpoints.exception.InvalidRequest``: 400 ApiError ``invalid_request``."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class DetailAnswer(QuayError):
    """A handler's own ``return {"detail": ...}, status`` (no ``error_type``, no ``status`` key)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class DataModelException(QuayError):
    """``data.model.DataModelException``: 400 ``{"message": ...}`` from Flask's handler."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EmulatedCrash(QuayError):
    """Quay itself fails here with an unhandled exception (a 500); ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Abort(QuayError):
    """A handler's own ``abort(status)``: Werkzeug's error for ``status``.

    Quay's API serialises it as ``{"message": <Werkzeug's description>}``, not as an ApiError.
    """

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status
