"""Resident memory after many mixed requests (``python bench/soak_memory.py [REQUESTS]``).

In process, through Flask's test client (no sockets, so it stays quick): PUT and GET a mirror,
sync-now, create repositories (half of them deleted again), read the audit log and the user,
and every 1,000th request a 1 MiB body. Prints the resident set size at the start, every
20,000 requests, after ``POST /__mockquay__/reset`` and after a garbage collection.
"""

from __future__ import annotations

import gc
import json
import sys
import time

from mockquay.app import create_app
from mockquay.settings import Settings

ADMIN = {"Authorization": "Bearer admin-token"}
MIRROR = "/api/v1/repository/acme/etcd/mirror"
BIG = json.dumps({"sync_interval": 60, "padding": "x" * (1024 * 1024 - 40)})


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def one(client, number: int) -> None:
    kind = number % 20
    if number % 1000 == 999:
        client.put(MIRROR, data=BIG, headers=ADMIN, content_type="application/json")
    elif kind < 8:
        client.put(MIRROR, json={"sync_interval": 60 + number}, headers=ADMIN)
    elif kind < 14:
        client.get(MIRROR, headers=ADMIN)
    elif kind < 16:
        client.post(f"{MIRROR}/sync-now", headers=ADMIN)
    elif kind == 16:
        body = {"namespace": "acme", "repository": f"soak{number}", "visibility": "private",
                "description": "d" * 200}  # fmt: skip
        client.post("/api/v1/repository", json=body, headers=ADMIN)
    elif kind == 17:
        client.delete(f"/api/v1/repository/acme/soak{number - 1}", headers=ADMIN)
    elif kind == 18:
        # Every other created repository is kept, with its log.
        body = {"namespace": "acme", "repository": f"kept{number}", "visibility": "private",
                "description": ""}  # fmt: skip
        client.post("/api/v1/repository", json=body, headers=ADMIN)
    elif number % 100 == 19:
        client.get("/api/v1/repository/acme/etcd/logs", headers=ADMIN)
    else:
        client.get("/api/v1/user/", headers=ADMIN)


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    app = create_app(Settings())
    client = app.test_client()
    started = time.perf_counter()
    print(f"start: {rss_mb():.0f} MB", flush=True)
    for number in range(total):
        one(client, number)
        if (number + 1) % 20_000 == 0:
            print(f"after {number + 1} requests: {rss_mb():.0f} MB", flush=True)
    client.post("/__mockquay__/reset")
    print(f"after reset: {rss_mb():.0f} MB", flush=True)
    gc.collect()
    print(f"after reset and gc: {rss_mb():.0f} MB ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
