"""What an org mirror config changes elsewhere (spec section 2.3), fixtures' ``org_mirrors:``
and the state export.

Quay keeps no ``org_mirror`` flag on an organization: ``data/model/org_mirror.py
is_namespace_org_mirrored`` looks for an ``OrgMirrorConfig`` row, so the refusals of
``endpoints/api/repository.py`` (createRepo, changeRepoState) and ``endpoints/api/mirror.py
_reject_if_org_mirror_configured`` follow a config created over HTTP, and a fixture's
``organizations[].org_mirror`` only states what its ``org_mirrors:`` say.
"""

from __future__ import annotations

import copy

import pytest
from support.conformance import JSON, api_error, assert_answer, detail_answer, state, stored
from support.org_mirror import CREATE, MIRROR, ORG, client, created, headers, world
from support.world import CREATE_BODY

from mockquay.extension import emulator_of
from mockquay.fixtures.loader import FixtureError

CREATE_REPO_REFUSED = (
    "Cannot create repository: organization is managed by organization-level mirroring"
)
STATE_CHANGE_REFUSED = (
    "Repository state changes are not allowed in an organization managed by "
    "organization-level mirroring"
)
REPO_MIRROR_REFUSED = (
    "Repository mirror configuration cannot be managed when organization-level mirroring "
    "is configured"
)
NEW_REPO = {"namespace": ORG, "repository": "x", "visibility": "public", "description": ""}


def _synced(test_client):
    """``test_client`` after the worker made ``target/app`` (state ``ORG_MIRROR``)."""
    emulator_of(test_client.application).seed({"settings": {"worker": {"mode": "auto"}}})
    assert test_client.post("/__mockquay__/clock", json={"advance": 60}).status_code == 200
    assert stored(test_client, "repositories", f"{ORG}/app")["state"] == "ORG_MIRROR"
    return test_client


def _add_repository(test_client, name="extra"):
    emulator_of(test_client.application).seed({"repositories": [{"name": f"{ORG}/{name}"}]})


# -- refusals after a create over HTTP (spec section 2.3) -----------------------------------


def test_create_repo_is_refused_after_a_create_over_http():
    response = created(client()).post("/api/v1/repository", json=NEW_REPO, headers=headers("owner"))
    assert_answer(response, 400, api_error(400, CREATE_REPO_REFUSED), JSON)


def test_create_repo_passes_again_after_the_config_is_deleted():
    test_client = created(client())
    assert test_client.delete(MIRROR, headers=headers("owner")).status_code == 204
    response = test_client.post("/api/v1/repository", json=NEW_REPO, headers=headers("owner"))
    assert response.status_code == 201


def test_change_repo_state_is_refused_after_a_create_over_http():
    test_client = created(client())
    _add_repository(test_client)
    response = test_client.put(
        f"/api/v1/repository/{ORG}/extra/changestate",
        json={"state": "READ_ONLY"},
        headers=headers("owner"),
    )
    assert_answer(response, 400, detail_answer(STATE_CHANGE_REFUSED), JSON)
    assert stored(test_client, "repositories", f"{ORG}/extra")["state"] == "NORMAL"


def test_change_repo_state_of_a_discovered_repository_names_its_org_mirror_state():
    """The repository's own ``ORG_MIRROR`` state is checked first."""
    test_client = _synced(created(client()))
    response = test_client.put(
        f"/api/v1/repository/{ORG}/app/changestate",
        json={"state": "NORMAL"},
        headers=headers("owner"),
    )
    detail = "ORG_MIRROR state is managed by organization-level mirroring"
    assert_answer(response, 400, detail_answer(detail), JSON)


