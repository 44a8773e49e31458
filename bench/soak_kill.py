"""Acknowledged writes lost to ``kill -9`` (``python bench/soak_kill.py [KILLS]``).

Each round starts ``mockquay serve --data FILE``, lets client threads send writes (PUT a
mirror's ``sync_interval``, one higher each time; POST a new repository), kills the server
with SIGKILL right after a random acknowledged write (between the 50th and the 1,000th),
restarts it on the same file and counts the writes that were answered with success before the
kill but are missing after the restart.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ADMIN, fixture_with_mirrors  # noqa: E402

PUTTERS = 3
POSTERS = 1


def start(data: Path, fixtures: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mockquay.cli", "serve", "--port", "0", "--data", str(data),
         "--fixtures", str(fixtures)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    return process, json.loads(process.stdout.readline())["url"]


def mirror_path(slot: int) -> str:
    name = "etcd" if slot == 0 else f"repo{slot - 1}"
    return f"/api/v1/repository/acme/{name}/mirror"


def send(client: http.client.HTTPConnection, method: str, path: str, body: dict) -> int | None:
    """The status of one JSON request as the admin, or None once the server is gone."""
    try:
        client.request(
            method, path, json.dumps(body), {**ADMIN, "Content-Type": "application/json"}
        )
        response = client.getresponse()
        response.read()
    except (OSError, http.client.HTTPException):
        return None
    return response.status


def one_round(data: Path, fixtures: Path, round_number: int) -> tuple[int, int]:
    """One start, write, kill -9, restart; ``(acknowledged writes, acknowledged writes lost)``."""
    process, url = start(data, fixtures)
    port = int(url.rsplit(":", 1)[1])
    stop = threading.Event()
    acknowledged_interval = [0] * PUTTERS
    created: list[str] = []
    acknowledged = [0]
    kill_after = random.randint(50, 1000)

    def connection() -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def putter(slot: int) -> None:
        client = connection()
        interval = 100_000 * (round_number + 1)
        while not stop.is_set():
            interval += 1
            status = send(client, "PUT", mirror_path(slot), {"sync_interval": interval})
            if status is None:
                return
            if status == 201:
                acknowledged_interval[slot] = interval
                acknowledged[0] += 1
                if slot == 0 and acknowledged[0] >= kill_after:
                    # Right after an answer: the write it acknowledged has the least time to
                    # reach the file.
                    process.send_signal(signal.SIGKILL)

    def poster(slot: int) -> None:
        client = connection()
        number = 0
        while not stop.is_set():
            number += 1
            name = f"soak{round_number}x{slot}x{number}"
            body = {"namespace": "acme", "repository": name, "visibility": "private",
                    "description": ""}  # fmt: skip
            status = send(client, "POST", "/api/v1/repository", body)
            if status is None:
                return
            if status == 201:
                created.append(name)
                acknowledged[0] += 1

    threads = [threading.Thread(target=putter, args=(n,)) for n in range(PUTTERS)]
    threads += [threading.Thread(target=poster, args=(n,)) for n in range(POSTERS)]
    for thread in threads:
        thread.start()
    process.wait()
    stop.set()
    for thread in threads:
        thread.join()
    process.stdout.close()

    process, url = start(data, fixtures)
    client = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=10)
    lost = 0
    for slot in range(PUTTERS):
        client.request("GET", mirror_path(slot), headers=ADMIN)
        stored = json.loads(client.getresponse().read())["sync_interval"]
        if acknowledged_interval[slot]:
            # Each PUT sets the next number, so a stored value below the acknowledged one
            # means that many acknowledged PUTs are missing.
            lost += max(0, acknowledged_interval[slot] - stored)
    for name in created:
        client.request("GET", f"/api/v1/repository/acme/{name}", headers=ADMIN)
        response = client.getresponse()
        response.read()
        lost += response.status != 200
    process.terminate()
    process.wait(timeout=10)
    process.stdout.close()
    return acknowledged[0], lost


def main() -> int:
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as folder:
        fixtures = Path(folder) / "fixtures.json"
        document = fixture_with_mirrors(PUTTERS)
        document["tokens"][0]["scopes"] = ["repo:admin", "repo:create"]
        fixtures.write_text(json.dumps(document))
        data = Path(folder) / "state.json"
        total_acknowledged = total_lost = 0
        for round_number in range(kills):
            acknowledged, lost = one_round(data, fixtures, round_number)
            total_acknowledged += acknowledged
            total_lost += lost
            print(f"kill {round_number + 1}: {acknowledged} acknowledged, {lost} lost", flush=True)
        leftovers = [name for name in os.listdir(folder) if name.endswith(".tmp")]
    print(
        f"{kills} kills: {total_acknowledged} acknowledged writes, {total_lost} lost; "
        f"temporary files left: {len(leftovers)}"
    )
    return 1 if total_lost else 0


if __name__ == "__main__":
    sys.exit(main())
