"""The worker's two org-mirror phases on the manual clock, as Quay's
``workers/repomirrorworker/__init__.py`` (``perform_org_mirror_discovery``,
``perform_org_mirror_repo``) runs them (spec section 2)."""

from __future__ import annotations

import copy

import pytest
from support.conformance import audit_log, stored
from support.org_mirror import CREATE, MIRROR, ORG, SOURCE, client, created, headers, world

from mockquay.extension import emulator_of


def _world(**source_tags):
    document = world()
    document["settings"]["worker"] = {"mode": "auto"}
    for path, tags in source_tags.items():
        document["registries"][0]["repositories"][path] = {"tags": tags}
    return document


def _advance(test_client, seconds):
    assert test_client.post("/__mockquay__/clock", json={"advance": seconds}).status_code == 200


def _rows(test_client):
    response = test_client.get(f"{MIRROR}/repositories", headers=headers("owner"))
    return {row["name"]: row for row in response.get_json()["repositories"]}


def _config(test_client):
    return test_client.get(MIRROR, headers=headers("owner")).get_json()


def test_discovery_creates_the_repositories_and_syncs_every_tag():
    test_client = created(client(_world()))
    _advance(test_client, 60)
    rows = _rows(test_client)
    assert {name: row["sync_status"] for name, row in rows.items()} == {
        "app": "SUCCESS",
        "db": "SUCCESS",
        "tools-cli": "SUCCESS",
    }
    assert rows["app"]["quay_repository"] == "target/app"
    repo = stored(test_client, "repositories", "target/app")
    assert (repo["state"], repo["visibility"]) == ("ORG_MIRROR", "private")
    tags = test_client.get("/api/v1/repository/target/app/tag/", headers=headers("owner"))
    assert sorted(tag["name"] for tag in tags.get_json()["tags"]) == ["v1", "v2"]
    config = _config(test_client)
    assert (config["sync_status"], config["sync_start_date"]) == ("SUCCESS", "2026-01-01T01:00:00Z")


def test_discovery_logs_with_the_robot_as_performer():
    test_client = created(client(_world()))
    _advance(test_client, 60)
    worker = [e for e in audit_log(test_client, ORG) if e["kind"].startswith("org_mirror_sync")]
    assert [(e["kind"], e["metadata"]["message"], e["performer"], e["ip"]) for e in worker[:2]] == [
        (
            "org_mirror_sync_started",
            "Starting repository discovery for organization 'target'",
            "target+mirrorbot",
            None,
        ),
        (
            "org_mirror_sync_success",
            "Discovery completed: 3 repos discovered, 3 new",
            "target+mirrorbot",
            None,
        ),
    ]
    created_entry = [
        e for e in audit_log(test_client, "target/app") if e["kind"] == "org_mirror_repo_created"
    ]
    assert created_entry[0]["metadata"] == {
        "external_reference": "source.example.com/projectx/app",
        "visibility": "private",
        "via_org_mirror": True,
    }


def test_filters_are_globs_and_filtered_out_names_are_not_inserted():
    test_client = created(client(_world()), repository_filters=["app", "tools-*"])
    _advance(test_client, 60)
    assert sorted(_rows(test_client)) == ["app", "tools-cli"]


def test_rows_no_longer_wanted_are_skipped_with_quay_s_reason():
    test_client = created(client(_world()))
    _advance(test_client, 60)
    test_client.put(MIRROR, json={"repository_filters": ["app", "db"]}, headers=headers("owner"))
    assert test_client.post(f"{MIRROR}/sync-now", headers=headers("owner")).status_code == 204
    _advance(test_client, 60)
    row = _rows(test_client)["tools-cli"]
    assert (row["sync_status"], row["status_message"]) == ("SKIP", "Repository excluded by filters")
    assert stored(test_client, "repositories", "target/tools-cli") is not None


def test_a_failed_tag_fails_the_repository_with_k_of_n():
    """A FAIL with retries left keeps its start: the next poll (30 s on) retries it."""
    document = _world()
    document["registries"][0]["repositories"]["projectx/app"]["tags"]["v2"] = {"fail": "boom"}
    test_client = created(client(document))
    _advance(test_client, 15)
    row = _rows(test_client)["app"]
    assert (row["sync_status"], row["status_message"]) == ("FAIL", "Sync failed: 1/2 tags failed")
    assert stored(test_client, "org_mirror_repos", "target/app")["sync_retries_remaining"] == 2


