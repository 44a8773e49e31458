"""The simulated repository-mirror worker (spec sections 3.2, 3.3 and 7.4) on a manual clock."""

from __future__ import annotations

import copy
import gc
from datetime import datetime

import pytest
from support.world import auth, quay_test_world

from mockquay.domain.sync import next_start
from mockquay.extension import emulator_of
from mockquay.profiles import PROFILES

START = "2026-01-01T00:00:00Z"
CLOCK = "/__mockquay__/clock"
RUN = "/__mockquay__/worker/run"
#: Marks an admin POST without a body as no cross-site request (see the admin guard).
CLIENT = {"X-Mockquay-Client": "tests"}
MIRROR = "/api/v1/repository/devtable/simple/mirror"
TAGS = "/api/v1/repository/devtable/simple/tag/"
LOGS = "/api/v1/repository/devtable/simple/logs?starttime=12/01/2025&endtime=12/31/2026"
DEVTABLE = auth("devtable")

ETCD = {
    "host": "quay.io",
    "repositories": {
        "coreos/etcd": {
            "tags": {
                "v3.5.0": {"architectures": ["amd64", "arm64"], "copy_seconds": 4},
                "v3.4.0": {"copy_seconds": 2},
                "v3.3.0": {},
                "v2.0.0": {},
            }
        }
    },
}

MIRROR_ENTRY = {
    "repository": "devtable/simple",
    "external_reference": "quay.io/coreos/etcd",
    "sync_interval": 3600,
    "sync_start_date": START,
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    "robot_username": "devtable+dtrobot",
    "skopeo_timeout_interval": 300,
}


def world(registries=None, profile="latest", worker="auto", **mirror_fields):
    document = quay_test_world(mirror=False)
    document["settings"].update(
        clock={"mode": "manual", "start": START}, worker={"mode": worker}, profile=profile
    )
    document["mirrors"] = [{**copy.deepcopy(MIRROR_ENTRY), **mirror_fields}]
    document["registries"] = [copy.deepcopy(ETCD)] if registries is None else registries
    return document


@pytest.fixture
def sim(make_client):
    """``sim(**world_arguments)``: a client on :func:`world`."""
    return lambda **arguments: make_client(world(**arguments))


def advance(client, seconds):
    response = client.post(CLOCK, json={"advance": seconds})
    assert response.status_code == 200, response.json
    return response.json


def mirror(client):
    return client.get(MIRROR, headers=DEVTABLE).json


def log_entries(client):
    """The worker's log entries, oldest first: (kind, message, tags)."""
    entries, page = [], client.get(LOGS, headers=DEVTABLE).json
    while True:
        entries += page["logs"]
        if "next_page" not in page:
            break
        page = client.get(f"{LOGS}&next_page={page['next_page']}", headers=DEVTABLE).json
    return [
        (entry["kind"], entry["metadata"]["message"], entry["metadata"]["tags"])
        for entry in reversed(entries)
        if entry["kind"].startswith("repo_mirror_sync")
    ]


def tag_names(client, **params):
    response = client.get(TAGS, query_string=params, headers=DEVTABLE)
    return [(tag["name"], "end_ts" in tag) for tag in response.json["tags"]]


def sync_now(client):
    assert client.post(f"{MIRROR}/sync-now", headers=DEVTABLE).status_code == 204


PATTERN = "'quay.io/coreos/etcd' with tag pattern 'v3.*'"


def test_first_poll_claims_a_due_mirror_and_copies_each_tag_in_time(sim):
    client = sim()
    advance(client, 1)
    view = mirror(client)
    assert (view["sync_status"], view["sync_expiration_date"]) == (
        "SYNCING",
        "2026-01-01T12:00:00.791537Z",
    )
    advance(client, 2)
    assert tag_names(client) == [("v3.3.0", False)]
    advance(client, 10)
    view = mirror(client)
    assert (view["sync_status"], view["sync_retries_remaining"]) == ("SUCCESS", 3)
    assert view["sync_start_date"] == "2026-01-01T01:00:00.233353Z"
    assert view["sync_expiration_date"] is None
    assert tag_names(client) == [("v3.5.0", False), ("v3.4.0", False), ("v3.3.0", False)]
    assert log_entries(client) == [
        ("repo_mirror_sync_started", PATTERN, None),
        (
            "repo_mirror_sync_tag_success",
            "Source 'docker://quay.io/coreos/etcd:v3.3.0' successful sync",
            None,
        ),
        (
            "repo_mirror_sync_tag_success",
            "Source 'docker://quay.io/coreos/etcd:v3.4.0' successful sync",
            None,
        ),
        (
            "repo_mirror_sync_tag_success",
            "Source 'docker://quay.io/coreos/etcd:v3.5.0' successful sync",
            None,
        ),
        ("repo_mirror_sync_success", PATTERN, "v3.3.0, v3.4.0, v3.5.0"),
    ]


