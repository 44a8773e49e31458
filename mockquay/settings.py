"""mockquay's own settings: command-line flags over ``MOCKQUAY_*`` environment variables.

Quay's settings (features, superusers, DNS answers, ...) are not here: they are part of the
state, set by fixture documents (``mockquay.domain.config``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

ENV_PREFIX = "MOCKQUAY_"


@dataclass(frozen=True)
class Settings:
    """How one mockquay server runs."""

    host: str = "127.0.0.1"
    port: int = 8080
    #: Fixture files or folders applied at boot and on reset; empty means the bundled default.
    fixtures: tuple[str, ...] = ()
    #: A JSON file that keeps the state across restarts; None keeps it in memory.
    data: str | None = None
    #: The Quay profile when no fixture document names one.
    profile: str | None = None
    seed: int = 0
    admin_token: str | None = None
    #: Largest request body accepted; larger ones get 413.
    max_body_bytes: int = 1024 * 1024
    #: Load the bundled default fixtures when ``fixtures`` is empty.
    default_fixtures: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``MOCKQUAY_*`` variables, then ``overrides`` that are not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in ("host", "data", "profile", "admin_token"):
            if f"{ENV_PREFIX}{name.upper()}" in environ:
                values[name] = environ[f"{ENV_PREFIX}{name.upper()}"]
        for name in ("port", "seed"):
            if f"{ENV_PREFIX}{name.upper()}" in environ:
                values[name] = int(environ[f"{ENV_PREFIX}{name.upper()}"])
        if environ.get(f"{ENV_PREFIX}FIXTURES"):
            values["fixtures"] = tuple(environ[f"{ENV_PREFIX}FIXTURES"].split(os.pathsep))
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if v is not None and k in known})
        if "fixtures" in values:
            values["fixtures"] = tuple(values["fixtures"])
        return replace(cls(), **values)
