"""Quay's ``next_page`` tokens (``util/pagination.py``): opaque strings around a small dict.

Quay encrypts the dict with Fernet; mockquay only encodes it, as clients never look inside.
Like Quay, a token that does not decode means "the first page".
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


def encode_page_token(page: dict[str, Any]) -> str:
    """The ``next_page`` value for ``page``."""
    return base64.urlsafe_b64encode(json.dumps(page, sort_keys=True).encode()).decode()


def decode_page_token(token: str | None) -> dict[str, Any] | None:
    """The dict inside ``token``; None for no token or one that is not mockquay's."""
    if not token:
        return None
    try:
        page = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeError):
        return None
    return page if isinstance(page, dict) else None
