"""What counts as a number where a document gives one."""

from __future__ import annotations

import math
from typing import Any


def is_number(value: Any) -> bool:
    """An int or a finite float: not a bool, and not JSON's ``NaN`` or ``Infinity``, which are
    no number of anything and which strict JSON cannot carry back."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool)
