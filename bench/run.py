"""mockquay's benchmarks (``make bench``; ``python bench/run.py [NAME...]``).

Speed is compared side by side in one run, never against a fixed number of requests per
second: these machines are noisy. Throughput comparisons alternate short rounds between the
things compared and report the median of each, so drift hits both sides alike.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ADMIN = {"Authorization": "Bearer admin-token"}
MIRROR_PATH = "/api/v1/repository/acme/etcd/mirror"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
ROUND_SECONDS = float(os.environ.get("BENCH_ROUND_SECONDS", "1.0"))
CLIENT_THREADS = 4

RESULTS: list[tuple[str, str, str, bool]] = []


def report(name: str, measured: str, target: str, ok: bool) -> None:
    RESULTS.append((name, measured, target, ok))
    print(f"  {name}: {measured}  (target {target}) {'ok' if ok else 'MISSED'}", flush=True)


def fixture_with_mirrors(count: int) -> dict:
    """The default organization with ``count`` repositories, each with a mirror."""
    return {
        "users": [{"username": "admin"}],
        "organizations": [
            {"name": "acme", "teams": {"owners": {"role": "admin", "members": ["admin"]}}}
        ],
        "robots": [{"name": "acme+mirrorbot"}],
        "tokens": [{"token": "admin-token", "user": "admin", "scopes": ["repo:admin"]}],
        "repositories": [{"name": "acme/etcd"}]
        + [{"name": f"acme/repo{n}"} for n in range(count - 1)],
        "mirrors": [
            {
                "repository": name,
                "external_reference": "quay.io/coreos/etcd",
                "sync_interval": 86400,
                "sync_start_date": "2026-01-01T00:00:00Z",
                "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
                "robot_username": "acme+mirrorbot",
                "skopeo_timeout_interval": 300,
            }
            for name in ["acme/etcd"] + [f"acme/repo{n}" for n in range(count - 1)]
        ],
    }


#: The servers run as installed, with their modules' bytecode compiled once (kept out of the
#: tree), even where the environment asks Python to write none: the floor's libraries have it.
CHILD_ENV = {
    **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "mockquay-bench-bytecode"),
}


@contextmanager
def server_process(command: list[str]):
    """A server started by ``command`` (which prints a ready line); yields its URL and pid."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=CHILD_ENV)
    try:
        yield json.loads(process.stdout.readline())["url"], process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


@contextmanager
def served(*arguments: str):
    """``bench/served.py`` in its own process; yields its base URL."""
    with server_process([sys.executable, str(HERE / "served.py"), *arguments]) as (url, _):
        yield url


def request(url: str, method: str, path: str, body: object = None, headers=None) -> tuple:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    data = None if body is None else json.dumps(body)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    connection.request(method, path, body=data, headers=all_headers)
    response = connection.getresponse()
    result = (response.status, response.read())
    connection.close()
    return result


def requests_per_second(
    url: str, path: str, headers: dict, seconds: float, method: str = "GET", body: bytes = b""
) -> float:
    """Requests of ``path`` per second from CLIENT_THREADS keep-alive connections."""
    count, elapsed = load(url, path, headers, seconds, method, body)
    return count / elapsed


