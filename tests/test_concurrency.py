"""Many clients at once on one repository: no update is lost, no answer is a bug."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from mockquay.app import create_app
from mockquay.domain import audit
from mockquay.extension import emulator_of
from mockquay.server import Server
from mockquay.settings import Settings

ADMIN = {"Authorization": "Bearer admin-token"}
THREADS = 16
PUTS_PER_THREAD = 20


def test_hammering_one_repository_loses_no_update():
    app = create_app(Settings())
    server = Server(app, "127.0.0.1", 0).start()
    base = f"{server.url}/api/v1/repository/acme/etcd/mirror"

    def client(number: int) -> list[int]:
        statuses = []
        with requests.Session() as session:
            session.headers.update(ADMIN)
            for turn in range(PUTS_PER_THREAD):
                interval = 1000 + number * PUTS_PER_THREAD + turn
                statuses.append(session.put(base, json={"sync_interval": interval}).status_code)
                statuses.append(session.post(f"{base}/sync-now").status_code)
                statuses.append(session.get(base).status_code)
        return statuses

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            results = [
                status for statuses in pool.map(client, range(THREADS)) for status in statuses
            ]
    finally:
        server.stop()
    assert set(results) == {200, 201, 204}
    with emulator_of(app).store.transaction() as tx:
        entries = list(audit.entries(tx, "acme/etcd"))
        final = tx.get("mirrors", "acme/etcd")
    intervals = [
        e["metadata"]["to"] for e in entries if e["metadata"]["changed"] == "sync_interval"
    ]
    sync_nows = [e for e in entries if e["metadata"]["changed"] == "sync_status"]
    expected = set(range(1000, 1000 + THREADS * PUTS_PER_THREAD))
    assert sorted(intervals) == sorted(expected)
    assert len(sync_nows) == THREADS * PUTS_PER_THREAD
    assert final["sync_interval"] in expected
    assert final["sync_interval"] == intervals[-1]
    assert final["sync_status"] == "SYNC_NOW"
