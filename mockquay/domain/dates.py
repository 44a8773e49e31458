"""The two date formats of Quay's API: mirror dates (ISO 8601 + ``Z``) and RFC 2822 elsewhere."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime
from typing import overload

MIRROR_DATE_INPUT = "%Y-%m-%dT%H:%M:%SZ"


def utcnow() -> datetime:
    """Now, as the naive UTC datetime Quay's database holds."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def parse_mirror_date(text: str) -> datetime:
    """Quay's ``_string_to_dt``: exactly ``YYYY-MM-DDTHH:MM:SSZ``; raises ValueError otherwise."""
    return datetime.strptime(text, MIRROR_DATE_INPUT)


def format_mirror_date(value: datetime | None) -> str | None:
    """Quay's ``_dt_to_string``: ``isoformat() + "Z"``, so microseconds show when present."""
    return None if value is None else value.isoformat() + "Z"


@overload
def store_date(value: datetime) -> str: ...
@overload
def store_date(value: None) -> None: ...
@overload
def store_date(value: datetime | None) -> str | None: ...
def store_date(value: datetime | None) -> str | None:
    """A naive UTC datetime as the store keeps it."""
    return None if value is None else value.isoformat()


@overload
def load_date(text: str) -> datetime: ...
@overload
def load_date(text: None) -> None: ...
@overload
def load_date(text: str | None) -> datetime | None: ...
def load_date(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def format_rfc2822(value: datetime) -> str:
    """Quay's ``format_date``: ``Wed, 02 Oct 2002 08:00:00 -0000``."""
    return format_datetime(value.replace(tzinfo=None))