def load(
    url: str, path: str, headers: dict, seconds: float, method: str = "GET", body: bytes = b""
) -> tuple[int, float]:
    """How many ``method`` requests of ``path`` CLIENT_THREADS keep-alive connections made in
    ``seconds``, and the seconds they took."""
    parts = urlsplit(url)
    counts = [0] * CLIENT_THREADS
    failures: list[int] = []
    deadline = time.perf_counter() + seconds
    if body:
        headers = {**headers, "Content-Type": "application/json"}

    def client(slot: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.perf_counter() < deadline:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 300:
                failures.append(response.status)
            counts[slot] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENT_THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{method} {path} answered {sorted(set(failures))}")
    return sum(counts), time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """CPU seconds process ``pid`` has used, all its threads (``/proc``, in nanoseconds)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as file:
                total += int(file.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    return total / 1e9


def measured_load(url: str, pid: int, path: str, headers: dict, method: str, body: bytes):
    """One round: ``(requests per second, CPU seconds per request)`` of the server ``pid``."""
    cpu = cpu_seconds(pid)
    count, seconds = load(url, path, headers, ROUND_SECONDS, method, body)
    return count / seconds, (cpu_seconds(pid) - cpu) / count


def alternate(url: str, sides: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Median of each side over ROUNDS alternating rounds."""
    measured: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(ROUNDS):
        for name, measure in sides.items():
            measured[name].append(measure())
    return {name: statistics.median(values) for name, values in measured.items()}


def bench_http() -> None:
    """GET mirror against a bare Flask route on the same served server."""
    with served() as url:
        rates = alternate(
            url,
            {
                "mirror": lambda: requests_per_second(url, MIRROR_PATH, ADMIN, ROUND_SECONDS),
                "bare": lambda: requests_per_second(url, "/bench/bare", {}, ROUND_SECONDS),
            },
        )
    ratio = rates["mirror"] / rates["bare"]
    report(
        "GET mirror / bare Flask route, same server",
        f"{rates['mirror']:.0f} vs {rates['bare']:.0f} req/s = {ratio:.2f}",
        ">= 0.50",
        ratio >= 0.5,
    )


MOCKQUAY_SERVE = [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", "--quiet"]
FLOOR_SERVE = [sys.executable, str(HERE / "floor.py")]
#: The mirror's PUT in the floor comparison, and what the floor's PUT parses alike.
PUT_BODY = b'{"sync_interval": 7200}'


def floor_rows(sides: dict[str, list[str]], goals: tuple[str, ...] = ()) -> None:
    """GET and PUT of a mirror on each of ``sides`` (commands starting a server) against the
    same on the floor, alternating rounds; reports throughput and CPU per request ratios (the
    issue's goals for the sides named in ``goals``)."""
    commands = {**sides, "floor": FLOOR_SERVE}
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(server_process(command))
                   for name, command in commands.items()}  # fmt: skip
        for url, _ in servers.values():  # warm-up: imports, caches, the first connections
            load(url, MIRROR_PATH, ADMIN, 0.3)
            load(url, MIRROR_PATH, ADMIN, 0.3, "PUT", PUT_BODY)
        rounds: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(ROUNDS):
            for method, body in (("GET", b""), ("PUT", PUT_BODY)):
                for side, (url, pid) in servers.items():
                    rounds.setdefault((method, side), []).append(
                        measured_load(url, pid, MIRROR_PATH, ADMIN, method, body)
                    )
    for method, goal in (("GET", 0.75), ("PUT", 0.6)):
        rate = {s: statistics.median(r for r, _ in rounds[(method, s)]) for s in commands}
        cpu = {s: statistics.median(c for _, c in rounds[(method, s)]) for s in commands}
        for side in sides:
            ratio = rate[side] / rate["floor"]
            report(
                f"{method} mirror, {side} / the floor (bare Flask, cheroot, 32 threads)",
                f"{rate[side]:.0f} vs {rate['floor']:.0f} req/s = {ratio:.2f}; CPU per "
                f"request {cpu[side] * 1e6:.0f} vs {cpu['floor'] * 1e6:.0f} us = "
                f"{cpu[side] / cpu['floor']:.2f}x",
                f">= {goal}" if side in goals else "(compared)",
                ratio >= goal or side not in goals,
            )


def seconds_to_ready(command: list[str]) -> float:
    """Process start to the ready line of ``command``."""
    started = time.perf_counter()
    with server_process(command):
        return time.perf_counter() - started


def bench_floor() -> None:
    """mockquay against the floor, a bare Flask app on cheroot with 32 threads, in one run:
    GET and PUT of a mirror (median of alternating rounds), and start to ready."""
    sides = {"mockquay serve": MOCKQUAY_SERVE}
    before = os.environ.get("BENCH_BEFORE")
    if before:
        # Another checkout's mockquay (``git worktree add /tmp/before COMMIT``) in the same run.
        sides["before"] = ["env", f"PYTHONPATH={before}", *MOCKQUAY_SERVE]
    floor_rows(sides, goals=("mockquay serve",))
    commands = {**sides, "floor": FLOOR_SERVE}
    ready: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(ROUNDS):
        for name, command in commands.items():
            ready[name].append(seconds_to_ready(command))
    floor = statistics.median(ready["floor"])
    for name in sides:
        seconds = statistics.median(ready[name])
        report(
            f"start to ready, {name} / the floor",
            f"{seconds * 1000:.0f} vs {floor * 1000:.0f} ms = {seconds / floor:.2f}x",
            "< 300 ms" if name == "mockquay serve" else "(compared)",
            seconds < 0.3 or name != "mockquay serve",
        )


SERVED = [sys.executable, str(HERE / "served.py")]


def latency(url: str, method: str = "GET", body: bytes = b"", count: int = 200) -> float:
    """Median seconds of ``count`` requests of the mirror, one after another on one
    keep-alive connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {**ADMIN, "Content-Type": "application/json"} if body else ADMIN
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request(method, MIRROR_PATH, body=body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        samples.append(time.perf_counter() - started)
        assert response.status < 300, response.status
    connection.close()
    return statistics.median(samples)


def server_cost(url: str, pid: int, method: str, body: bytes = b"", count: int = 500) -> float:
    """CPU seconds server ``pid`` spends per request of the mirror, one client."""
    cpu = cpu_seconds(pid)
    latency(url, method, body, count)
    return (cpu_seconds(pid) - cpu) / count


def alternate_costs(sides: dict[str, tuple[list[str], str, bytes]]) -> dict[str, float]:
    """Median server CPU per request of each side (a server command, a method and a body),
    over alternating rounds, every server running throughout."""
    with contextlib.ExitStack() as stack:
        servers = {name: stack.enter_context(server_process(command))
                   for name, (command, _, _) in sides.items()}  # fmt: skip
        for name, (_, method, body) in sides.items():
            server_cost(*servers[name], method, body, 50)
        measured: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(ROUNDS):
            for name, (_, method, body) in sides.items():
                measured[name].append(server_cost(*servers[name], method, body))
    return {name: statistics.median(values) for name, values in measured.items()}


def bench_put_over_http() -> None:
    """Where a PUT's cost over HTTP goes, beyond a GET's: the server's CPU per request (one
    client, alternating rounds) of each part taken away in turn."""
    put = ("PUT", PUT_BODY)
    get = ("GET", b"")
    with tempfile.TemporaryDirectory() as folder:
        data = ["--data", str(Path(folder) / "state.json")]
        sides = {
            "floor GET": (FLOOR_SERVE, *get),
            "floor PUT": (FLOOR_SERVE, *put),
            "floor on mockquay's front GET": ([*SERVED, "--app", "floor"], *get),
            "floor on mockquay's front PUT": ([*SERVED, "--app", "floor"], *put),
            "mockquay GET": (SERVED, *get),
            "mockquay PUT": (SERVED, *put),
            "mockquay PUT, no journal": ([*SERVED, "--journal-size", "0"], *put),
            "mockquay PUT, worker off": ([*SERVED, "--worker", "off"], *put),
            "mockquay PUT, --data": ([*SERVED, *data], *put),
        }
        costs = alternate_costs(sides)
    in_process = in_process_costs()
    us = {name: cost * 1e6 for name, cost in costs.items()}
    rows = [
        ("the floor's PUT over its GET", us["floor PUT"] - us["floor GET"]),
        (
            "mockquay's front over cheroot's, a GET",
            us["floor on mockquay's front GET"] - us["floor GET"],
        ),
        (
            "mockquay's front over cheroot's, a PUT (its body gathered before a worker takes it)",
            us["floor on mockquay's front PUT"] - us["floor PUT"],
        ),
        ("the journal recording a PUT", us["mockquay PUT"] - us["mockquay PUT, no journal"]),
        ("--data: the change log line of a PUT", us["mockquay PUT, --data"] - us["mockquay PUT"]),
        (
            "the sync worker's thread, woken by the PUT's commit (real clock)",
            us["mockquay PUT"] - us["mockquay PUT, worker off"],
        ),
        ("mockquay's PUT over its GET, over HTTP", us["mockquay PUT"] - us["mockquay GET"]),
        ("mockquay's PUT over its GET, in process", (in_process["PUT"] - in_process["GET"]) * 1e6),
        ("the store lock held by a PUT (in process)", in_process["lock PUT"] * 1e6),
        ("the store lock held by a GET (in process)", in_process["lock GET"] * 1e6),
    ]
    for name, value in rows:
        print(f"    {name}: {value:.0f} us of CPU", flush=True)
    extra = rows[6][1] - rows[7][1]
    report(
        "PUT over HTTP: its extra cost beyond the in-process PUT's (over the GET's)",
        f"{extra:.0f} us of CPU (PUT {us['mockquay PUT']:.0f}, GET {us['mockquay GET']:.0f} us)",
        "<= 100 us",
        extra <= 100,
    )


def in_process_costs() -> dict[str, float]:
    """CPU seconds of an in-process GET and PUT of the mirror through the WSGI app, and how
    long each holds the store lock."""
    from mockquay.app import create_app
    from mockquay.extension import emulator_of
    from mockquay.settings import Settings

    app = create_app(Settings(worker="off"))
    store = emulator_of(app).store
    held: list[float] = []
    real_lock = store._lock

    class TimedLock:
        depth = 0

        def __enter__(self):
            real_lock.acquire()
            self.depth += 1
            if self.depth == 1:
                self.since = time.thread_time()

        def __exit__(self, *exc_info):
            self.depth -= 1
            if not self.depth:
                held.append(time.thread_time() - self.since)
            real_lock.release()

    results = {}
    for method, body in (("GET", b""), ("PUT", PUT_BODY)):
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": MIRROR_PATH, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
            "HTTP_HOST": "127.0.0.1", "HTTP_AUTHORIZATION": ADMIN["Authorization"],
            "REMOTE_ADDR": "127.0.0.1", "wsgi.errors": sys.stderr,
        }  # fmt: skip
        if body:
            environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))

        def once(environ: dict = environ, body: bytes = body) -> None:
            answer = app({**environ, "wsgi.input": io.BytesIO(body)}, lambda *_: None)
            b"".join(answer)

        for _ in range(200):
            once()
        samples = []
        for _ in range(ROUNDS):
            started = time.thread_time()
            for _ in range(300):
                once()
            samples.append((time.thread_time() - started) / 300)
        results[method] = statistics.median(samples)
        store._lock = TimedLock()  # type: ignore[assignment]
        held.clear()
        for _ in range(300):
            once()
        store._lock = real_lock
        results[f"lock {method}"] = statistics.median(held)
    return results


def bench_growth() -> None:
    """GET latency (one client, alternating rounds) with costs that grow: 10,000 mirrors and 100
    fault rules, 1,000 idle keep-alive connections, the journal at its cap."""
    grown = [*SERVED, "--mirrors", "10000", "--faults", "100"]
    variants = {
        "10,000 mirrors and 100 fault rules": (grown, 0),
        "1,000 idle keep-alive connections": ([*SERVED, "--mirrors", "10"], 1000),
        "the journal at its cap (10,000 entries)": (
            [*SERVED, "--mirrors", "10", "--fill-journal"],
            0,
        ),
    }
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    for name, (command, idle) in variants.items():
        with (
            server_process([*SERVED, "--mirrors", "10"]) as (base, _),
            server_process(command) as (grown, _),
        ):
            connections = keep_alive_idle(grown, idle)
            try:
                small, large = alternate_latency(base, grown)
            finally:
                for connection in connections:
                    connection.close()
        report(
            f"GET mirror latency, {name} / none",
            f"{large * 1e6:.0f} vs {small * 1e6:.0f} us = {large / small:.2f}x",
            "<= 1.2x",
            large / small <= 1.2,
        )


def keep_alive_idle(url: str, count: int) -> list[http.client.HTTPConnection]:
    """``count`` connections that each made one request and wait, kept alive, doing nothing."""
    parts = urlsplit(url)
    connections = []
    for _ in range(count):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.request("GET", "/bench/bare")
        connection.getresponse().read()
        connections.append(connection)
    return connections


def bench_fronts() -> None:
    """mockquay's app on its own HTTP front (a selector front over cheroot) and on waitress,
    against the floor in one run; and each front's GET latency with 1,000 idle connections."""
    try:
        import waitress  # noqa: F401
    except ImportError:
        report("HTTP fronts", "waitress is not installed (pip install waitress)", "-", True)
        return
    fronts = {"mockquay's front": SERVED, "waitress": [*SERVED, "--front", "waitress"]}
    floor_rows(fronts)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    for name, command in fronts.items():
        with server_process(command) as (quiet, _), server_process(command) as (busy, _):
            connections = keep_alive_idle(busy, 1000)
            try:
                times = alternate_latency(quiet, busy)
            finally:
                for connection in connections:
                    connection.close()
        report(
            f"GET mirror latency on {name}, 1,000 idle keep-alive connections / none",
            f"{times[1] * 1e6:.0f} vs {times[0] * 1e6:.0f} us = {times[1] / times[0]:.2f}x",
            "<= 1.2x",
            times[1] / times[0] <= 1.2,
        )