def test_worker_log_entries_have_quays_metadata_and_no_performer(sim):
    client = sim()
    advance(client, 20)
    entries = client.get(LOGS, headers=DEVTABLE).json["logs"]
    started = [entry for entry in entries if entry["kind"] == "repo_mirror_sync_started"][0]
    assert started == {
        "kind": "repo_mirror_sync_started",
        "metadata": {
            "verb": "start",
            "namespace": "devtable",
            "repo": "simple",
            "message": PATTERN,
            "tag": None,
            "tags": None,
            "stdout": None,
            "stderr": None,
        },
        "ip": None,
        "datetime": "Thu, 01 Jan 2026 00:00:00 -0000",
    }
    tag_log = [e for e in entries if e["kind"] == "repo_mirror_sync_tag_success"][-1]
    assert tag_log["metadata"]["verb"] == "finish"
    assert tag_log["metadata"]["tag"] == "v3.3.0"
    assert tag_log["metadata"]["stdout"].startswith("Getting image source signatures\n")


def test_polls_follow_the_interval_grid(sim):
    client = sim(sync_start_date="2026-01-01T00:00:10Z")
    advance(client, 30)
    assert mirror(client)["sync_status"] == "NEVER_RUN"
    advance(client, 1)
    assert mirror(client)["sync_status"] == "SYNCING"


def test_worker_interval_setting(make_client):
    document = world(sync_start_date="2026-01-01T00:00:10Z")
    document["settings"]["worker"]["interval"] = 60
    client = make_client(document)
    advance(client, 60)
    assert mirror(client)["sync_status"] == "NEVER_RUN"
    advance(client, 1)
    assert mirror(client)["sync_status"] == "SYNCING"


def test_a_day_gives_one_sync_per_interval(sim):
    client = sim()
    # The sync that starts at midnight copies its three tags in 7 s.
    advance(client, "P1DT1M")
    view = mirror(client)
    # Quay's next start keeps the release's sub-second part; a start whose part is later than
    # the polls' waits a poll, so the schedule drifts as Quay's does.
    assert (view["sync_status"], view["sync_start_date"]) == (
        "SUCCESS",
        "2026-01-02T01:00:13.206512Z",
    )
    successes = [e for e in log_entries(client) if e[0] == "repo_mirror_sync_success"]
    assert len(successes) == 25


def tag_success(tag):
    return (
        "repo_mirror_sync_tag_success",
        f"Source 'docker://quay.io/coreos/etcd:{tag}' successful sync",
        None,
    )


def test_every_run_copies_every_matching_tag_again_in_every_profile(sim):
    """Quay's ``perform_mirror`` (workers/repomirrorworker/__init__.py) copies each matching
    tag on every run, in every release the profiles cover (3.8.0 to the current code). The skip
    of tags whose upstream digest is unchanged (``_build_local_digest_map``) comes from
    quay/quay pull request 7111 (PROJQUAY-13193), opened in September 2026 and still open:
    no release has it."""
    second_runs = {}
    for profile in PROFILES:
        client = sim(profile=profile)
        advance(client, 3600 + 20)
        second_runs[profile] = log_entries(client)[5:]
    second_run = [
        ("repo_mirror_sync_started", PATTERN, None),
        tag_success("v3.3.0"),
        tag_success("v3.4.0"),
        tag_success("v3.5.0"),
        ("repo_mirror_sync_success", PATTERN, "v3.3.0, v3.4.0, v3.5.0"),
    ]
    assert second_runs == dict.fromkeys(PROFILES, second_run)


def test_a_tag_copied_again_unchanged_gets_a_new_history_row(sim):
    """skopeo copies an unchanged tag again by pushing its manifest; Quay's manifest PUT calls
    ``registry_model.create_manifest_and_retarget_tag``, whose ``oci.tag.retarget_tag``
    (data/model/oci/tag.py) ends the alive row at now and creates a new row with
    ``lifetime_start_ms`` now, whether or not the manifest changed."""
    client = sim()
    advance(client, 3600 + 20)
    rows = client.get(TAGS, query_string={"specificTag": "v3.3.0"}, headers=DEVTABLE).json
    digest = rows["tags"][0]["manifest_digest"]
    assert rows["tags"] == [
        {
            "name": "v3.3.0",
            "reversion": False,
            "start_ts": 1767229201,
            "manifest_digest": digest,
            "is_manifest_list": False,
            "size": rows["tags"][0]["size"],
            "last_modified": "Thu, 01 Jan 2026 01:00:01 -0000",
            "immutable": False,
        },
        {
            "name": "v3.3.0",
            "reversion": False,
            "start_ts": 1767225602,
            "end_ts": 1767229201,
            "manifest_digest": digest,
            "is_manifest_list": False,
            "size": rows["tags"][0]["size"],
            "last_modified": "Thu, 01 Jan 2026 00:00:02 -0000",
            "expiration": "Thu, 01 Jan 2026 01:00:01 -0000",
            "immutable": False,
        },
    ]


