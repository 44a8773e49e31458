"""Fault rules: what a fault does, which requests it hits, and when it fires.

A rule (docs/faults.md) has a ``match`` (Quay operation nickname, method,
repository, path), an effect (an answer: ``status`` with optional ``body`` and ``headers``; a
broken connection: ``transport``; a wait: ``delay_ms``), a ``phase`` and the counters
``times``, ``after`` and ``probability``. :class:`mockquay.faults.engine.FaultEngine` holds
the installed rules with their counts and decides, per request, which of them fire.

Whether a rule fires on its n-th matching request depends only on the server seed, the rule's
id and n (:func:`chance`): never on other rules' traffic nor on thread timing, so the same seed
and the same requests give the same faults, run after run.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from marshmallow import ValidationError

from mockquay.faults.schema import (
    MATCH_KEYS,
    REQUEST_RULE_ID,
    RULE_KEYS,
    FaultRuleSchema,
    known_operations,
    rule_problems,
)

#: The prefix of the ids given to rules that come without one: ``fault-1``, ``fault-2``, ...
AUTO_ID_PREFIX = "fault-"
#: Keys of the ``X-Mockquay-Fault`` request header; any other key is a header of the answer.
_HEADER_KEYS = ("status", "transport", "delay_ms", "phase", "body")


class FaultRuleError(ValueError):
    """Invalid fault rules; ``problems`` holds ``(field, problem)`` pairs, fields like
    ``match.operation`` (prefixed ``[i].`` for the i-th rule of a list)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{where}: {problem}" for where, problem in problems))
        self.problems = problems

    @property
    def field(self) -> str:
        """The field of the first problem."""
        return self.problems[0][0]