def alternate_latency(*urls: str) -> list[float]:
    """The median GET latency of each server, over alternating rounds."""
    for url in urls:
        latency(url, count=50)
    times: list[list[float]] = [[] for _ in urls]
    for _ in range(ROUNDS):
        for index, url in enumerate(urls):
            times[index].append(latency(url))
    return [statistics.median(samples) for samples in times]


def bench_worker_idle() -> None:
    """GET mirror with the sync worker idle on the real clock against no worker, side by side."""
    with served("--worker", "auto") as auto, served("--worker", "off") as off:
        rates = alternate(
            auto,
            {
                "auto": lambda: requests_per_second(auto, MIRROR_PATH, ADMIN, ROUND_SECONDS),
                "off": lambda: requests_per_second(off, MIRROR_PATH, ADMIN, ROUND_SECONDS),
            },
        )
    ratio = rates["auto"] / rates["off"]
    report(
        "GET mirror, worker auto (idle, real clock) / worker off",
        f"{rates['auto']:.0f} vs {rates['off']:.0f} req/s = {ratio:.2f}",
        ">= 0.95",
        ratio >= 0.95,
    )


def bench_profiles() -> None:
    """GET mirror under profile 3.8 and latest, switched on one server between rounds."""
    with served() as url:

        def under(profile: str) -> float:
            status, _ = request(
                url, "POST", "/__mockquay__/seed", {"settings": {"profile": profile}}
            )
            assert status == 200, status
            return requests_per_second(url, MIRROR_PATH, ADMIN, ROUND_SECONDS)

        rates = alternate(url, {"3.8": lambda: under("3.8"), "latest": lambda: under("latest")})
    ratio = rates["3.8"] / rates["latest"]
    report(
        "GET mirror under 3.8 / under latest",
        f"{rates['3.8']:.0f} vs {rates['latest']:.0f} req/s = {ratio:.3f}",
        "within 5%",
        abs(1 - ratio) <= 0.05,
    )