def test_a_changed_upstream_digest_moves_the_tag(sim):
    client = sim()
    advance(client, 20)
    registry = copy.deepcopy(ETCD)
    registry["repositories"]["coreos/etcd"]["tags"]["v3.3.0"]["digest"] = "sha256:" + "a" * 64
    client.post("/__mockquay__/seed", json={"registries": [registry]})
    advance(client, 3600)
    listing = client.get(TAGS, headers=DEVTABLE).json["tags"]
    v33 = [tag for tag in listing if tag["name"] == "v3.3.0"]
    assert [tag["manifest_digest"] == "sha256:" + "a" * 64 for tag in v33] == [True, False]
    assert v33[0]["start_ts"] == v33[1]["end_ts"]
    assert v33[1]["expiration"] == "Thu, 01 Jan 2026 01:00:01 -0000"


def test_tags_no_longer_matched_are_deleted(sim):
    client = sim()
    advance(client, 20)
    client.put(
        MIRROR,
        json={"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.5*"]}},
        headers=DEVTABLE,
    )
    advance(client, 3600)
    assert tag_names(client, onlyActiveTags="true") == [("v3.5.0", False)]
    # v3.5.0 was copied again: its first row ended when the second began.
    assert sorted(tag_names(client)) == [
        ("v3.3.0", True),
        ("v3.4.0", True),
        ("v3.5.0", False),
        ("v3.5.0", True),
    ]


def test_no_matching_tag_is_success(sim):
    client = sim(root_rule={"rule_kind": "tag_glob_csv", "rule_value": ["nothing*"]})
    advance(client, 1)
    assert mirror(client)["sync_status"] == "SUCCESS"
    assert log_entries(client)[-1] == (
        "repo_mirror_sync_success",
        "'quay.io/coreos/etcd' with tag pattern 'nothing*'",
        "No tags matched",
    )


def test_several_patterns_are_one_sorted_set(sim):
    client = sim(root_rule={"rule_kind": "tag_glob_csv", "rule_value": ["v3.5*", "v*.0"]})
    advance(client, 20)
    assert log_entries(client)[-1][2] == "v2.0.0, v3.3.0, v3.4.0, v3.5.0"


def test_failures_keep_the_start_then_move_it_after_three(sim):
    client = sim(registries=[])
    states = []
    for seconds in (1, 30, 30, 30):
        advance(client, seconds)
        view = mirror(client)
        states.append(
            (view["sync_status"], view["sync_retries_remaining"], view["sync_start_date"])
        )
    assert states[:3] == [
        ("FAIL", 2, START),
        ("FAIL", 1, START),
        ("FAIL", 3, "2026-01-01T01:00:00.791537Z"),
    ]
    assert states[3] == ("FAIL", 3, "2026-01-01T01:00:00.791537Z")


def test_sync_now_of_a_future_mirror_runs_at_the_next_poll(sim):
    client = sim(sync_start_date="2026-06-01T00:00:00Z")
    advance(client, 30)
    assert mirror(client)["sync_status"] == "NEVER_RUN"
    sync_now(client)
    advance(client, 30)
    view = mirror(client)
    assert view["sync_status"] == "SUCCESS"
    # Quay's grid arithmetic also runs backwards from a future start.
    assert view["sync_start_date"] == "2026-01-01T01:00:00.758196Z"


def test_disabled_mirror_with_sync_now_still_syncs(sim):
    client = sim(is_enabled=False)
    advance(client, 60)
    assert mirror(client)["sync_status"] == "NEVER_RUN"
    sync_now(client)
    advance(client, 30)
    assert mirror(client)["sync_status"] == "SUCCESS"


def test_repository_not_in_mirror_state_is_not_synced(sim):
    client = sim()
    client.put(
        "/api/v1/repository/devtable/simple/changestate", json={"state": "NORMAL"}, headers=DEVTABLE
    )
    advance(client, 60)
    assert mirror(client)["sync_status"] == "NEVER_RUN"


