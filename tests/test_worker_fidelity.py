"""The simulated worker read side by side with Quay's (issue 23): dates, a PUT during a run,
each release's log stream, what a copy leaves behind, when the worker does not run."""

from __future__ import annotations

import copy
import re

import pytest
from test_sync_worker import (
    ARCH_TAGS,
    CLIENT,
    DEVTABLE,
    ETCD,
    LOGS,
    MIRROR,
    PATTERN,
    RUN,
    START,
    TAGS,
    advance,
    log_entries,
    mirror,
    tag_names,
    tag_success,
    world,
)

from mockquay.profiles import PROFILES

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
    assert view["sync_start_date"] == "2026-01-01T01:00:00.233353Z"
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


def put(client, **fields):
    response = client.put(MIRROR, json=fields, headers=DEVTABLE)
    assert response.status_code == 201, response.json


ALL_TAGS = "v3.3.0, v3.4.0, v3.5.0"
PARTIAL = "v3.3.0, v3.4.0(FAILED), v3.5.0"


@pytest.mark.parametrize(
    "change",
    [
        {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.5*"]}},
        {"robot_username": "devtable+newmirrorbot"},
    ],
    ids=["root_rule", "robot_username"],
)
def test_a_put_of_the_rule_or_robot_during_a_run_lets_it_release(sim, change):
    """data/model/repo_mirror.py (v3.8.0 to v3.18.0): ``change_rule`` updates the rule's own
    row and ``set_mirroring_robot`` calls ``mirror.save()``; neither rolls
    ``sync_transaction_id``, so ``release_mirror`` still matches. The run keeps the rule it
    cached at its first use (workers/repomirrorworker/__init__.py ``perform_mirror``)."""
    client = sim()
    advance(client, 3)
    put(client, **change)
    advance(client, 20)
    view = mirror(client)
    assert (view["sync_status"], view["sync_expiration_date"]) == ("SUCCESS", None)
    assert log_entries(client)[-1] == ("repo_mirror_sync_success", PATTERN, ALL_TAGS)


def test_a_put_of_the_source_during_a_run_changes_nothing_the_run_copies(sim):
    """``perform_mirror`` copies from the row ``claim_mirror`` returned; a PUT of
    ``external_reference`` (``change_remote``, ``update_with_transaction``) rolls the
    transaction id, so the run's release does not land and the mirror stays SYNCING."""
    client = sim()
    advance(client, 3)
    put(client, external_reference="quay.io/coreos/nowhere")
    advance(client, 20)
    assert mirror(client)["sync_status"] == "SYNCING"
    assert log_entries(client)[1:] == [
        tag_success("v3.3.0"),
        tag_success("v3.4.0"),
        tag_success("v3.5.0"),
        ("repo_mirror_sync_success", PATTERN, ALL_TAGS),
    ]
    assert [name for name, _ in tag_names(client)] == ["v3.5.0", "v3.4.0", "v3.3.0"]


#: The profiles whose ``perform_mirror`` ends with ``if CANCEL ... else success`` after the FAIL
#: block: 3.15.0 to 3.17.1 (workers/repomirrorworker/__init__.py at v3.15.0, v3.16.0, v3.17.0,
#: v3.17.1); v3.17.2 made the three endings one ``if``/``elif`` chain.
BOTH_ENDINGS = {"3.15", "3.17", "3.17.1"}


@pytest.mark.parametrize("profile", list(PROFILES))
def test_a_failed_run_ends_with_each_releases_log_entries(sim, profile):
    """workers/repomirrorworker/__init__.py ``perform_mirror``'s ``finally``: 3.15.0-3.17.1
    write the failure and then a ``repo_mirror_sync_success`` of every tag; the mirror is
    released FAIL all the same."""
    registry = copy.deepcopy(ETCD)
    registry["repositories"]["coreos/etcd"]["tags"]["v3.4.0"]["fail"] = "manifest unknown"
    client = sim(registries=[registry], profile=profile)
    advance(client, 20)
    assert mirror(client)["sync_status"] == "FAIL"
    ending = [("repo_mirror_sync_failed", f"{PATTERN}: PARTIAL SYNC", PARTIAL)]
    if profile in BOTH_ENDINGS:
        ending.append(("repo_mirror_sync_success", PATTERN, ALL_TAGS))
    assert log_entries(client)[4:] == ending


@pytest.mark.parametrize(
    ("profile", "shown"),
    [
        ("3.15", (None, "Not applicable", "Not applicable")),
        ("3.17", (None, "Not applicable", "Not applicable")),
        ("3.17.1", (None, "Not applicable", "Not applicable")),
        ("3.17.2", (ALL_TAGS, None, None)),
        ("latest", (ALL_TAGS, None, None)),
    ],
)
def test_the_cancel_entry_of_each_release(sim, profile, shown):
    """``perform_mirror``'s cancel entry: ``emit_log(..., "Cancelled", ...)`` with stdout and
    stderr ``Not applicable`` and no ``tags`` before v3.17.2, with ``tags`` and no output
    from v3.17.2 on; no success entry follows in either."""
    client = sim(profile=profile)
    advance(client, 3)
    assert client.post(f"{MIRROR}/sync-cancel", headers=DEVTABLE).status_code == 204
    advance(client, 20)
    entries = client.get(LOGS, headers=DEVTABLE).json["logs"]
    cancelled = entries[0]["metadata"]
    assert (entries[0]["kind"], cancelled["verb"]) == ("repo_mirror_sync_failed", "Cancelled")
    assert (cancelled["tags"], cancelled["stdout"], cancelled["stderr"]) == shown
    assert mirror(client)["sync_status"] == "CANCEL"


def test_each_copy_logs_push_repo_by_the_mirror_robot_before_its_tag_success(sim):
    """skopeo pushes each copied tag's manifest through Quay's ``/v2`` as the mirror robot:
    endpoints/v2/manifest.py ``_write_manifest_and_log`` calls ``track_and_log("push_repo",
    repository_ref, tag=..., mediaType=...)`` (util/audit.py; ``RobotEntityHandler`` adds
    ``username`` and ``is_robot``), before ``perform_mirror`` logs the tag's success."""
    client = sim()
    advance(client, 20)
    logs = client.get(LOGS, headers=DEVTABLE).json["logs"][::-1]
    assert [entry["kind"] for entry in logs if entry["kind"] != "repo_mirror_config_changed"] == [
        "repo_mirror_sync_started",
        *["push_repo", "repo_mirror_sync_tag_success"] * 3,
        "repo_mirror_sync_success",
    ]
    pushes = [entry for entry in logs if entry["kind"] == "push_repo"]
    assert [entry["metadata"]["tag"] for entry in pushes] == ["v3.3.0", "v3.4.0", "v3.5.0"]
    assert pushes[2]["metadata"]["mediaType"] == (
        "application/vnd.docker.distribution.manifest.list.v2+json"
    )
    push = pushes[0]
    assert {key: push[key] for key in ("ip", "performer")} == {
        "ip": "127.0.0.1",
        "performer": {
            "kind": "user",
            "name": "devtable+dtrobot",
            "is_robot": True,
            "avatar": push["performer"]["avatar"],
        },
    }
    assert push["performer"]["avatar"]["kind"] == "robot"
    assert push["metadata"] == {
        "repo": "simple",
        "namespace": "devtable",
        "user-agent": "containers/5.32.2 (github.com/containers/image)",
        "tag": "v3.3.0",
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "username": "devtable+dtrobot",
        "is_robot": True,
        "resolved_ip": push["metadata"]["resolved_ip"],
    }
    assert push["datetime"] == logs[2]["datetime"]


@pytest.mark.parametrize(
    "settings",
    [{"registry_state": "readonly"}, {"features": {"REPO_MIRROR": False}}],
    ids=["readonly", "REPO_MIRROR-off"],
)
def test_the_worker_does_not_run_on_a_read_only_registry_or_without_the_feature(
    make_client, settings
):
    """workers/worker.py ``Worker.start`` (v3.8.0 to v3.18.0) skips the worker's startup when
    ``REGISTRY_STATE`` is ``readonly``; workers/repomirrorworker/__init__.py
    ``process_mirrors`` returns at once when ``FEATURE_REPO_MIRROR`` is off."""
    document = world()
    for key, value in settings.items():
        if isinstance(value, dict):
            document["settings"].setdefault(key, {}).update(value)
        else:
            document["settings"][key] = value
    client = make_client(document)
    advance(client, "P1D")
    assert client.post("/__mockquay__/worker/run", headers=CLIENT).json == {
        "claimed": [],
        "finished": [],
    }
    state = client.get("/__mockquay__/state").json
    assert state["mirrors"][0]["sync_status"] == "NEVER_RUN"
    assert state["mirrors"][0]["sync_start_date"] == START
    assert tag_names(client) == []


def test_a_failed_listing_logs_the_exceptions_args_tuple(sim):
    """workers/repomirrorworker/__init__.py (v3.8.0 to v3.18.0): ``get_all_tags`` raises
    ``RepoMirrorSkopeoException("skopeo list-tags failed: See output", stdout, stderr)``, whose
    ``__init__`` does not call ``Exception.__init__``, so ``str(e)`` in ``perform_mirror``'s
    message is the args tuple."""
    client = sim(registries=[{**copy.deepcopy(ETCD), "tls": "unreachable"}])
    advance(client, 1)
    failed = client.get(LOGS, headers=DEVTABLE).json["logs"][0]["metadata"]
    assert failed["message"] == (
        "'quay.io/coreos/etcd' with tag pattern 'v3.*': ('skopeo list-tags failed: See output', "
        "'', 'time=\"2026-01-01T00:00:00Z\" level=fatal msg=\"Error listing repository tags: "
        'pinging container registry quay.io: Get \\\\"https://quay.io/v2/\\\\": dial tcp '
        "quay.io:443: connect: connection refused\"\\n')"
    )


@pytest.mark.parametrize("profile", list(PROFILES))
def test_tags_show_immutable_from_3_17_and_a_manifest_list_has_no_size(sim, profile):
    """endpoints/api/tag.py ``_tag_dict``: 3.17.0 added ``immutable`` (false unless the tag is
    immutable); ``size`` is ``tag.manifest_layers_size``, which a manifest list does not have
    (data/model/oci/tag.py, ``layers_compressed_size`` None), in every release, and so is
    getRepo's (endpoints/api/repository.py)."""
    client = sim(profile=profile)
    advance(client, 20)
    listed = client.get(TAGS, headers=DEVTABLE).json["tags"]
    assert {tag["name"]: tag["size"] is None for tag in listed} == {
        "v3.5.0": True,
        "v3.4.0": False,
        "v3.3.0": False,
    }
    immutable = {tag.get("immutable", "absent") for tag in listed}
    assert immutable == ({False} if PROFILES[profile].tag_immutable else {"absent"})
    repo = client.get("/api/v1/repository/devtable/simple", headers=DEVTABLE).json
    assert repo["tags"]["v3.5.0"]["size"] is None


def test_an_architecture_filter_skip_takes_no_time(make_client):
    """workers/repomirrorworker/__init__.py ``copy_filtered_architectures`` (3.17.0 on) skips a
    single-architecture image outside the filter without a copy: its success is logged at
    once."""
    document = world(registries=[ARCH_TAGS], architecture_filter=["arm64"])
    document["settings"]["features"]["SPARSE_INDEX"] = True
    client = make_client(document)
    advance(client, 20)
    logs = client.get(LOGS, headers=DEVTABLE).json["logs"][::-1]
    started = [e for e in logs if e["kind"] == "repo_mirror_sync_started"][0]
    skipped = [e for e in logs if e["metadata"].get("tag") == "v3.4.0"]
    assert [(e["kind"], e["datetime"]) for e in skipped] == [
        ("repo_mirror_sync_tag_success", started["datetime"])
    ]


@pytest.mark.parametrize(("profile", "killed"), [("3.12", 1), ("3.15", 0)])
def test_a_copy_times_out_after_300_s_before_3_15_and_the_mirrors_timeout_after(
    sim, profile, killed
):
    """util/repomirror/skopeomirror.py: before 3.15 ``run_skopeo`` kills every call after 300 s;
    from v3.15.0 ``perform_mirror`` passes the mirror's ``skopeo_timeout`` to list-tags and
    copy."""
    registry = copy.deepcopy(ETCD)
    registry["repositories"]["coreos/etcd"]["tags"] = {"v3.0": {"copy_seconds": 400}}
    client = sim(registries=[registry], profile=profile, skopeo_timeout_interval=600)
    # The 400 s copy is killed at 300 s before 3.15; from 3.15 it is still running at 310 s.
    advance(client, 310)
    kinds = [kind for kind, _, _ in log_entries(client)]
    assert kinds.count("repo_mirror_sync_tag_failed") == killed


def two_mirrors(make_client, **other_fields):
    """devtable/simple and devtable/other, both due at the first poll."""
    document = world()
    document["repositories"].append({"name": "devtable/other"})
    document["mirrors"].append(
        {**document["mirrors"][0], "repository": "devtable/other", **other_fields}
    )
    return make_client(document)


def status_of(client, repository):
    url = f"/api/v1/repository/{repository}/mirror"
    return client.get(url, headers=DEVTABLE).json["sync_status"]


REPOSITORIES = ("devtable/simple", "devtable/other")


def test_a_queued_mirror_whose_repository_left_mirror_still_syncs(make_client):
    """data/model/repo_mirror.py ``claim_mirror`` re-checks only the status, the expiration
    and the transaction id, not the repository's state, which ``get_eligible_mirrors``
    checked when the poll listed the mirror."""
    client = two_mirrors(make_client)
    advance(client, 3)
    [queued] = [name for name in REPOSITORIES if status_of(client, name) == "NEVER_RUN"]
    response = client.put(
        f"/api/v1/repository/{queued}/changestate", json={"state": "NORMAL"}, headers=DEVTABLE
    )
    assert response.status_code == 200, response.json
    advance(client, 25)
    assert [status_of(client, name) for name in REPOSITORIES] == ["SUCCESS", "SUCCESS"]


def test_sync_interval_zero_abandons_the_rest_of_the_poll(make_client):
    """``release_mirror`` divides by ``sync_interval``: its ZeroDivisionError leaves the row
    SYNCING and makes ``process_mirrors`` (workers/repomirrorworker/__init__.py) return, so
    the mirrors left in that poll wait for the next one."""
    document = world(sync_interval=0)
    document["repositories"].append({"name": "devtable/other"})
    document["mirrors"].append({**document["mirrors"][0], "repository": "devtable/other"})
    client = make_client(document)
    advance(client, 20)
    assert sorted(status_of(client, name) for name in REPOSITORIES) == ["NEVER_RUN", "SYNCING"]
    advance(client, 30)
    assert [status_of(client, name) for name in REPOSITORIES] == ["SYNCING", "SYNCING"]


def test_tag_patterns_match_case_sensitively_on_every_host(sim, monkeypatch):
    """``tags_to_mirror`` uses ``fnmatch.fnmatch``, case-sensitive on Quay's Linux hosts; the
    simulation matches so whatever ``os.path.normcase`` does where mockquay runs."""
    monkeypatch.setattr("fnmatch.os.path.normcase", str.lower)
    registry = copy.deepcopy(ETCD)
    registry["repositories"]["coreos/etcd"]["tags"] = {"V3.0": {}, "v3.1": {}}
    client = sim(registries=[registry])
    advance(client, 20)
    assert log_entries(client)[-1] == ("repo_mirror_sync_success", PATTERN, "v3.1")


def test_the_order_within_one_poll_is_random_blocks_seeded(make_client):
    """util/migrate/allocator.py ``yield_random_entries`` (``repositories_to_mirror``) hands
    out the eligible mirrors in random blocks of ids, not by ``sync_start_date``: mockquay
    claims them in an order drawn from the seed and the poll's time."""
    orders = []
    for seed in (0, 0, 1, 2, 3):
        document = world(worker="manual")
        document["settings"]["seed"] = seed
        for number in range(5):
            document["repositories"].append({"name": f"devtable/repo{number}"})
            document["mirrors"].append(
                {
                    **document["mirrors"][0],
                    "repository": f"devtable/repo{number}",
                    "sync_start_date": f"2025-12-0{number + 1}T00:00:00Z",
                }
            )
        client = make_client(document)
        orders.append(tuple(client.post(RUN, headers=CLIENT).json["claimed"]))
    assert orders[0] == orders[1]
    assert len(set(orders)) > 2
    assert all(sorted(order) == sorted(orders[0]) for order in orders)


def failing_v3_4(document):
    """``document`` whose upstream fails the copy of v3.4.0, with REPO_MIRROR_ROLLBACK on."""
    registry = document["registries"][0]["repositories"]["coreos/etcd"]["tags"]["v3.4.0"]
    registry["fail"] = "manifest unknown"
    document["settings"]["repo_mirror_rollback"] = True
    return document


def test_repo_mirror_rollback_undoes_a_failed_runs_new_tags(make_client):
    """workers/repomirrorworker/__init__.py ``perform_mirror`` (v3.8.0 to v3.18.0): with
    ``REPO_MIRROR_ROLLBACK`` a failed run logs no PARTIAL SYNC and ``rollback(mirror, now_ms)``
    deletes the tags it created."""
    client = make_client(failing_v3_4(world()))
    advance(client, 20)
    assert mirror(client)["sync_status"] == "FAIL"
    assert log_entries(client)[-1] == ("repo_mirror_sync_failed", PATTERN, "")
    assert sorted(tag_names(client)) == [("v3.3.0", True), ("v3.5.0", True)]
    assert tag_names(client, onlyActiveTags="true") == []


def test_repo_mirror_rollback_points_a_moved_tag_back_as_a_reversion(make_client):
    """``rollback``: a row that ended during the run (the tag moved) is retargeted to its
    manifest with ``is_reversion=True`` (data/model/oci/tag.py ``retarget_tag``)."""
    document = world()
    client = make_client(document)
    advance(client, 20)
    before = {tag["name"]: tag["manifest_digest"] for tag in tags_listed(client)}
    moved = copy.deepcopy(document["registries"][0])
    moved["repositories"]["coreos/etcd"]["tags"]["v3.3.0"]["digest"] = "sha256:" + "a" * 64
    client.post(
        "/__mockquay__/seed",
        json=failing_v3_4({"settings": {}, "registries": [moved]}),
        headers=CLIENT,
    )
    advance(client, 3600)
    assert mirror(client)["sync_status"] == "FAIL"
    alive = tags_listed(client, onlyActiveTags="true")
    assert {tag["name"]: tag["manifest_digest"] for tag in alive} == before
    assert {tag["name"]: tag["reversion"] for tag in alive} == {
        "v3.3.0": True,
        "v3.4.0": False,
        "v3.5.0": True,
    }


def tags_listed(client, **params):
    return client.get(TAGS, query_string=params, headers=DEVTABLE).json["tags"]
