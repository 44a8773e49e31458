"""The fault engine: the installed rules with their match and fire counts, and, per request,
which of them fire (:class:`FaultEngine`), and what they decided (:class:`Decision`)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mockquay.faults.rules import FaultRule, RequestFacts


@dataclass(frozen=True)
class Decision:
    """What happens to one request: waits, and the rule that answers it, if any."""

    #: The rule named in ``X-Mockquay-Fault``: the answering rule, else the first that fired.
    rule_id: str
    #: The first fired rule with a status or transport; None when the rules only wait.
    answer: FaultRule | None
    #: Seconds to wait before calling Quay's logic, and after it.
    delay_before: float
    delay_after: float
    fired: tuple[FaultRule, ...]

    @classmethod
    def of(cls, fired: Sequence[FaultRule]) -> Decision:
        """The decision for rules that fired, in rule order: waits add up, first answer wins."""
        answer = next((rule for rule in fired if rule.answers), None)
        return cls(
            rule_id=(answer or fired[0]).id,
            answer=answer,
            delay_before=sum(r.delay_ms for r in fired if r.phase == "before") / 1000,
            delay_after=sum(r.delay_ms for r in fired if r.phase == "after") / 1000,
            fired=tuple(fired),
        )


class _Installed:
    """A rule and its counters."""

    __slots__ = ("rule", "matched", "fired")

    def __init__(self, rule: FaultRule, matched: int = 0, fired: int = 0) -> None:
        self.rule = rule
        self.matched = matched
        self.fired = fired


class FaultEngine:
    """The installed rules, their match and fire counts, and the seed their chances come from.

    Rules are replaced as a whole by :meth:`load` (the emulator keeps their definitions in the
    store); matching reads an immutable snapshot without locking, and only the counters of
    matching rules are updated under the engine's lock.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.seed = seed
        #: The installed rules, in order; empty means no request pays for faults.
        self.rules: tuple[_Installed, ...] = ()
        self._by_method: dict[str, tuple[_Installed, ...]] = {}
        self._any_method: tuple[_Installed, ...] = ()

    def load(self, rules: Iterable[FaultRule], *, seed: int, keep_counters: bool) -> None:
        """Install ``rules`` in place of the current ones; with ``keep_counters``, a rule that
        is unchanged (same id, same definition) keeps its match and fire counts."""
        with self._lock:
            previous = {entry.rule.id: entry for entry in self.rules} if keep_counters else {}
            installed = []
            for rule in rules:
                old = previous.get(rule.id)
                if old is not None and old.rule == rule:
                    installed.append(_Installed(rule, old.matched, old.fired))
                else:
                    installed.append(_Installed(rule))
            methods = {entry.rule.match.effective_method for entry in installed}
            self.seed = seed
            self._by_method = {
                method: tuple(
                    entry
                    for entry in installed
                    if entry.rule.match.effective_method in (None, method)
                )
                for method in methods
                if method is not None
            }
            self._any_method = tuple(
                entry for entry in installed if entry.rule.match.effective_method is None
            )
            self.rules = tuple(installed)

    def view(self) -> list[dict[str, Any]]:
        """Every rule in its normal form with its ``matched`` and ``fired`` counts."""
        with self._lock:
            return [
                {**entry.rule.to_dict(), "matched": entry.matched, "fired": entry.fired}
                for entry in self.rules
            ]

    def decide(self, request: RequestFacts) -> Decision | None:
        """Count ``request`` against the rules it matches; the decision if any rule fires.

        Every matching rule counts the request, so a rule's count never depends on other
        rules. Among the rules that fire, waits add up and the first with a status or
        transport answers; later rules with their own answer neither apply nor count as fired.
        """
        candidates = self._by_method.get(request.method, self._any_method)
        matching = [entry for entry in candidates if entry.rule.match.hits(request)]
        if not matching:
            return None
        fired: list[FaultRule] = []
        answered = False
        with self._lock:
            for entry in matching:
                entry.matched += 1
                rule = entry.rule
                if answered and rule.answers:
                    continue
                if rule.fires(self.seed, entry.matched, entry.fired):
                    entry.fired += 1
                    fired.append(rule)
                    answered = answered or rule.answers
        return Decision.of(fired) if fired else None