def test_cancel_in_the_middle_of_a_multi_tag_sync(sim):
    client = sim()
    advance(client, 3)
    assert client.post(f"{MIRROR}/sync-cancel", headers=DEVTABLE).status_code == 204
    advance(client, 60)
    view = mirror(client)
    assert (view["sync_status"], view["sync_retries_remaining"]) == ("CANCEL", 0)
    assert view["sync_start_date"] == START
    # The copy in flight (v3.4.0) lands but is not logged; v3.5.0 is never copied.
    assert tag_names(client) == [("v3.4.0", False), ("v3.3.0", False)]
    assert [kind for kind, _, _ in log_entries(client)] == [
        "repo_mirror_sync_started",
        "repo_mirror_sync_tag_success",
        "repo_mirror_sync_failed",
    ]
    assert log_entries(client)[-1] == ("repo_mirror_sync_failed", PATTERN, "v3.3.0, v3.4.0, v3.5.0")
    entries = client.get(LOGS, headers=DEVTABLE).json["logs"]
    assert entries[0]["metadata"]["verb"] == "Cancelled"


def test_put_during_a_sync_leaves_it_syncing(sim):
    client = sim()
    advance(client, 3)
    client.put(MIRROR, json={"sync_interval": 7200}, headers=DEVTABLE)
    advance(client, 60)
    view = mirror(client)
    assert (view["sync_status"], view["sync_expiration_date"]) == (
        "SYNCING",
        "2026-01-01T12:00:00.791537Z",
    )
    assert log_entries(client)[-1][0] == "repo_mirror_sync_success"


def test_sync_now_during_a_sync_is_404_and_the_sync_goes_on(sim):
    client = sim()
    advance(client, 3)
    assert client.post(f"{MIRROR}/sync-now", headers=DEVTABLE).status_code == 404
    advance(client, 60)
    assert mirror(client)["sync_status"] == "SUCCESS"


def test_a_stuck_syncing_mirror_is_never_claimed_again(sim):
    client = sim(sync_status="SYNCING", sync_expiration_date="2026-01-01T00:00:01Z")
    advance(client, "P1D")
    assert mirror(client)["sync_status"] == "SYNCING"
    assert log_entries(client) == []


def test_expiration_window_of_older_profiles_is_two_hours(sim):
    client = sim(profile="3.12")
    advance(client, 1)
    assert mirror(client)["sync_expiration_date"] == "2026-01-01T02:00:00.791537Z"


def test_eligible_mirrors_run_one_after_the_other(make_client):
    """One worker: the second mirror a poll lists is claimed when the first run ends (the order
    within a poll is drawn from the seed: see test_worker_fidelity)."""
    document = world()
    document["repositories"].append({"name": "devtable/other"})
    document["mirrors"].append(
        {**MIRROR_ENTRY, "repository": "devtable/other", "sync_start_date": "2025-12-01T00:00:00Z"}
    )
    client = make_client(document)
    response = client.post(RUN, headers=CLIENT)
    # The order the seed (0) draws for this poll.
    assert response.json["claimed"] == ["devtable/other", "devtable/simple"]
    # One worker: the second mirror is claimed once the first run ended (about 7 s of copies).
    simple = client.get(LOGS, headers=DEVTABLE).json["logs"][-1]
    assert simple["kind"] == "repo_mirror_sync_started"
    assert simple["datetime"] == "Thu, 01 Jan 2026 00:00:06 -0000"


def test_blocked_source_fails_without_calling_skopeo(sim):
    client = sim(external_reference="10.0.0.1/coreos/etcd")
    advance(client, 1)
    view = mirror(client)
    assert (view["sync_status"], view["sync_expiration_date"]) == ("FAIL", None)
    entries = client.get(LOGS, headers=DEVTABLE).json["logs"]
    assert [entry["kind"] for entry in entries if "sync" in entry["kind"]] == [
        "repo_mirror_sync_failed"
    ]
    assert entries[0]["metadata"] == {
        "verb": "end",
        "namespace": "devtable",
        "repo": "simple",
        "message": "Source registry location is not allowed",
        "tag": None,
        "tags": "",
        "stdout": "Not applicable",
        "stderr": "Not applicable",
    }


