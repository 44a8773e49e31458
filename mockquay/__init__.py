"""mockquay: a high-fidelity simulator of Red Hat Quay's repository-mirror API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mockquay.version import __version__

__all__ = ["MockQuay", "__version__"]

if TYPE_CHECKING:
    from mockquay.testing import MockQuay


def __getattr__(name: str) -> Any:
    # Lazy, so that `import mockquay` (and the pytest plugin) stays cheap.
    if name == "MockQuay":
        from mockquay.testing import MockQuay

        return MockQuay
    raise AttributeError(f"module 'mockquay' has no attribute {name!r}")