def other_fault_rules(count: int) -> list[dict]:
    """``count`` fault rules that match no GET of ``acme/etcd``'s mirror."""
    return [
        {"id": f"other-{n}", "match": {"operation": "syncNow", "repository": f"acme/repo{n}"},
         "status": 503}
        for n in range(count)
    ]  # fmt: skip


def bench_faults() -> None:
    """GET mirror with 100 non-matching fault rules installed against none."""
    rules = other_fault_rules(100)
    with served() as url:
        status, _ = request(url, "GET", "/__mockquay__/faults")
        if status != 200:
            report(
                "GET mirror with 100 non-matching faults / none", "no fault API", ">= 0.90", False
            )
            return

        def with_rules(install: bool) -> float:
            request(url, "DELETE", "/__mockquay__/faults")
            if install:
                for rule in rules:
                    status, body = request(url, "POST", "/__mockquay__/faults", rule)
                    assert status in (200, 201), (status, body)
            return requests_per_second(url, MIRROR_PATH, ADMIN, ROUND_SECONDS)

        rates = alternate(
            url, {"rules": lambda: with_rules(True), "none": lambda: with_rules(False)}
        )
    ratio = rates["rules"] / rates["none"]
    report(
        "GET mirror with 100 non-matching faults / none",
        f"{rates['rules']:.0f} vs {rates['none']:.0f} req/s = {ratio:.2f}",
        ">= 0.90",
        ratio >= 0.9,
    )