def test_allow_listed_private_source_succeeds(make_client):
    document = world(
        registries=[{**copy.deepcopy(ETCD), "host": "10.0.0.1"}],
        external_reference="10.0.0.1/coreos/etcd",
    )
    document["settings"]["ssrf_allowed_hosts"] = ["10.0.0.0/8"]
    client = make_client(document)
    advance(client, 20)
    assert mirror(client)["sync_status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("registry", "mirror_fields", "stderr"),
    [
        (None, {}, "dial tcp: lookup quay.io: no such host"),
        ({"tls": "unreachable"}, {}, "dial tcp quay.io:443: connect: connection refused"),
        ({"tls": "self-signed"}, {}, "x509: certificate signed by unknown authority"),
        (
            {"auth": {"username": "puller", "password": "s3cret"}},
            {},
            "unauthorized: access to the requested resource is not authorized",
        ),
        (
            {"auth": {"username": "puller", "password": "s3cret"}},
            {"external_registry_username": "puller", "external_registry_password": "wrong"},
            "unauthorized: access to the requested resource is not authorized",
        ),
        ({"repositories": {}}, {}, "name unknown: repository name not known to registry"),
    ],
)
def test_listing_failures_fail_the_sync_with_skopeos_words(sim, registry, mirror_fields, stderr):
    registries = [] if registry is None else [{**copy.deepcopy(ETCD), **registry}]
    client = sim(registries=registries, **mirror_fields)
    advance(client, 1)
    view = mirror(client)
    assert (view["sync_status"], view["sync_retries_remaining"]) == ("FAIL", 2)
    entries = client.get(LOGS, headers=DEVTABLE).json["logs"]
    failed = entries[0]["metadata"]
    assert entries[0]["kind"] == "repo_mirror_sync_failed"
    # str() of Quay's RepoMirrorSkopeoException is its args tuple (see test_worker_fidelity).
    assert failed["message"] == (
        f"{PATTERN}: ('skopeo list-tags failed: See output', '', {failed['stderr']!r})"
    )
    assert failed["stderr"].startswith('time="2026-01-01T00:00:00Z" level=fatal msg="Error listing')
    assert stderr in failed["stderr"]
    assert tag_names(client) == []


@pytest.mark.parametrize(
    ("registry", "mirror_fields"),
    [
        ({"tls": "self-signed"}, {"external_registry_config": {"verify_tls": False}}),
        (
            {"auth": {"username": "puller", "password": "s3cret"}},
            {"external_registry_username": "puller", "external_registry_password": "s3cret"},
        ),
    ],
)
def test_the_right_settings_pass_the_registry(sim, registry, mirror_fields):
    client = sim(registries=[{**copy.deepcopy(ETCD), **registry}], **mirror_fields)
    advance(client, 20)
    assert mirror(client)["sync_status"] == "SUCCESS"


def test_a_failing_tag_is_tag_failed_and_a_partial_sync(sim):
    registry = copy.deepcopy(ETCD)
    registry["repositories"]["coreos/etcd"]["tags"]["v3.4.0"]["fail"] = "manifest unknown"
    client = sim(registries=[registry])
    advance(client, 20)
    view = mirror(client)
    assert (view["sync_status"], view["sync_retries_remaining"], view["sync_start_date"]) == (
        "FAIL",
        2,
        START,
    )
    entries = log_entries(client)
    assert entries[2] == (
        "repo_mirror_sync_tag_failed",
        "Source 'docker://quay.io/coreos/etcd:v3.4.0' failed to sync",
        None,
    )
    assert entries[-1] == (
        "repo_mirror_sync_failed",
        f"{PATTERN}: PARTIAL SYNC",
        "v3.3.0, v3.4.0(FAILED), v3.5.0",
    )
    logs = client.get(LOGS, headers=DEVTABLE).json["logs"]
    failed = [e for e in logs if e["kind"] == "repo_mirror_sync_tag_failed"][0]["metadata"]
    assert failed["stderr"] == (
        'time="2026-01-01T00:00:02Z" level=fatal msg="initializing source '
        "docker://quay.io/coreos/etcd:v3.4.0: reading manifest v3.4.0 in quay.io/coreos/etcd: "
        'manifest unknown"\n'
    )
    assert tag_names(client) == [("v3.5.0", False), ("v3.3.0", False)]


def test_every_tag_failing_is_a_plain_fail(sim):
    registry = copy.deepcopy(ETCD)
    for tag in registry["repositories"]["coreos/etcd"]["tags"].values():
        tag["fail"] = "manifest unknown"
    client = sim(registries=[registry])
    advance(client, 20)
    assert log_entries(client)[-1] == ("repo_mirror_sync_failed", PATTERN, "")
    entries = client.get(LOGS, headers=DEVTABLE).json["logs"]
    assert entries[0]["metadata"]["verb"] == "lost"


def test_a_copy_longer_than_the_skopeo_timeout_fails_at_the_timeout(sim):
    registry = copy.deepcopy(ETCD)
    registry["repositories"]["coreos/etcd"]["tags"]["v3.3.0"]["copy_seconds"] = 1000
    client = sim(registries=[registry])
    advance(client, 300)
    assert log_entries(client)[-1][0] == "repo_mirror_sync_started"
    advance(client, 2)
    assert log_entries(client)[-1][0] == "repo_mirror_sync_tag_failed"
    advance(client, 20)
    assert mirror(client)["sync_status"] == "FAIL"


