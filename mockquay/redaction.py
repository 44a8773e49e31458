"""Passwords and tokens: how mockquay tells them apart and hides them where it shows requests
and state.

A secret is the value of a key naming a password or token (:data:`SECRET_WORDS`, anywhere in
the key, in any case), judged on the key as decoded: a JSON ``\\u`` escape or a URL escape does
not hide it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_plus

#: What a secret becomes where mockquay shows it.
REDACTED = "<redacted>"

#: The words that make a key a secret, anywhere in the key and in any case.
SECRET_WORDS = ("password", "token")

_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def is_secret(key: object) -> bool:
    """Whether a (decoded) key names a password or token."""
    lowered = str(key).lower()
    return any(word in lowered for word in SECRET_WORDS)


def redact(value: Any) -> Any:
    """``value`` with the value of every key naming a password or token replaced, at any depth.

    It walks with a stack of its own, so a free-form value nested as deeply as a request body
    can be (``external_registry_config``) is redacted, not a RecursionError.
    """
    if not isinstance(value, (Mapping, list)):
        return value
    root: Any = {} if isinstance(value, Mapping) else []
    pending = [(value, root)]
    while pending:
        source, target = pending.pop()
        is_mapping = isinstance(source, Mapping)
        for key, item in source.items() if isinstance(source, Mapping) else enumerate(source):
            if is_mapping and is_secret(key):
                copied: Any = REDACTED
            elif isinstance(item, (Mapping, list)):
                copied = {} if isinstance(item, Mapping) else []
                pending.append((item, copied))
            else:
                copied = item
            if is_mapping:
                target[key] = copied
            else:
                target.append(copied)
    return root


def names_secret(text: str) -> bool:
    """Whether ``text`` names a password or token, also behind JSON ``\\u`` or URL escapes."""
    unquoted = unquote_plus(text)
    return any(
        is_secret(variant) for variant in (text, unquoted, _unescaped(text), _unescaped(unquoted))
    )


def _unescaped(text: str) -> str:
    return _JSON_ESCAPE.sub(lambda match: chr(int(match[1], 16)), text)


def redacted_query(query: str) -> str:
    """A query string with the value of every parameter naming a password or token replaced."""
    if not query or not names_secret(query):
        return query
    parts = []
    for part in query.split("&"):
        key, equals, _ = part.partition("=")
        parts.append(f"{key}={REDACTED}" if equals and names_secret(key) else part)
    return "&".join(parts)