def put_latency(url: str, count: int) -> float:
    """Median seconds of ``count`` PUTs of the mirror, one after another on one connection."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    headers = {**ADMIN, "Content-Type": "application/json"}
    samples = []
    for n in range(count):
        body = json.dumps({"sync_interval": 100 + n})
        started = time.perf_counter()
        connection.request("PUT", MIRROR_PATH, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        samples.append(time.perf_counter() - started)
        assert response.status == 201, response.status
    connection.close()
    return statistics.median(samples)


def bench_durability() -> None:
    """PUT mirror over HTTP with ``--data`` (change log) against in memory."""
    with tempfile.TemporaryDirectory() as folder:
        data = str(Path(folder) / "state.json")
        with served("--data", data) as on_file, served() as in_memory:
            times = alternate(
                on_file,
                {
                    "data": lambda: put_latency(on_file, 300),
                    "memory": lambda: put_latency(in_memory, 300),
                },
            )
    ratio = times["data"] / times["memory"]
    report(
        "PUT mirror with --data / in memory",
        f"{times['data'] * 1e6:.0f} vs {times['memory'] * 1e6:.0f} us = {ratio:.2f}x",
        "<= 1.10x",
        ratio <= 1.1,
    )


def time_to_ready(*arguments: str) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", "--quiet", *arguments],
        stdout=subprocess.PIPE,
        text=True,
        env=CHILD_ENV,
    )
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()
    assert json.loads(line)["event"] == "ready", line
    return elapsed


def bench_startup() -> None:
    """Process start to ready line: bundled fixtures, and 1,000 repositories with mirrors."""
    default = statistics.median(time_to_ready() for _ in range(5))
    report(
        "start to ready, default fixtures", f"{default * 1000:.0f} ms", "< 500 ms", default < 0.5
    )
    with tempfile.TemporaryDirectory() as folder:
        for suffix in ("json", "yaml"):
            path = Path(folder) / f"thousand.{suffix}"
            document = fixture_with_mirrors(1000)
            if suffix == "json":
                path.write_text(json.dumps(document))
            else:
                import yaml

                path.write_text(yaml.safe_dump(document))
            big = statistics.median(time_to_ready("--fixtures", str(path)) for _ in range(3))
            report(
                f"start to ready, 1,000 repositories and mirrors ({suffix})",
                f"{big * 1000:.0f} ms",
                "< 1000 ms",
                big < 1.0,
            )


def in_process_app(mirrors: int):
    from mockquay.app import create_app
    from mockquay.extension import emulator_of
    from mockquay.settings import Settings

    app = create_app(Settings(default_fixtures=False))
    emulator_of(app).replace(fixture_with_mirrors(mirrors))
    return app


def per_request_seconds(client, method: str, path: str, count: int, body=None) -> float:
    samples = []
    for n in range(count):
        payload = None if body is None else body(n)
        started = time.perf_counter()
        response = client.open(path, method=method, json=payload, headers=ADMIN)
        samples.append(time.perf_counter() - started)
        assert response.status_code in (200, 201), response.status_code
    return statistics.median(samples)


def bench_scale() -> None:
    """GET and PUT mirror with 10,000 mirrors stored against 10 stored (in-process)."""
    clients = {size: in_process_app(size).test_client() for size in (10, 10_000)}
    for method, body in (("GET", None), ("PUT", lambda n: {"sync_interval": 100 + n})):
        times = {}
        for _ in range(3):
            for size, client in clients.items():
                times.setdefault(size, []).append(
                    per_request_seconds(client, method, MIRROR_PATH, 500, body)
                )
        small, large = (statistics.median(times[size]) for size in (10, 10_000))
        report(
            f"{method} mirror, 10,000 mirrors / 10 mirrors",
            f"{large * 1e6:.0f} vs {small * 1e6:.0f} us = {large / small:.2f}x",
            "<= 1.5x",
            large / small <= 1.5,
        )


def bench_reset() -> None:
    """``POST /__mockquay__/reset`` back to the bundled fixtures (in-process)."""
    from mockquay.app import create_app
    from mockquay.settings import Settings

    client = create_app(Settings()).test_client()
    samples = []
    for _ in range(300):
        started = time.perf_counter()
        assert (
            client.post("/__mockquay__/reset", headers={"X-Mockquay-Client": "bench"}).status_code
            == 200
        )
        samples.append(time.perf_counter() - started)
    median = statistics.median(samples)
    report("reset to the default fixtures", f"{median * 1000:.2f} ms", "< 5 ms", median < 0.005)


CREATE_APP_PROBE = """
import json, statistics, time
from mockquay.app import create_app
from mockquay.settings import Settings