ARCH_TAGS = {
    "host": "quay.io",
    "repositories": {
        "coreos/etcd": {
            "tags": {
                "v3.5.0": {"architectures": ["amd64", "arm64", "s390x"]},
                "v3.4.0": {"architectures": ["s390x"]},
            }
        }
    },
}


def test_architecture_filter_copies_the_listed_architectures(make_client):
    document = world(registries=[ARCH_TAGS], architecture_filter=["arm64"])
    document["settings"]["features"]["SPARSE_INDEX"] = True
    client = make_client(document)
    advance(client, 20)
    assert mirror(client)["sync_status"] == "SUCCESS"
    # A single-architecture image outside the filter is skipped, and that is a success.
    assert tag_names(client) == [("v3.5.0", False)]
    assert [kind for kind, _, _ in log_entries(client)].count("repo_mirror_sync_tag_success") == 2


def test_architecture_filter_without_sparse_index_fails_the_tag(sim):
    client = sim(registries=[ARCH_TAGS], architecture_filter=["arm64"])
    advance(client, 20)
    assert mirror(client)["sync_status"] == "FAIL"
    entries = client.get(LOGS, headers=DEVTABLE).json["logs"]
    failed = [e for e in entries if e["kind"] == "repo_mirror_sync_tag_failed"][0]
    assert failed["metadata"]["stderr"].startswith("Sparse manifest list push requires")


def test_architecture_filter_with_no_matching_architecture_fails(make_client):
    document = world(registries=[ARCH_TAGS], architecture_filter=["ppc64le"])
    document["settings"]["features"]["SPARSE_INDEX"] = True
    client = make_client(document)
    advance(client, 20)
    entries = client.get(LOGS, headers=DEVTABLE).json["logs"]
    failed = [e for e in entries if e["kind"] == "repo_mirror_sync_tag_failed"][0]
    assert failed["metadata"]["stderr"] == (
        "No matching architectures. Requested: ['ppc64le'], Available: ['amd64', 'arm64', 's390x']"
    )


def test_mirror_health_counts_what_the_worker_did(make_client):
    document = world(registries=[])
    client = make_client(document)
    advance(client, 1)
    report = client.get(
        "/api/v1/repository/mirror/health", headers=auth("globalreadonlysuperuser")
    ).json
    assert report["repositories"]["failed"] == 1
    assert report["healthy"] is False


@pytest.mark.parametrize(
    ("start", "now", "expected"),
    [
        (datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 0, 5), datetime(2026, 1, 1, 1)),
        (datetime(2026, 1, 1), datetime(2026, 1, 1, 1), datetime(2026, 1, 1, 2)),
        (datetime(2026, 1, 1), datetime(2026, 1, 1, 5, 59, 59), datetime(2026, 1, 1, 6)),
        (datetime(2026, 1, 1, 0, 30), datetime(2026, 1, 1), datetime(2026, 1, 1, 0, 30)),
        (
            datetime(2026, 1, 1),
            datetime(2026, 1, 1, 0, 0, 5, 500000),
            datetime(2026, 1, 1, 1, 0, 0, 500000),
        ),
    ],
    ids=["off-grid", "on-grid", "just-before", "future-start", "microseconds"],
)
def test_next_start_is_the_next_grid_point(start, now, expected):
    assert next_start(start, 3600, now) == expected


def test_success_exactly_on_the_grid_moves_a_full_interval(sim):
    registry = copy.deepcopy(ETCD)
    registry["repositories"]["coreos/etcd"]["tags"] = {"v3.0": {"copy_seconds": 0}}
    client = sim(registries=[registry])
    advance(client, 1)
    assert mirror(client)["sync_start_date"] == "2026-01-01T01:00:00.791537Z"


def test_manual_worker_runs_only_on_request(sim):
    client = sim(worker="manual")
    advance(client, 3600)
    assert mirror(client)["sync_status"] == "NEVER_RUN"
    response = client.post(RUN, headers=CLIENT)
    assert response.status_code == 200
    assert response.json == {
        "claimed": ["devtable/simple"],
        "finished": [{"repository": "devtable/simple", "sync_status": "SUCCESS"}],
    }
    # The run's steps are dated by their simulated times; the clock itself stays.
    assert mirror(client)["sync_start_date"] == "2026-01-01T02:00:00.768725Z"
    assert client.get(CLOCK).json["now"] == "2026-01-01T01:00:00Z"


def test_worker_run_with_nothing_due_claims_nothing(sim):
    client = sim(worker="manual", sync_start_date="2027-01-01T00:00:00Z")
    assert client.post(RUN, headers=CLIENT).json == {"claimed": [], "finished": []}


