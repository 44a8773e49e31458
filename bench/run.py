"""mockquay's benchmarks (``make bench``; ``python bench/run.py [NAME...]``).

Speed is compared side by side in one run, never against a fixed number of requests per
second: these machines are noisy. Throughput comparisons alternate short rounds between the
things compared and report the median of each, so drift hits both sides alike.
"""

from __future__ import annotations

import http.client
import json
import os
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


@contextmanager
def server_process(command: list[str]):
    """A server started by ``command`` (which prints a ready line); yields its URL and pid."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
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
    """User and system CPU seconds process ``pid`` has used, all its threads (``/proc``)."""
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def floor_rows(mockquay: list[str], floor: list[str], label: str = "") -> dict[str, float]:
    """GET and PUT of a mirror on ``mockquay`` against the same on ``floor`` (each a command
    starting a server), alternating rounds; reports throughput and CPU per request ratios."""
    with server_process(mockquay) as (mq_url, mq_pid), server_process(floor) as (fl_url, fl_pid):
        for url in (mq_url, fl_url):  # warm-up: imports, caches, the first connections
            load(url, MIRROR_PATH, ADMIN, 0.3)
            load(url, MIRROR_PATH, ADMIN, 0.3, "PUT", PUT_BODY)
        rounds: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(ROUNDS):
            for method, body in (("GET", b""), ("PUT", PUT_BODY)):
                for side, url, pid in (("mockquay", mq_url, mq_pid), ("floor", fl_url, fl_pid)):
                    rounds.setdefault((method, side), []).append(
                        measured_load(url, pid, MIRROR_PATH, ADMIN, method, body)
                    )
    ratios = {}
    for method, goal in (("GET", 0.75), ("PUT", 0.6)):
        rate = {s: statistics.median(r for r, _ in rounds[(method, s)]) for s in SIDES}
        cpu = {s: statistics.median(c for _, c in rounds[(method, s)]) for s in SIDES}
        ratio = rate["mockquay"] / rate["floor"]
        ratios[method] = ratio
        report(
            f"{method} mirror{label} / the floor (bare Flask, cheroot, 32 threads)",
            f"{rate['mockquay']:.0f} vs {rate['floor']:.0f} req/s = {ratio:.2f}; CPU per request "
            f"{cpu['mockquay'] * 1e6:.0f} vs {cpu['floor'] * 1e6:.0f} us = "
            f"{cpu['mockquay'] / cpu['floor']:.2f}x",
            f">= {goal}",
            ratio >= goal,
        )
    return ratios


SIDES = ("mockquay", "floor")


def seconds_to_ready(command: list[str]) -> float:
    """Process start to the ready line of ``command``."""
    started = time.perf_counter()
    with server_process(command):
        return time.perf_counter() - started


def bench_floor() -> None:
    """mockquay against the floor, a bare Flask app on cheroot with 32 threads, in one run:
    GET and PUT of a mirror (median of alternating rounds), and start to ready."""
    floor_rows(MOCKQUAY_SERVE, FLOOR_SERVE)
    ready: dict[str, list[float]] = {"mockquay": [], "floor": []}
    for _ in range(ROUNDS):
        ready["mockquay"].append(seconds_to_ready(MOCKQUAY_SERVE))
        ready["floor"].append(seconds_to_ready(FLOOR_SERVE))
    mq, fl = (statistics.median(ready[side]) for side in SIDES)
    report(
        "start to ready, mockquay serve / the floor",
        f"{mq * 1000:.0f} vs {fl * 1000:.0f} ms = {mq / fl:.2f}x",
        "< 300 ms",
        mq < 0.3,
    )


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


def bench_faults() -> None:
    """GET mirror with 100 non-matching fault rules installed against none."""
    rules = [
        {"id": f"other-{n}", "match": {"operation": "syncNow", "repository": f"acme/repo{n}"},
         "status": 503}
        for n in range(100)
    ]  # fmt: skip
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


BENCHES = {
    "floor": bench_floor,
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
