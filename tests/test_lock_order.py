"""Admin controls, Quay's API and the worker at once, on a served mockquay: nothing hangs.

Every lock is taken in one order (docs/architecture.md, "Locks"); a request that waits for a lock
held by a thread that waits for its own ends the test with every thread's stack.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback

import requests

from mockquay.app import create_app
from mockquay.server import Server
from mockquay.settings import Settings

THREADS = 12
#: How long the threads keep sending (seconds).
DURATION = 3.0
#: The longest one request may take before the test calls it a hang (seconds).
ANSWER_WITHIN = 5.0

ADMIN = "/__mockquay__"
MIRROR = "/api/v1/repository/acme/etcd/mirror"
NOTIFICATIONS = "/api/v1/repository/acme/etcd/notification/"
SLACK_ALERT = {
    "event": "repo_mirror_sync_started",
    "method": "slack",
    "config": {"url": "https://hooks.slack.com/x"},
    "eventConfig": {},
}
#: Each thread loops over one of these call lists: ``(method, path, body, statuses)``.
CALLS = [
    [("POST", f"{ADMIN}/seed", {}, {200}), ("GET", MIRROR, None, {200})],
    [("POST", f"{ADMIN}/reset", None, {200}), ("GET", f"{ADMIN}/health", None, {200})],
    [("PUT", f"{ADMIN}/state", "state", {200}), ("GET", MIRROR, None, {200})],
    # Quay answers sync-now with 404 while a sync runs, which the other threads start.
    [
        ("PUT", MIRROR, {"sync_interval": 3600}, {201}),
        ("POST", f"{MIRROR}/sync-now", None, {204, 404}),
    ],
    [("POST", f"{ADMIN}/clock", {"advance": 600}, {200}), ("GET", f"{ADMIN}/health", None, {200})],
    [("POST", f"{ADMIN}/worker/run", None, {200}), ("GET", MIRROR, None, {200})],
    # Notifications whose deliveries the syncs queue; the delivery thread records them.
    [
        ("POST", NOTIFICATIONS, SLACK_ALERT, {201}),
        ("GET", f"{ADMIN}/notifications", None, {200}),
    ],
]


def test_mixed_admin_quay_and_worker_calls_are_all_answered():
    app = create_app(Settings(clock="manual"))
    server = Server(app, "127.0.0.1", 0).start()
    state = requests.get(f"{server.url}{ADMIN}/state?secrets=true", timeout=ANSWER_WITHIN).json()
    in_flight: dict[str, tuple[str, float]] = {}
    unexpected: list[str] = []
    stop_at = time.monotonic() + DURATION

    def client(number: int) -> None:
        name = threading.current_thread().name
        with requests.Session() as session:
            session.headers["Authorization"] = "Bearer admin-token"
            session.headers["X-Mockquay-Client"] = "test"
            while time.monotonic() < stop_at:
                for method, path, body, statuses in CALLS[number % len(CALLS)]:
                    in_flight[name] = (f"{method} {path}", time.monotonic())
                    response = session.request(
                        method,
                        f"{server.url}{path}",
                        json=state if body == "state" else body,
                        timeout=600,
                    )
                    del in_flight[name]
                    if response.status_code not in statuses:
                        unexpected.append(f"{method} {path}: {response.status_code}")

    threads = [
        threading.Thread(target=client, args=(n,), name=f"client-{n}", daemon=True)
        for n in range(THREADS)
    ]
    # Thread switches a hundred times as often, so that a lock-order race shows within seconds.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(interval / 100)
    try:
        for thread in threads:
            thread.start()
        _watch(threads, in_flight)
    finally:
        sys.setswitchinterval(interval)
    server.stop()
    assert unexpected == []


def _watch(threads: list[threading.Thread], in_flight: dict[str, tuple[str, float]]) -> None:
    """Wait for ``threads``; fail with every thread's stack if a request goes unanswered."""
    while any(thread.is_alive() for thread in threads):
        now = time.monotonic()
        late = {
            name: call
            for name, (call, since) in dict(in_flight).items()
            if now - since > ANSWER_WITHIN
        }
        # The threads stay stuck if they hang: the server is not stopped then.
        assert not late, f"unanswered after {ANSWER_WITHIN} s: {late}\n{_every_stack()}"
        time.sleep(0.05)


def _every_stack() -> str:
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    return "\n".join(
        f"--- {names.get(ident, ident)}\n{''.join(traceback.format_stack(frame))}"
        for ident, frame in sys._current_frames().items()
    )