def test_worker_off_never_runs(sim):
    client = sim(worker="off")
    advance(client, 3600)
    response = client.post(RUN, headers=CLIENT)
    assert response.status_code == 409
    assert response.json == {"error": "the worker is off (worker mode 'off')"}
    assert mirror(client)["sync_status"] == "NEVER_RUN"


def test_worker_run_in_auto_mode_polls_now(sim):
    client = sim()
    response = client.post(RUN, headers=CLIENT)
    assert response.json["finished"] == [
        {"repository": "devtable/simple", "sync_status": "SUCCESS"}
    ]


def test_seed_can_switch_the_worker_mode(sim):
    client = sim(worker="off")
    client.post("/__mockquay__/seed", json={"settings": {"worker": {"mode": "auto"}}})
    advance(client, 20)
    assert mirror(client)["sync_status"] == "SUCCESS"


@pytest.mark.parametrize(
    ("worker", "problem"),
    [
        ({"mode": "sometimes"}, "settings.worker: mode must be one of auto, manual, off"),
        (
            {"interval": 0},
            "settings.worker: interval must be a whole number of seconds from 1 to 86400",
        ),
        ({"speed": 1}, "settings.worker: unknown key(s) speed (known: mode, interval)"),
    ],
)
def test_bad_worker_settings_are_400_and_change_nothing(sim, worker, problem):
    client = sim()
    before = client.get("/__mockquay__/state").json
    response = client.post("/__mockquay__/seed", json={"settings": {"worker": worker}})
    assert response.status_code == 400
    assert any(problem in line for line in response.json["problems"])
    assert client.get("/__mockquay__/state").json == before


def test_worker_mode_from_cli_environment_and_settings():
    from mockquay.settings import Settings

    assert Settings.from_env({"MOCKQUAY_WORKER": "manual"}).worker == "manual"
    with pytest.raises(ValueError, match="unknown worker mode 'never'"):
        Settings(worker="never")


def test_real_clock_auto_worker_syncs_in_the_background():
    import time

    from mockquay.app import create_app
    from mockquay.settings import Settings

    document = world()
    document["settings"]["clock"] = {"mode": "real"}
    document["registries"][0]["repositories"]["coreos/etcd"]["tags"] = {"v3.0": {"copy_seconds": 0}}
    app = create_app(Settings(default_fixtures=False))
    emulator_of(app).replace(document)
    client = app.test_client()
    for _ in range(200):
        if mirror(client)["sync_status"] == "SUCCESS":
            break
        time.sleep(0.05)
    assert mirror(client)["sync_status"] == "SUCCESS"
    assert tag_names(client) == [("v3.0", False)]
    emulator_of(app).close()


def test_reset_forgets_a_run_in_flight(sim):
    client = sim()
    advance(client, 3)
    client.put("/__mockquay__/state", json=client.get("/__mockquay__/state?secrets=true").json)
    assert client.get(CLOCK).json["now"] == START
    advance(client, 20)
    assert mirror(client)["sync_status"] == "SYNCING"


REGISTRY_PROBLEMS = [
    ({"host": "bad host"}, "host 'bad host' must be a host name or address"),
    ({"host": "quay.io", "tls": "maybe"}, "tls must be one of valid, self-signed, unreachable"),
    ({"host": "quay.io", "auth": {"username": "x"}}, "auth must be {username: <text>"),
    (
        {"host": "quay.io", "repositories": {"a/b": {"tags": {"bad tag!": {}}}}},
        "repositories.a/b.tags.bad tag!: 'bad tag!' is not a valid tag name",
    ),
    (
        {"host": "quay.io", "repositories": {"a/b": {"tags": {"v1": {"copy_seconds": -1}}}}},
        "copy_seconds must be a number of seconds, not negative",
    ),
    (
        {"host": "quay.io", "repositories": {"a/b": {"tags": {"v1": {"digest": "md5:1"}}}}},
        "digest must be sha256:<64 hex digits>",
    ),
    ({"host": "quay.io", "repositories": {"Bad/Path": {}}}, "is not a repository path"),
    ({"host": "quay.io", "colour": "red"}, "unknown key(s): colour"),
]


@pytest.mark.parametrize(("entry", "problem"), REGISTRY_PROBLEMS)
def test_bad_registries_are_400_and_change_nothing(sim, entry, problem):
    client = sim()
    before = client.get("/__mockquay__/state").json
    response = client.post("/__mockquay__/seed", json={"registries": [entry]})
    assert response.status_code == 400
    assert any(problem in line for line in response.json["problems"]), response.json
    assert client.get("/__mockquay__/state").json == before


