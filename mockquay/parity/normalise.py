"""The named rules that normalise volatile parts of an answer, and the comparison of two
answers after them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mockquay.parity.exchange import Answer
from mockquay.redaction import REDACTED, is_secret

_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[-+]\d\d:?\d\d)?")
_RFC_DATE = re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d( [-+]\d{4}| GMT)")
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")

#: The lists whose order Quay does not fix (a database's row order), sorted before comparing.
UNORDERED = ("repositories", "robots")


@dataclass(frozen=True)
class Rule:
    """A named normalisation, as the report lists it."""

    name: str
    description: str


RULES = (
    Rule("host", "the scheme, host and port of each side's own address become <host>"),
    Rule("date", "a date the server chose (ISO 8601, RFC 2822) becomes <date>; dates sent stay"),
    Rule("id", "a UUID becomes <id>"),
    Rule("secret", "the value of a key naming a password or token becomes <redacted>"),
    Rule("order", f"lists Quay does not order ({', '.join(UNORDERED)}) are sorted"),
)

#: What is compared: everything else (Date, Server, Content-Length, ...) is not.
COMPARED = ("status", "Content-Type", "body (JSON: values, key order and layout; else text)")


class Normaliser:
    """The rules for one side: its own address, and the dates the scenario sent."""

    def __init__(self, base_url: str, sent_dates: Iterable[str] = ()) -> None:
        host = urlsplit(base_url).hostname or ""
        self._host = re.compile(rf"https?://{re.escape(host)}(:\d+)?") if host else None
        self._sent = frozenset(sent_dates)

    def text(self, text: str) -> str:
        """``text`` with hosts, server-chosen dates and UUIDs replaced."""
        if self._host is not None:
            text = self._host.sub("<host>", text)
        for pattern in (_ISO_DATE, _RFC_DATE):
            text = pattern.sub(self._date, text)
        return _UUID.sub("<id>", text)

    def _date(self, match: re.Match[str]) -> str:
        return match[0] if match[0] in self._sent else "<date>"

    def value(self, value: Any) -> Any:
        """A JSON value with every rule applied, key order kept."""
        if isinstance(value, dict):
            return {
                key: REDACTED if is_secret(key) and item is not None else self._keyed(key, item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _keyed(self, key: str, item: Any) -> Any:
        normalised = self.value(item)
        if key in UNORDERED and isinstance(normalised, list):
            return sorted(normalised, key=lambda entry: json.dumps(entry, sort_keys=True))
        return normalised


@dataclass(frozen=True)
class Shown:
    """An answer as compared: status, content type, body and its layout."""

    status: int
    content_type: str | None
    body: Any
    #: How a JSON body is written: ``"restful"`` (json.dumps + newline), ``"compact"``, ...
    layout: str | None


def shown(answer: Answer, normaliser: Normaliser) -> Shown:
    """``answer`` after ``normaliser``'s rules."""
    parsed = answer.json() if answer.body else None
    if parsed is None or not answer.body.strip():
        text = answer.body.decode("utf-8", "replace")
        return Shown(answer.status, answer.content_type, normaliser.text(text), None)
    return Shown(answer.status, answer.content_type, normaliser.value(parsed), layout(answer.body))


def layout(body: bytes) -> str:
    """How a JSON body is written, as Quay's serialisers differ (docs/quay-api.md)."""
    parsed = json.loads(body)
    for name, separators, end in (
        ("restful", (", ", ": "), "\n"),
        ("compact", (",", ":"), "\n"),
        ("dumps", (", ", ": "), ""),
    ):
        if body.decode() == json.dumps(parsed, separators=separators) + end:
            return name
    return "other"


def differences(target: Shown, reference: Shown, limit: int = 4) -> list[str]:
    """What differs, one short line each (``target`` first), at most ``limit``."""
    found: list[str] = []
    if target.status != reference.status:
        found.append(f"status: {target.status} != {reference.status}")
    if target.content_type != reference.content_type:
        found.append(f"Content-Type: {target.content_type} != {reference.content_type}")
    _diff("body", target.body, reference.body, found)
    if not found and target.layout != reference.layout:
        found.append(f"body layout: {target.layout} != {reference.layout}")
    return found[:limit] + ([f"... {len(found) - limit} more"] if len(found) > limit else [])


_ABSENT = object()


def _diff(where: str, left: Any, right: Any, found: list[str]) -> None:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in [*left, *(key for key in right if key not in left)]:
            _diff(f"{where}.{key}", left.get(key, _ABSENT), right.get(key, _ABSENT), found)
        if not found and list(left) != list(right) and set(left) == set(right):
            found.append(f"{where}: key order {list(left)} != {list(right)}")
        return
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (one, other) in enumerate(zip(left, right)):
            _diff(f"{where}[{index}]", one, other, found)
        return
    if left != right or type(left) is not type(right):
        start = 0
        if isinstance(left, str) and isinstance(right, str):
            start = next((i for i, (a, b) in enumerate(zip(left, right)) if a != b), 0)
            start = max(0, min(start, len(left), len(right)) - 10)
        found.append(f"{where}: {_short(left, start)} != {_short(right, start)}")


def _short(value: Any, start: int = 0, width: int = 48) -> str:
    """``value`` as JSON, from character ``start`` of a string, cut to ``width``."""
    if value is _ABSENT:
        return "(absent)"
    text = json.dumps(value[start:] if start else value)
    if start:
        text = '"...' + text[1:]
    return text if len(text) <= width else text[: width - 3] + "..."


def rules_listed(rules: Sequence[Rule] = RULES) -> list[dict[str, str]]:
    """The rules as the JSON report lists them."""
    return [{"name": rule.name, "description": rule.description} for rule in rules]
