"""Where the installed fault rules are kept: one store document, so that their order is kept."""

from __future__ import annotations

from typing import Any

from mockquay.store import Transaction

#: The store kind and key of the document holding the rules.
FAULTS_KIND = "faults"
_KEY = "rules"


def fault_rules(tx: Transaction) -> list[dict[str, Any]]:
    """The installed fault rules in order, in their normal form."""
    return (tx.get(FAULTS_KIND, _KEY) or {"rules": []})["rules"]


def put_fault_rules(tx: Transaction, rules: list[dict[str, Any]]) -> None:
    """Replace the installed fault rules by ``rules`` (normal form, in order)."""
    tx.put(FAULTS_KIND, _KEY, {"rules": rules})