@pytest.mark.parametrize("method", ["post", "put"])
def test_repository_mirror_create_and_change_are_refused_after_a_create_over_http(method):
    test_client = _synced(created(client()))
    body = {**CREATE_BODY, "robot_username": f"{ORG}+mirrorbot"}
    response = getattr(test_client, method)(
        f"/api/v1/repository/{ORG}/app/mirror", json=body, headers=headers("owner")
    )
    assert_answer(response, 400, api_error(400, REPO_MIRROR_REFUSED), JSON)
    assert stored(test_client, "mirrors", f"{ORG}/app") is None


# -- the state export ------------------------------------------------------------------------


def _organization(document, name=ORG):
    return next(org for org in document["organizations"] if org["name"] == name)


def test_export_org_mirror_follows_the_config():
    test_client = created(client())
    assert _organization(state(test_client))["org_mirror"] is True
    assert _organization(state(test_client), "busy")["org_mirror"] is False
    assert test_client.delete(MIRROR, headers=headers("owner")).status_code == 204
    assert _organization(state(test_client))["org_mirror"] is False
    assert state(test_client)["org_mirrors"] == []


def test_export_has_the_config_and_its_repository_rows():
    test_client = _synced(created(client()))
    (exported,) = state(test_client)["org_mirrors"]
    rows = exported.pop("repositories")
    assert exported == {
        "organization": ORG,
        "is_enabled": True,
        "external_registry_type": "quay",
        "external_registry_url": "https://source.example.com",
        "external_namespace": "projectx",
        "external_registry_username": None,
        "external_registry_password": None,
        "external_registry_config": {},
        "repository_filters": [],
        "robot_username": f"{ORG}+mirrorbot",
        "visibility": "private",
        "sync_interval": 3600,
        "sync_start_date": "2026-01-01T01:00:00Z",
        "sync_expiration_date": None,
        "sync_status": "SUCCESS",
        "sync_retries_remaining": 3,
        "skopeo_timeout": 300,
        "creation_date": "2026-01-01T00:00:00Z",
    }
    assert [row["name"] for row in rows] == ["app", "db", "tools-cli"]
    assert rows[0] == {
        "name": "app",
        "sync_status": "SUCCESS",
        "sync_retries_remaining": 3,
        "status_message": None,
        "sync_start_date": "2026-01-01T01:00:00Z",
        "sync_expiration_date": None,
        "discovery_date": "2026-01-01T00:00:00Z",
        "last_sync_date": "2026-01-01T00:00:02Z",
    }


def test_exported_state_loads_back_the_same():
    test_client = _synced(created(client()))
    exported = state(test_client)
    again = client(copy.deepcopy(exported))
    assert state(again) == exported
    listed = again.get(f"{MIRROR}/repositories", headers=headers("owner")).get_json()
    assert listed["repositories"][0]["quay_repository"] == f"{ORG}/app"


# -- fixtures' org_mirrors: ----------------------------------------------------------------


def _declared(**changes):
    document = world()
    entry = {"organization": ORG, **CREATE, **changes}
    document["org_mirrors"] = [entry]
    return document


def test_a_declared_config_is_what_get_answers():
    document = _declared(
        sync_status="SYNCING",
        sync_expiration_date="2026-01-01T00:30:00Z",
        creation_date="2025-12-01T00:00:00Z",
        repositories=[{"name": "app", "sync_status": "SUCCESS"}, {"name": "db"}],
    )
    body = client(document).get(MIRROR, headers=headers("owner")).get_json()
    assert (body["sync_status"], body["sync_expiration_date"], body["creation_date"]) == (
        "SYNCING",
        "2026-01-01T00:30:00Z",
        "2025-12-01T00:00:00Z",
    )
    counts = body["repo_sync_status_counts"]
    assert (counts["SUCCESS"], counts["NEVER_RUN"]) == (1, 1)


def test_sync_now_is_refused_while_a_declared_discovery_runs():
    test_client = client(_declared(sync_status="SYNCING"))
    response = test_client.post(f"{MIRROR}/sync-now", headers=headers("owner"))
    detail = "Cannot trigger sync: discovery is currently in progress."
    assert_answer(response, 400, api_error(400, detail), JSON)