def test_sync_now_is_refused_while_repositories_still_fail_with_retries():
    document = _world()
    document["registries"][0]["repositories"]["projectx/app"]["tags"]["v2"] = {"fail": "boom"}
    test_client = created(client(document))
    _advance(test_client, 45)
    response = test_client.post(f"{MIRROR}/sync-now", headers=headers("owner"))
    assert response.status_code == 400
    assert "repositories are still syncing" in response.get_json()["detail"]


def test_a_processed_cancel_cancels_the_rows_and_stores_success():
    test_client = created(client(_world()))
    _advance(test_client, 60)
    assert test_client.post(f"{MIRROR}/sync-cancel", headers=headers("owner")).status_code == 204
    _advance(test_client, 60)
    assert {row["sync_status"] for row in _rows(test_client).values()} == {"CANCEL"}
    assert _config(test_client)["sync_status"] == "SUCCESS"
    messages = [e["metadata"].get("message") for e in audit_log(test_client, ORG)]
    assert "Sync cancelled: 3 repos set to cancelled" in messages


def test_nothing_happens_with_the_flag_off():
    test_client = created(client(_world()))
    emulator_of(test_client.application).seed({"settings": {"features": {"ORG_MIRROR": False}}})
    _advance(test_client, 600)
    with emulator_of(test_client.application).store.transaction() as tx:
        assert tx.get("org_mirrors", ORG)["sync_status"] == "NEVER_RUN"


def test_delete_returns_the_repositories_to_normal_and_keeps_them():
    test_client = created(client(_world()))
    _advance(test_client, 60)
    assert test_client.delete(MIRROR, headers=headers("owner")).status_code == 204
    assert stored(test_client, "repositories", "target/app")["state"] == "NORMAL"
    assert stored(test_client, "org_mirror_repos", "target/app") is None


def test_an_unknown_namespace_fails_discovery():
    test_client = created(client(_world()), external_namespace="nope")
    _advance(test_client, 15)
    config = _config(test_client)
    assert (config["sync_status"], config["sync_retries_remaining"]) == ("FAIL", 2)
    messages = [e["metadata"].get("message") for e in audit_log(test_client, ORG)]
    assert (
        "Failed to fetch repositories from source: Namespace 'nope' not found on Quay registry"
        in messages
    )


def _seed_source(test_client, *, without=()):
    """Replace the source registry's entry, leaving out the repositories ``without``."""
    source = copy.deepcopy(SOURCE)
    for path in without:
        del source["repositories"][path]
    emulator_of(test_client.application).seed({"registries": [source]})


def _sync_now(test_client):
    assert test_client.post(f"{MIRROR}/sync-now", headers=headers("owner")).status_code == 204


def test_a_repository_gone_from_the_source_is_skipped_and_comes_back():
    """``deactivate_excluded_repos``: absent from the source is ``Repository no longer in source
    registry``; a SKIP row listed again is NEVER_RUN, then synced by the same discovery
    (``propagate_status_to_repos`` runs after it)."""
    test_client = created(client(_world()))
    _advance(test_client, 60)
    _seed_source(test_client, without=["projectx/db"])
    _sync_now(test_client)
    _advance(test_client, 30)
    row = _rows(test_client)["db"]
    assert (row["sync_status"], row["status_message"]) == (
        "SKIP",
        "Repository no longer in source registry",
    )
    stored_row = stored(test_client, "org_mirror_repos", "target/db")
    assert (stored_row["sync_start_date"], stored_row["sync_retries_remaining"]) == (None, 0)
    assert stored(test_client, "repositories", "target/db") is not None
    _seed_source(test_client)
    _sync_now(test_client)
    _advance(test_client, 30)
    row = _rows(test_client)["db"]
    assert (row["sync_status"], row["status_message"]) == ("SUCCESS", None)