def seconds():
    started = time.perf_counter()
    create_app(Settings(profile="3.15", worker="off"))
    return time.perf_counter() - started

first = seconds()
print(json.dumps([first, statistics.median(seconds() for _ in range(50))]))
"""


def bench_create_app() -> None:
    """``create_app`` in a fresh process: the first app, then another for the same profile."""
    output = subprocess.run(
        [sys.executable, "-c", CREATE_APP_PROBE], capture_output=True, text=True, check=True
    ).stdout
    first, again = json.loads(output)
    report(
        "create_app, another app for the same profile",
        f"{again * 1000:.2f} ms (the first: {first * 1000:.0f} ms, {first / again:.0f}x)",
        "< 5 ms",
        again < 0.005,
    )


MEMORY_PROBE = """
import sys
sys.path.insert(0, {here!r})
from run import in_process_app
app = in_process_app({count})
client = app.test_client()
assert client.get("/api/v1/repository/acme/etcd/mirror",
                  headers={{"Authorization": "Bearer admin-token"}}).status_code == 200
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) // 1024)
"""


def bench_memory() -> None:
    """Resident memory of a process holding 10,000 mirrors."""
    sizes = {}
    for count in (10, 10_000):
        output = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE.format(here=str(HERE), count=count)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        sizes[count] = int(output.strip())
    report(
        "resident memory with 10,000 mirrors",
        f"{sizes[10_000]} MB (10 mirrors: {sizes[10]} MB)",
        "< 150 MB",
        sizes[10_000] < 150,
    )


def bench_plugin() -> None:
    """The pytest plugin: per-test reset of the ``mockquay`` fixture, and its server's start."""
    from mockquay.testing import MockQuay

    starts = []
    for _ in range(5):
        started = time.perf_counter()
        server = MockQuay().start()
        starts.append(time.perf_counter() - started)
        server.stop()
    start = statistics.median(starts)
    report("mockquay_server start (MockQuay().start())", f"{start * 1000:.1f} ms", "< 300 ms",
           start < 0.3)  # fmt: skip
    with MockQuay() as mq:
        session = mq.session()
        samples = []
        for _ in range(300):
            session.post("/api/v1/repository/acme/etcd/mirror/sync-now")
            started = time.perf_counter()
            mq.reset()
            mq.requests(served=False)
            samples.append(time.perf_counter() - started)
    median = statistics.median(samples)
    report(
        "per-test cost of the mockquay fixture (reset, clear, unserved check)",
        f"{median * 1000:.2f} ms",
        "< 2 ms",
        median < 0.002,
    )


