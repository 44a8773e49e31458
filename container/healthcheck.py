"""The container's health check: exit 0 when ``GET /__mockquay__/health`` answers 200.

The admin token is ``MOCKQUAY_ADMIN_TOKEN``, else the one the entrypoint made up and wrote to
``MOCKQUAY_ADMIN_TOKEN_FILE``.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def admin_token() -> str:
    """The token the server was started with."""
    if "MOCKQUAY_ADMIN_TOKEN" in os.environ:
        return os.environ["MOCKQUAY_ADMIN_TOKEN"]
    try:
        with open(os.environ.get("MOCKQUAY_ADMIN_TOKEN_FILE", ""), encoding="utf-8") as file:
            return file.read().strip()
    except OSError:
        return ""


def main() -> int:
    port = os.environ.get("MOCKQUAY_PORT", "8080")
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/__mockquay__/health",
        headers={"X-Mockquay-Admin-Token": admin_token()},
    )
    try:
        with urllib.request.urlopen(request, timeout=2):
            return 0
    except OSError as error:  # HTTPError and URLError are OSErrors
        print(f"mockquay health check: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