def test_a_declared_config_refuses_create_repo():
    test_client = client(_declared())
    response = test_client.post("/api/v1/repository", json=NEW_REPO, headers=headers("owner"))
    assert_answer(response, 400, api_error(400, CREATE_REPO_REFUSED), JSON)


def test_declared_rows_are_linked_to_existing_repositories():
    document = _declared(repositories=[{"name": "app"}, {"name": "db"}])
    document["repositories"] = [{"name": f"{ORG}/app", "state": "ORG_MIRROR"}]
    listed = client(document).get(f"{MIRROR}/repositories", headers=headers("owner")).get_json()
    assert [row["quay_repository"] for row in listed["repositories"]] == [f"{ORG}/app", None]


def _problems(document):
    with pytest.raises(FixtureError) as raised:
        client(document)
    return raised.value.problems


def test_org_mirror_true_without_a_config_is_a_fixture_problem():
    document = world()
    document["organizations"][0]["org_mirror"] = True
    assert _problems(document) == [
        "<state>: organizations[0]: org_mirror is true but no org_mirrors entry configures 'target'"
    ]


def test_org_mirror_false_with_a_config_is_a_fixture_problem():
    document = _declared()
    document["organizations"][0]["org_mirror"] = False
    assert _problems(document) == [
        "<state>: organizations[0]: org_mirror is false but an org_mirrors entry configures "
        "'target'"
    ]


def test_org_mirror_true_with_a_config_loads():
    document = _declared()
    document["organizations"][0]["org_mirror"] = True
    assert _organization(state(client(document)))["org_mirror"] is True


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"organization": "nope"}, "org_mirrors[0] (nope): unknown organization 'nope'"),
        (
            {"robot_username": "target+ghost"},
            "org_mirrors[0] (target): unknown robot 'target+ghost'",
        ),
        (
            {"robot_username": "busy+bot"},
            "org_mirrors[0] (target): robot 'busy+bot' does not belong to 'target'",
        ),
        (
            {"sync_interval": 59},
            "org_mirrors[0] (target): sync_interval must be an integer from 60 to 2147483647",
        ),
        (
            {"external_registry_type": "gitlab"},
            "org_mirrors[0] (target): external_registry_type must be one of harbor, quay",
        ),
        (
            {"repositories": [{"name": "app", "sync_status": "DONE"}]},
            "org_mirrors[0] (target).repositories.0.sync_status: sync_status must be one of "
            "CANCEL, FAIL, NEVER_RUN, SUCCESS, SYNCING, SYNC_NOW, SKIP",
        ),
    ],
)
def test_org_mirrors_entry_problems(changes, problem):
    assert _problems(_declared(**changes)) == [f"<state>: {problem}"]


def test_org_mirrors_entry_missing_keys_are_told_together():
    document = world()
    document["org_mirrors"] = [{"organization": ORG}]
    assert _problems(document) == [
        "<state>: org_mirrors[0]: missing key(s): external_registry_type, external_registry_url, "
        "external_namespace, robot_username, visibility, sync_interval, sync_start_date"
    ]


def test_deleting_the_organization_takes_its_org_mirror_config_with_it():
    """``delete_user`` of the org removes its ``OrgMirrorConfig`` and repository rows: an org of
    the same name made again has no org mirror (``data/model/user.py``, ``org_mirror.py``)."""
    test_client = _synced(created(client()))
    response = test_client.delete(f"/api/v1/organization/{ORG}", headers=headers("owner"))
    assert (response.status_code, response.data) == (204, b"")
    after = state(test_client)
    assert after["org_mirrors"] == []
    assert ORG not in [org["name"] for org in after["organizations"]]
    again = test_client.post("/api/v1/organization/", json={"name": ORG}, headers=headers("owner"))
    assert again.status_code == 201
    assert test_client.get(MIRROR, headers=headers("owner")).status_code == 404