def bench_worker() -> None:
    """The sync worker: 1,000 mirrors (sync_interval 3600, 3 tags each), a day in manual mode;
    the cost per sync over 1 vs 30 simulated days and with 100 vs 1,000 mirrors."""
    for profile in ("latest", "3.17"):
        seconds, cpu, synced = advance_mirrors(profile, 1000, "P1D")
        report(
            f"advance 24 h, profile {profile} (every tag copied): 1,000 mirrors, "
            f"sync_interval 3600, 3 tags each: {synced} syncs",
            f"{seconds:.2f} s wall, {cpu:.2f} s CPU",
            "< 5 s",
            seconds < 5 and synced >= 24_000,
        )
    per_sync = {}
    for mirrors, duration in ((100, "P1D"), (100, "P30D"), (1000, "P1D")):
        _, cpu, synced = advance_mirrors("3.17", mirrors, duration)
        per_sync[(mirrors, duration)] = cpu / synced * 1e6
    for name, small, large in (
        ("1 vs 30 simulated days, 100 mirrors", (100, "P1D"), (100, "P30D")),
        ("100 vs 1,000 mirrors, 1 day", (100, "P1D"), (1000, "P1D")),
    ):
        ratio = per_sync[large] / per_sync[small]
        report(
            f"worker CPU per sync (3.17), {name}",
            f"{per_sync[small]:.0f} vs {per_sync[large]:.0f} µs = {ratio:.2f}×",
            "<= 1.3×",
            ratio <= 1.3,
        )


def advance_mirrors(profile: str, mirrors: int, duration: str) -> tuple[float, float, int]:
    """Wall and CPU seconds of one advance of a manual clock by ``duration`` with ``mirrors``
    mirrors (sync_interval 3600, 3 matching tags), and how many syncs ran."""
    from mockquay.app import create_app
    from mockquay.domain.keys import LOG_COUNTERS, LOGS
    from mockquay.extension import emulator_of
    from mockquay.settings import Settings

    document = fixture_with_mirrors(mirrors)
    for entry in document["mirrors"]:
        entry["sync_interval"] = 3600
    document["settings"] = {
        "profile": profile,
        "clock": {"mode": "manual", "start": "2026-01-01T00:00:00Z"},
    }
    document["registries"] = [
        {
            "host": "quay.io",
            "repositories": {
                "coreos/etcd": {"tags": {"v3.5.0": {}, "v3.4.0": {}, "v3.3.0": {}, "v2.0.0": {}}}
            },
        }
    ]
    app = create_app(Settings(clock="manual", default_fixtures=False))
    emulator_of(app).replace(document)
    client = app.test_client()
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.post("/__mockquay__/clock", json={"advance": duration})
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert response.status_code == 200, response.json
    with emulator_of(app).store.transaction() as tx:
        # Each sync writes one success entry; the audit log keeps the newest 1,000 entries
        # of each repository, and its counter counts them all.
        counted = sum(counter["count"] for _, counter in tx.scan(LOG_COUNTERS))
        kept = [entry["kind"] for _, entry in tx.scan(LOGS)]
    synced = kept.count("repo_mirror_sync_success") * counted // len(kept)
    return seconds, cpu, synced


