"""The one clock every time mockquay uses comes from: wall time, or time that moves when asked.

In ``real`` mode the clock is the wall clock plus an offset (advancing it adds to the offset);
in ``manual`` mode it stands still until it is advanced or set. It never goes backwards.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from mockquay.domain.dates import utcnow

CLOCK_MODES = ("real", "manual")

#: The clock's range: from Unix time 0 (Quay counts tag times in milliseconds from it) to two
#: centuries before ``datetime.max``, room for the longest interval Quay adds to now (an
#: integer column of seconds: 2**31 s, about 68 years).
EARLIEST = datetime(1970, 1, 1)
LATEST = datetime(9800, 1, 1)

_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


class ClockError(ValueError):
    """A clock setting or change that cannot be made; the message says why."""


def parse_duration(value: Any) -> timedelta:
    """A duration from seconds (a number, not negative) or ISO 8601 (``PT1H30M``, ``P1DT2H``).

    Raises ClockError for anything else: negative, a bool, years or months (whose length
    varies), an empty duration such as ``P`` or ``PT``, or one longer than the clock's range.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ClockError("'advance' must be a number of seconds or an ISO 8601 duration")
    if isinstance(value, (int, float)):
        if value != value or value < 0:
            raise ClockError(f"'advance' must not be negative: {value!r}")
        parts = {"seconds": value}
    else:
        match = _DURATION.match(value)
        if match is None or value.endswith(("P", "T")):
            raise ClockError(
                f"'advance' {value!r} is not an ISO 8601 duration such as PT1H30M or P1DT2H "
                "(weeks, days, hours, minutes and seconds only)"
            )
        parts = {name: float(number) for name, number in match.groupdict().items() if number}
    try:
        duration = timedelta(**parts)
    except OverflowError:
        duration = timedelta.max
    if duration > LATEST - EARLIEST:
        raise ClockError(f"'advance' {value!r} is longer than the clock's range ({_RANGE})")
    return duration


def advanced(now: datetime, duration: timedelta) -> datetime:
    """``now + duration``; ClockError if that is past the clock's range."""
    if duration > LATEST - now:
        raise ClockError(
            f"'advance' goes past the clock's range ({_RANGE}): {format_instant(now)} plus "
            f"{duration}"
        )
    return now + duration


def parse_instant(value: Any) -> datetime:
    """A naive UTC datetime in the clock's range from an ISO 8601 string
    (``2026-01-01T00:00:00Z``); ClockError for anything else."""
    if not isinstance(value, str):
        raise ClockError("a time must be an ISO 8601 string such as 2026-01-01T00:00:00Z")
    try:
        parsed = datetime.fromisoformat(value[:-1] if value.endswith("Z") else value)
    except ValueError:
        raise ClockError(
            f"{value!r} is not an ISO 8601 time such as 2026-01-01T00:00:00Z"
        ) from None
    return in_range(parsed)


def in_range(moment: datetime) -> datetime:
    """``moment`` as naive UTC; ClockError unless it is in the clock's range."""
    try:
        utc = moment if moment.tzinfo is None else moment.astimezone(timezone.utc)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc.replace(tzinfo=None) <= LATEST:
        shown = format_instant(moment) if moment.tzinfo is None else moment.isoformat()
        raise ClockError(f"{shown} is outside the clock's range ({_RANGE})")
    return utc.replace(tzinfo=None)


def format_instant(value: datetime) -> str:
    """``2026-01-01T00:00:00Z`` (microseconds shown when there are some)."""
    return value.isoformat() + "Z"


_RANGE = f"{format_instant(EARLIEST)} to {format_instant(LATEST)}"


class Clock:
    """mockquay's time: ``now()`` in naive UTC, as Quay's database keeps dates."""

    def __init__(self, mode: str = "real", start: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self.mode = "real"
        self.start = utcnow()
        self._offset = timedelta(0)
        self._now = self.start
        self.configure(mode, start)

    def configure(self, mode: str, start: datetime | None = None) -> None:
        """Use ``mode`` from ``start`` (default: now, in whole seconds in manual mode)."""
        if mode not in CLOCK_MODES:
            raise ClockError(f"unknown clock mode {mode!r} (known: {', '.join(CLOCK_MODES)})")
        with self._lock:
            wall = utcnow()
            if start is None:
                start = wall if mode == "real" else wall.replace(microsecond=0)
            self.mode = mode
            self.start = start
            self._offset = start - wall if mode == "real" else timedelta(0)
            self._now = start

    def now(self) -> datetime:
        """The current time."""
        if self.mode == "manual":
            return self._now
        return utcnow() + self._offset

    def move_to(self, target: datetime) -> None:
        """Make ``target`` the current time; ClockError if it is in the past."""
        with self._lock:
            now = self.now()
            if target < now:
                raise ClockError(
                    f"the clock never goes backwards: {format_instant(target)} is before "
                    f"{format_instant(now)}"
                )
            if self.mode == "manual":
                self._now = target
            else:
                self._offset += target - now

    def view(self) -> dict[str, str]:
        """``{"now", "mode"}`` as the admin API shows the clock."""
        return {"now": format_instant(self.now()), "mode": self.mode}


def settings_start(value: dict[str, Any]) -> datetime | None:
    """The ``start`` of a fixture's ``settings.clock`` (a string or a YAML timestamp);
    ClockError if it is not a time in the clock's range."""
    start = value.get("start")
    if isinstance(start, datetime):
        return in_range(start)
    return None if start is None else parse_instant(start)
