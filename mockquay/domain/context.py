"""What every domain rule needs to know about the request it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from mockquay.domain.config import QuayConfig
from mockquay.domain.dates import utcnow
from mockquay.domain.identity import ANONYMOUS, Caller


@dataclass(frozen=True)
class Context:
    """The Quay configuration, the caller and the request details that go into audit logs."""

    config: QuayConfig
    caller: Caller = ANONYMOUS
    #: None for Quay's worker, which logs without an IP address.
    ip: str | None = "127.0.0.1"
    user_agent: str = ""
    now: datetime = field(default_factory=utcnow)