def bench_org_mirror() -> None:
    """Org mirrors: discovery plus every repository's sync of an org with 1,000 source
    repositories (3 tags each) on the manual clock; the cost per repository at 100 vs 1,000."""
    per_repository = {}
    for repositories in (100, 1000):
        cpu, synced = advance_org_mirror(repositories)
        per_repository[repositories] = cpu / synced * 1e6
        if repositories == 1000:
            report(
                "org mirror: discovery + sync of 1,000 repositories, 3 tags each (simulated)",
                f"{cpu:.2f} s CPU, {synced} repositories SUCCESS",
                "< 5 s",
                cpu < 5 and synced == repositories,
            )
    ratio = per_repository[1000] / per_repository[100]
    report(
        "org mirror CPU per repository (discovery + sync), 100 vs 1,000 repositories",
        f"{per_repository[100]:.0f} vs {per_repository[1000]:.0f} µs = {ratio:.2f}×",
        "<= 1.3×",
        ratio <= 1.3,
    )


def advance_org_mirror(repositories: int) -> tuple[float, int]:
    """CPU seconds of one advance of a manual clock through one discovery of an org mirror
    whose source namespace holds ``repositories`` repositories (3 tags of 1 s each) and the
    sync of each; how many ended SUCCESS."""
    from mockquay.app import create_app
    from mockquay.domain.keys import ORG_MIRROR_REPOS
    from mockquay.extension import emulator_of
    from mockquay.settings import Settings

    tags = {"tags": {"v1": {}, "v2": {}, "v3": {}}}
    document = {
        "settings": {
            "features": {"ORG_MIRROR": True},
            "clock": {"mode": "manual", "start": "2026-01-01T00:00:00Z"},
            "worker": {"mode": "auto"},
        },
        "users": [{"username": "admin"}],
        "organizations": [
            {"name": "target", "teams": {"owners": {"role": "admin", "members": ["admin"]}}}
        ],
        "robots": [{"name": "target+mirrorbot"}],
        "registries": [
            {
                "host": "source.example.com",
                "api": "quay",
                "repositories": {f"projectx/repo{n}": tags for n in range(repositories)},
            }
        ],
        "org_mirrors": [
            {
                "organization": "target",
                "external_registry_type": "quay",
                "external_registry_url": "https://source.example.com",
                "external_namespace": "projectx",
                "robot_username": "target+mirrorbot",
                "visibility": "private",
                "sync_interval": 86400,
                "sync_start_date": "2026-01-01T00:00:00Z",
            }
        ],
    }
    app = create_app(Settings(clock="manual", default_fixtures=False))
    emulator_of(app).replace(document)
    # Long enough for every copy (3 s a repository) and no second discovery.
    advance = {"advance": repositories * 3 + 600}
    cpu_started = time.process_time()
    response = app.test_client().post("/__mockquay__/clock", json=advance)
    cpu = time.process_time() - cpu_started
    assert response.status_code == 200, response.json
    with emulator_of(app).store.transaction() as tx:
        statuses = [row["sync_status"] for _, row in tx.scan(ORG_MIRROR_REPOS)]
    return cpu, statuses.count("SUCCESS")


BENCHES = {
    "floor": bench_floor,
    "put_over_http": bench_put_over_http,
    "growth": bench_growth,
    "fronts": bench_fronts,
    "http": bench_http,
    "worker_idle": bench_worker_idle,
    "profiles": bench_profiles,
    "faults": bench_faults,
    "startup": bench_startup,
    "durability": bench_durability,
    "scale": bench_scale,
    "reset": bench_reset,
    "create_app": bench_create_app,
    "memory": bench_memory,
    "plugin": bench_plugin,
    "worker": bench_worker,
    "org_mirror": bench_org_mirror,
}


def main(names: list[str]) -> int:
    for name in names or list(BENCHES):
        print(f"{name}: {BENCHES[name].__doc__.strip()}", flush=True)
        BENCHES[name]()
    missed = [result for result in RESULTS if not result[3]]
    print(f"\n{len(RESULTS) - len(missed)} of {len(RESULTS)} targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
