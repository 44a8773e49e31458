"""The worker's two org-mirror phases on the manual clock, as Quay's
``workers/repomirrorworker/__init__.py`` (``perform_org_mirror_discovery``,
``perform_org_mirror_repo``) runs them (spec section 2)."""

from __future__ import annotations

from support.conformance import audit_log, stored
from support.org_mirror import MIRROR, ORG, client, created, headers, world

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