def test_state_exports_the_registries(sim):
    client = sim()
    assert client.get("/__mockquay__/state").json["registries"] == [
        {
            "host": "quay.io",
            "tls": "valid",
            "repositories": {
                "coreos/etcd": {
                    "tags": {
                        "v3.5.0": {"architectures": ["amd64", "arm64"], "copy_seconds": 4},
                        "v3.4.0": {"architectures": ["amd64"], "copy_seconds": 2},
                        "v3.3.0": {"architectures": ["amd64"], "copy_seconds": 1},
                        "v2.0.0": {"architectures": ["amd64"], "copy_seconds": 1},
                    }
                }
            },
        }
    ]


def test_bundled_fixtures_sync_their_mirror():
    from mockquay.app import create_app
    from mockquay.settings import Settings

    app = create_app(Settings(clock="manual"))
    client = app.test_client()
    admin = {"Authorization": "Bearer admin-token"}
    client.post(CLOCK, json={"advance": 60})
    view = client.get("/api/v1/repository/acme/etcd/mirror", headers=admin).json
    assert view["sync_status"] == "SUCCESS"
    names = [
        t["name"]
        for t in client.get("/api/v1/repository/acme/etcd/tag/", headers=admin).json["tags"]
    ]
    assert sorted(names) == ["v3.3.0", "v3.4.0", "v3.5.0"]


def test_release_mirror_sequence_of_quays_model_test():
    """``test_release_mirror``: FAIL 2, FAIL 1, FAIL 3 moved, then a matching CANCEL: start None."""
    from mockquay.domain.sync import Session, release
    from mockquay.store import Store

    store = Store()
    with store.transaction() as tx:
        tx.put(
            "mirrors",
            "a/b",
            {
                "sync_transaction_id": "t0",
                "sync_retries_remaining": 3,
                "sync_start_date": "2026-01-01T00:00:00",
                "sync_interval": 3600,
                "sync_status": "SYNCING",
                "sync_expiration_date": "2026-01-01T12:00:00",
            },
        )
    now = datetime(2026, 1, 1, 0, 10)
    seen = []
    with store.transaction() as tx:
        session = Session(tx)
        for status in ("FAIL", "FAIL", "FAIL", "CANCEL"):
            mirror = session.get("mirrors", "a/b")
            assert release(session, "a/b", mirror["sync_transaction_id"], status, now) == status
            seen.append(
                (mirror["sync_status"], mirror["sync_retries_remaining"], mirror["sync_start_date"])
            )
        assert release(session, "a/b", "stale", "SUCCESS", now) is None
        session.flush()
    assert seen == [
        ("FAIL", 2, "2026-01-01T00:00:00"),
        ("FAIL", 1, "2026-01-01T00:00:00"),
        ("FAIL", 3, "2026-01-01T01:00:00"),
        ("CANCEL", 0, None),
    ]


def test_sync_interval_zero_leaves_the_mirror_syncing(sim):
    client = sim(sync_interval=0)
    advance(client, 20)
    assert mirror(client)["sync_status"] == "SYNCING"


def test_cancel_before_3_15_does_not_stop_the_run_and_the_next_poll_syncs_again(sim):
    client = sim(profile="3.12")
    advance(client, 3)
    assert client.post(f"{MIRROR}/sync-cancel", headers=DEVTABLE).status_code == 204
    advance(client, 20)
    view = mirror(client)
    assert (view["sync_status"], view["sync_retries_remaining"]) == ("NEVER_RUN", 3)
    assert log_entries(client)[-1][0] == "repo_mirror_sync_success"
    assert len(tag_names(client)) == 3
    advance(client, 20)
    assert mirror(client)["sync_status"] == "SUCCESS"


class _Stop(Exception):
    pass


@pytest.mark.parametrize("enabled", [True, False])
def test_events_run_with_the_cyclic_collector_paused_and_leave_it_as_it_was(sim, enabled):
    """A slice of events runs with the cyclic garbage collector paused (the documents it
    writes hold no cycles) and leaves the collector as it found it, also when an event raises."""
    worker = emulator_of(sim().application).worker
    seen = []
    was = gc.isenabled()
    gc.enable() if enabled else gc.disable()
    try:
        ended = worker.run_until(
            datetime(2026, 1, 1, 0, 0, 10), lambda _: seen.append(gc.isenabled())
        )
        assert ended == "done"
        after = gc.isenabled()

        def stop(_):
            raise _Stop

        with pytest.raises(_Stop):
            worker.run_until(datetime(2026, 1, 1, 2), stop)
        after_raise = gc.isenabled()
    finally:
        gc.enable() if was else gc.disable()
    assert seen and not any(seen)
    assert (after, after_raise) == (enabled, enabled)