def chance(seed: int, rule_id: str, n: int) -> float:
    """A number in [0, 1) fixed by the seed, the rule and the rule's match count ``n``."""
    digest = hashlib.sha256(f"{seed}:{rule_id}:{n}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


@dataclass(frozen=True)
class Match:
    """Which requests a rule hits; every key is optional and all given keys must hold."""

    operation: str | None = None
    method: str | None = None
    repository: str | None = None
    path: str | None = None
    notification_method: str | None = None
    url: str | None = None
    #: ``method``, or the method of ``operation``: checked before any routing.
    effective_method: str | None = None
    _repository: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    _path: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    _notification_method: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    _url: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @property
    def deliveries(self) -> bool:
        """Whether the match is of notification deliveries rather than requests."""
        return self.notification_method is not None or self.url is not None

    def hits(self, request: RequestFacts) -> bool:
        """Whether ``request`` is one of this match's requests (cheap keys first)."""
        if self.effective_method is not None and self.effective_method != request.method:
            return False
        if self.deliveries != request.delivery:
            return False
        if request.delivery and not self._delivery_hits(request):
            return False
        if self._path is not None and not self._path.match(request.path):
            return False
        if self.operation is not None and request.operation != self.operation:
            return False
        if self._repository is not None:
            repository = request.repository
            return repository is not None and self._repository.match(repository) is not None
        return True

    def _delivery_hits(self, request: RequestFacts) -> bool:
        assert isinstance(request, DeliveryFacts), "a delivery's facts"
        for pattern, value in (
            (self._notification_method, request.method_name),
            (self._url, request.url),
        ):
            if pattern is not None and (value is None or pattern.match(value) is None):
                return False
        return True

    @classmethod
    def of(
        cls,
        operation: str | None = None,
        method: str | None = None,
        repository: str | None = None,
        path: str | None = None,
        notification_method: str | None = None,
        url: str | None = None,
    ) -> Match:
        """The match of validated keys (see :class:`~.schemas.MatchSchema`)."""
        effective = method or (operation and known_operations()[operation].method)
        return cls(
            operation,
            method,
            repository,
            path,
            notification_method,
            url,
            effective_method=effective,
            _repository=None if repository is None else _glob(repository),
            _path=None if path is None else _glob(path),
            _notification_method=(
                None if notification_method is None else _glob(notification_method)
            ),
            _url=None if url is None else _glob(url),
        )

    def to_dict(self) -> dict[str, str]:
        given = {key: getattr(self, key) for key in MATCH_KEYS}
        return {key: value for key, value in given.items() if value is not None}


@dataclass(frozen=True)
class FaultRule:
    """One validated fault rule (build it with :func:`parse_rule`)."""

    id: str
    match: Match = Match()
    status: int | None = None
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    delay_ms: float = 0
    transport: str | None = None
    phase: str = "before"
    times: int | None = None
    after: int = 0
    probability: float = 1.0

    @property
    def answers(self) -> bool:
        """Whether the rule decides the answer (a status or a broken connection)."""
        return self.status is not None or self.transport is not None

    def fires(self, seed: int, matched: int, fired: int) -> bool:
        """Whether the rule fires on its ``matched``-th match, having fired ``fired`` times."""
        if matched <= self.after:
            return False
        if self.times is not None and fired >= self.times:
            return False
        return self.probability >= 1 or chance(seed, self.id, matched) < self.probability

    def describe(self) -> str:
        """The effect in a few words, for the log."""
        effects = []
        if self.delay_ms:
            effects.append(f"delay {self.delay_ms} ms")
        if self.status is not None:
            effects.append(f"status {self.status}")
        if self.transport is not None:
            effects.append(f"transport {self.transport}")
        return ", ".join(effects) + f" ({self.phase})"

    def to_dict(self) -> dict[str, Any]:
        """The rule in its normal form: every key, as ``GET /__mockquay__/faults`` shows it."""
        normal = {key: getattr(self, key) for key in RULE_KEYS}
        return {**normal, "match": self.match.to_dict(), "headers": dict(self.headers)}


def parse_rule(data: Any, *, rule_id: str | None = None, one_off: bool = False) -> FaultRule:
    """Validate one rule; ``rule_id`` is used when the rule has no ``id``.

    Only a ``one_off`` rule (the ``X-Mockquay-Fault`` header's) may have the id ``request``.
    Raises FaultRuleError listing every problem, each with the field it is in.
    """
    try:
        rule = FaultRuleSchema(rule_id=rule_id, one_off=one_off).load(data)
    except ValidationError as error:
        raise FaultRuleError(rule_problems(error)) from None
    return FaultRule(
        **{**rule, "match": Match.of(**rule["match"]), "headers": tuple(rule["headers"].items())}
    )


def parse_new_rules(rules: Sequence[Any], taken: Iterable[str]) -> list[FaultRule]:
    """Validate rules to install after rules with the ids ``taken``, all or nothing.

    A rule without an id gets the first free ``fault-<n>``, n counted from the number of rules
    before it, so the same sequence of installs gives the same ids (and so the same chances).
    Raises FaultRuleError with the problems of every rule, fields prefixed ``[i].``.
    """
    ids = set(taken)
    given = {
        data["id"]
        for data in rules
        if isinstance(data, Mapping) and isinstance(data.get("id"), str)
    }
    parsed: list[FaultRule] = []
    problems: list[tuple[str, str]] = []
    for index, data in enumerate(rules):
        automatic = None
        if isinstance(data, Mapping) and data.get("id") is None:
            number = len(ids) + 1
            while f"{AUTO_ID_PREFIX}{number}" in ids | given:
                number += 1
            automatic = f"{AUTO_ID_PREFIX}{number}"
        try:
            rule = parse_rule(data, rule_id=automatic)
            if rule.id in ids:
                raise FaultRuleError([("id", f"a rule with id {rule.id!r} is already installed")])
        except FaultRuleError as error:
            problems.extend((f"[{index}].{where}", problem) for where, problem in error.problems)
            continue
        ids.add(rule.id)
        parsed.append(rule)
    if problems:
        raise FaultRuleError(problems)
    return parsed


def parse_header(value: str) -> FaultRule:
    """The one-off fault of an ``X-Mockquay-Fault`` request header, with the id ``request``.

    The header is ``key=value`` pairs separated by ``;``: ``status``, ``transport``,
    ``delay_ms``, ``phase`` and ``body``; any other key is a header of the answer, so
    ``status=503; retry-after=2`` answers 503 with ``Retry-After: 2``.
    """
    rule: dict[str, Any] = {"id": REQUEST_RULE_ID}
    headers: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for part in value.split(";"):
        if not part.strip():
            continue
        key, equals, text = (piece.strip() for piece in part.partition("="))
        key = key.lower()
        if not equals or not key:
            problems.append((key or part.strip(), "must be written key=value"))
        elif key == "status":
            rule[key] = int(text) if text.isdigit() else text
        elif key == "delay_ms":
            try:
                rule[key] = float(text) if "." in text else int(text)
            except ValueError:
                rule[key] = text
        elif key in _HEADER_KEYS:
            rule[key] = text
        else:
            headers["-".join(word.capitalize() for word in key.split("-"))] = text
    if headers:
        rule["headers"] = headers
    try:
        parsed = parse_rule(rule, one_off=True)
    except FaultRuleError as error:
        problems.extend(error.problems)
    if problems:
        raise FaultRuleError(problems)
    return parsed


class RequestFacts:
    """What rules match on: method and path at once, operation and repository when first asked.

    ``route`` names the request's operation nickname and repository; it runs at most once,
    and only if a rule that passed the cheap checks needs it.
    """

    __slots__ = ("method", "path", "_route", "_routed")

    #: Requests to Quay's API; :class:`DeliveryFacts` are notification deliveries.
    delivery = False

    def __init__(
        self, method: str, path: str, route: Callable[[], tuple[str | None, str | None]]
    ) -> None:
        self.method = method
        self.path = path
        self._route = route
        self._routed: tuple[str | None, str | None] | None = None

    def _routing(self) -> tuple[str | None, str | None]:
        if self._routed is None:
            self._routed = self._route()
        return self._routed

    @property
    def operation(self) -> str | None:
        return self._routing()[0]

    @property
    def repository(self) -> str | None:
        return self._routing()[1]


class DeliveryFacts(RequestFacts):
    """What rules match on for one notification delivery: a POST to ``url`` (its path is the
    ``path``), the notification's ``method_name`` and repository, and no operation."""

    __slots__ = ("method_name", "url")
    delivery = True

    def __init__(self, method_name: str, url: str | None, repository: str | None) -> None:
        path = urlsplit(url).path or "/" if url else "/"
        super().__init__("POST", path, lambda: (None, repository))
        self.method_name = method_name
        self.url = url
