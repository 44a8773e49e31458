"""mockquay's own settings: command-line flags over ``MOCKQUAY_*`` environment variables.

Quay's settings (features, superusers, DNS answers, ...) are not here: they are part of the
state, set by fixture documents (``mockquay.domain.config``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from mockquay.domain.clock import CLOCK_MODES
from mockquay.domain.mirror_worker import WORKER_MODES
from mockquay.profiles import get_profile

ENV_PREFIX = "MOCKQUAY_"


@dataclass(frozen=True)
class Settings:
    """How one mockquay server runs."""

    host: str = "127.0.0.1"
    port: int = 8080
    #: Fixture files or folders applied in order at boot and on reset, ``bundled`` for the
    #: bundled default; empty means the bundled default.
    fixtures: tuple[str, ...] = ()
    #: A JSON file that keeps the state across restarts; None keeps it in memory.
    data: str | None = None
    #: The Quay profile or release (``3.15``, ``3.16.2``) when no fixture document names one.
    profile: str | None = None
    seed: int = 0
    admin_token: str | None = None
    #: Largest request body accepted; larger ones get 413.
    max_body_bytes: int = 1024 * 1024
    #: Load the bundled default fixtures when ``fixtures`` is empty.
    default_fixtures: bool = True
    #: Fault rule files (lists of rules) installed at boot and again on reset.
    faults: tuple[str, ...] = ()
    #: How many requests the request journal keeps (the oldest go first); 0 keeps none.
    journal_size: int = 10_000
    #: How many audit log entries are kept per repository (the oldest go first).
    audit_log_size: int = 1000
    #: Host names, besides loopback ones, that the admin API answers to; ``*`` allows any.
    allowed_hosts: tuple[str, ...] = ()
    #: The clock's mode, ``real`` or ``manual``, when no fixture's ``settings.clock`` names one.
    clock: str = "real"
    #: The sync worker's mode, ``auto``, ``manual`` or ``off``, when no fixture names one.
    worker: str = "auto"

    def __post_init__(self) -> None:
        # Refuse an unknown profile at once, not with a 500 on the first request.
        get_profile(self.profile)
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is outside 0-65535 (--port or MOCKQUAY_PORT)")
        for name in ("journal_size", "audit_log_size"):
            if getattr(self, name) < 0:
                raise ValueError(
                    f"{ENV_PREFIX}{name.upper()} is {getattr(self, name)}: it cannot be negative"
                )
        if "" in self.allowed_hosts:
            raise ValueError(
                "an allowed host is empty (--allowed-host or MOCKQUAY_ALLOWED_HOSTS): give a "
                "host name, or '*' for any"
            )
        if self.clock not in CLOCK_MODES:
            raise ValueError(f"unknown clock mode {self.clock!r} (known: {', '.join(CLOCK_MODES)})")
        if self.worker not in WORKER_MODES:
            raise ValueError(
                f"unknown worker mode {self.worker!r} (known: {', '.join(WORKER_MODES)})"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``MOCKQUAY_*`` variables, then ``overrides`` that are not None."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in ("host", "data", "profile", "admin_token", "clock", "worker"):
            if f"{ENV_PREFIX}{name.upper()}" in environ:
                values[name] = environ[f"{ENV_PREFIX}{name.upper()}"]
        for name in ("port", "seed", "journal_size", "audit_log_size"):
            variable = f"{ENV_PREFIX}{name.upper()}"
            if variable in environ:
                try:
                    values[name] = int(environ[variable])
                except ValueError:
                    raise ValueError(
                        f"{variable} must be an integer, not {environ[variable]!r}"
                    ) from None
        if environ.get(f"{ENV_PREFIX}FIXTURES"):
            values["fixtures"] = tuple(environ[f"{ENV_PREFIX}FIXTURES"].split(os.pathsep))
        if environ.get(f"{ENV_PREFIX}ALLOWED_HOSTS"):
            hosts = environ[f"{ENV_PREFIX}ALLOWED_HOSTS"].split(",")
            values["allowed_hosts"] = tuple(host.strip() for host in hosts if host.strip())
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if v is not None and k in known})
        if "fixtures" in values:
            values["fixtures"] = tuple(values["fixtures"])
        for name in ("faults", "allowed_hosts"):
            if name in values:
                values[name] = tuple(values[name])
        return replace(cls(), **values)
