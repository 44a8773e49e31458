"""The simulated worker read side by side with Quay's (issue 23): dates, a PUT during a run,
each release's log stream, what a copy leaves behind, when the worker does not run."""

from __future__ import annotations

import re

import pytest
from test_sync_worker import (
    DEVTABLE,
    MIRROR,
    advance,
    mirror,
    world,
)

MICROSECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture
def sim(make_client):
    """``sim(**world_arguments)``: a client on :func:`test_sync_worker.world`."""
    return lambda **arguments: make_client(world(**arguments))


def test_worker_dates_carry_microseconds_and_quays_put_refuses_them(sim):
    """data/model/repo_mirror.py (v3.8.0 to v3.18.0): ``claim_mirror`` sets the expiration
    from ``utcnow()`` and ``release_mirror`` the next start as ``now + interval - (delta %
    interval)``, both with ``now``'s microseconds; endpoints/api/mirror.py ``_dt_to_string``
    shows them (``isoformat() + "Z"``) and ``_string_to_dt`` (``%Y-%m-%dT%H:%M:%SZ``) refuses
    them on PUT."""
    client = sim()
    advance(client, 1)
    assert MICROSECONDS.match(mirror(client)["sync_expiration_date"])
    advance(client, 20)
    view = mirror(client)
    assert view["sync_status"] == "SUCCESS"
    assert view["sync_start_date"] == "2026-01-01T01:00:00.378529Z"
    response = client.put(
        MIRROR, json={"sync_start_date": view["sync_start_date"]}, headers=DEVTABLE
    )
    assert response.status_code == 400
    assert response.json["detail"] == "Incorrect DateTime format for sync_start_date."


def test_sub_second_parts_come_from_the_seed(make_client):
    """The same seed gives the same dates on the manual clock; another seed other ones."""
    seen = []
    for seed in (0, 0, 7):
        document = world()
        document["settings"]["seed"] = seed
        client = make_client(document)
        advance(client, 20)
        view = mirror(client)
        seen.append(view["sync_start_date"])
    assert seen[0] == seen[1] != seen[2]
    assert all(MICROSECONDS.match(date) for date in seen)