def test_an_empty_listing_skips_nothing():
    """``deactivate_excluded_repos`` runs only when the source listed at least one name: a
    Quay source asked without a token lists only public repositories (here none)."""
    test_client = created(client(_world()))
    _advance(test_client, 60)
    source = {**copy.deepcopy(SOURCE), "auth": {"username": "u", "password": "p"}}
    emulator_of(test_client.application).seed({"registries": [source]})
    _sync_now(test_client)
    _advance(test_client, 30)
    messages = [e["metadata"].get("message") for e in audit_log(test_client, ORG)]
    assert "Discovery completed: 0 repos discovered, 0 new" in messages
    assert "SKIP" not in {row["sync_status"] for row in _rows(test_client).values()}


def _stale(row_changes=None, config_changes=None):
    """A world whose config (next start far ahead) has one row ``app`` left SYNCING by a
    worker that went away, its claim expiring at 00:00:45."""
    document = _world()
    document["org_mirrors"] = [
        {
            "organization": ORG,
            **CREATE,
            "sync_status": "SUCCESS",
            "sync_start_date": "2026-01-02T00:00:00Z",
            **(config_changes or {}),
            "repositories": [
                {
                    "name": "app",
                    "sync_status": "SYNCING",
                    "sync_start_date": "2025-12-31T00:00:00Z",
                    "sync_expiration_date": "2026-01-01T00:00:45Z",
                    "sync_retries_remaining": 1,
                    **(row_changes or {}),
                }
            ],
        }
    ]
    return client(document)


def test_a_stale_syncing_row_is_taken_again_after_its_claim_expires():
    """``get_eligible_org_mirror_repos``' expired candidates; ``claim_org_mirror_repo`` runs
    ``expire_org_mirror_repo`` first (retries back to 3)."""
    test_client = _stale()
    _advance(test_client, 30)
    assert _rows(test_client)["app"]["sync_status"] == "SYNCING"
    _advance(test_client, 35)
    row = stored(test_client, "org_mirror_repos", "target/app")
    assert (row["sync_status"], row["sync_retries_remaining"], row["last_sync_date"]) == (
        "SUCCESS",
        3,
        "2026-01-01T00:01:02",
    )
    tags = test_client.get("/api/v1/repository/target/app/tag/", headers=headers("owner"))
    assert sorted(tag["name"] for tag in tags.get_json()["tags"]) == ["v1", "v2"]


def test_a_stale_claim_is_refused_at_its_expiration_itself():
    """``claim_org_mirror_repo`` refuses while ``now <= sync_expiration_date``: a claim expiring
    on a poll is taken by the next one."""
    test_client = _stale({"sync_expiration_date": "2026-01-01T00:01:00Z"})
    _advance(test_client, 65)
    assert _rows(test_client)["app"]["sync_status"] == "SYNCING"
    _advance(test_client, 30)
    assert _rows(test_client)["app"]["sync_status"] == "SUCCESS"


@pytest.mark.parametrize(
    "changes",
    [{"sync_retries_remaining": 0}, {"sync_start_date": None}],
    ids=["no-retries", "no-start"],
)
def test_a_stale_syncing_row_without_retries_or_start_stays(changes):
    test_client = _stale(changes)
    _advance(test_client, 3600)
    assert _rows(test_client)["app"]["sync_status"] == "SYNCING"


def test_a_stale_syncing_discovery_runs_again_after_its_claim_expires():
    """``get_eligible_org_mirror_configs``' expired candidates: discovery runs as scheduled."""
    test_client = _stale(
        {"sync_status": "SUCCESS", "sync_expiration_date": None},
        {
            "sync_status": "SYNCING",
            "sync_start_date": "2026-01-01T00:00:00Z",
            "sync_expiration_date": "2026-01-01T00:00:45Z",
        },
    )
    _advance(test_client, 30)
    assert _config(test_client)["sync_status"] == "SYNCING"
    _advance(test_client, 30)
    config = _config(test_client)
    assert (config["sync_status"], config["sync_start_date"]) == ("SUCCESS", "2026-01-01T01:00:00Z")
    assert sorted(_rows(test_client)) == ["app", "db", "tools-cli"]
