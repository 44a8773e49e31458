"""Quay's repository-mirror worker as a discrete-event simulation on mockquay's clock."""

from __future__ import annotations

from typing import Any

WORKER_MODES = ("auto", "manual", "off")

#: Quay's ``REPO_MIRROR_INTERVAL`` default: seconds between two polls.
DEFAULT_INTERVAL = 30


def check_settings(value: Any) -> list[str]:
    """Problems with a fixture's ``settings.worker`` (``{mode, interval}``), one line each."""
    if not isinstance(value, dict):
        return ["must be a mapping {mode: auto|manual|off, interval: <seconds>}"]
    problems = []
    unknown = sorted(set(value) - {"mode", "interval"})
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)} (known: mode, interval)")
    if "mode" in value and value["mode"] not in WORKER_MODES:
        problems.append(f"mode must be one of {', '.join(WORKER_MODES)}")
    interval = value.get("interval", DEFAULT_INTERVAL)
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        problems.append("interval must be a whole number of seconds, at least 1")
    return problems
