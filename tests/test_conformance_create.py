"""Conformance: ``createRepoMirrorConfig`` (POST ``.../mirror``, spec section 2.2).

Each failure path of Quay's handler, in Quay's order: a request wrong in two ways gets the
answer of the check that comes first. Then the success: ``""`` 201, the stored defaults, the
repository state and the audit entry.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from support.conformance import (
    BAD_DATE,
    CREATED,
    EMPTY_RULE,
    GUNICORN_500,
    JSON,
    LOCATION_NOT_ALLOWED,
    NO_ROBOT,
    ORG_MIRROR_CONFLICT,
    ORGREPO,
    SIMPLE,
    SPARSE_OFF,
    api_error,
    assert_answer,
    assert_schema_error,
    audit_log,
    changes,
    client_for,
    detail_answer,
    dme,
    mirror_path,
    org_world,
    permission_of,
    state,
    stored,
    view,
)
from support.world import ALL_PROFILES, CREATE_BODY, auth, quay_test_world

BOT = "devtable+newmirrorbot"


def body(**fields: Any) -> dict[str, Any]:
    """Create body "B" for ``devtable/simple`` with robot ``devtable+newmirrorbot``."""
    created = copy.deepcopy(CREATE_BODY)
    created["robot_username"] = BOT
    created.update(fields)
    return created


def without(document: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in keys}


def world(**settings: Any) -> dict[str, Any]:
    """Quay's test world without the mirror on ``devtable/simple``."""
    return quay_test_world(mirror=False, **settings)


def post(client, created: dict[str, Any], repository: str = SIMPLE):
    return client.post(mirror_path(repository), headers=auth("devtable"), json=created)


# Step 9 before step 10: the body is checked before the repository is looked up.


def test_schema_error_comes_before_a_missing_repository():
    client = client_for(world())
    before = state(client)
    response = post(client, without(body(), "sync_interval"), "devtable/unicorn")
    assert_schema_error(response, "'sync_interval' is a required property")
    assert state(client) == before


# Step 10: the repository.


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_missing_repository_is_404(profile):
    client = client_for(world(), profile)
    before = state(client)
    assert_answer(post(client, body(), "devtable/unicorn"), 404, api_error(404), JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_repository_marked_for_deletion_is_404(profile):
    document = world()
    document["repositories"][0]["state"] = "MARKED_FOR_DELETION"
    client = client_for(document, profile)
    before = state(client)
    assert_answer(post(client, body()), 404, api_error(404), JSON)
    assert state(client) == before


def test_missing_repository_comes_before_the_org_mirror_conflict():
    client = client_for(org_world(org_mirror=True))
    before = state(client)
    response = post(client, body(robot_username="buynlarge+coolrobot"), "buynlarge/unicorn")
    assert_answer(response, 404, api_error(404), JSON)
    assert state(client) == before


# Step 11: an organization with an org-level mirror.


def test_org_mirror_conflict_is_400_invalid_request():
    client = client_for(org_world(org_mirror=True))
    before = state(client)
    response = post(client, body(robot_username="buynlarge+coolrobot"), ORGREPO)
    assert_answer(response, 400, api_error(400, ORG_MIRROR_CONFLICT), JSON)
    assert state(client) == before


def test_org_mirror_conflict_comes_before_an_existing_mirror():
    client = client_for(org_world(org_mirror=True, repo_mirror=True))
    before = state(client)
    response = post(client, body(robot_username="buynlarge+coolrobot"), ORGREPO)
    assert_answer(response, 400, api_error(400, ORG_MIRROR_CONFLICT), JSON)
    assert state(client) == before


# Step 12: a mirror already exists.


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_existing_mirror_is_409_with_quays_typo(profile):
    client = client_for(quay_test_world(), profile)
    before = state(client)
    response = post(client, body())
    expected = detail_answer("Mirror configuration already exits for repository devtable/simple")
    assert_answer(response, 409, expected, JSON)
    assert state(client) == before


@pytest.mark.parametrize(
    "fields",
    [
        {"external_reference": "10.0.0.1/team/repo"},
        {"sync_start_date": "not-a-date"},
        {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": []}},
        {"robot_username": "devtable+doesntExist"},
        {"unknown_key": 1},
    ],
    ids=["blocked-reference", "bad-date", "empty-rule", "unknown-robot", "unknown-key"],
)
def test_existing_mirror_comes_before_every_body_check(fields):
    client = client_for(quay_test_world())
    before = state(client)
    response = post(client, body(**fields))
    expected = detail_answer("Mirror configuration already exits for repository devtable/simple")
    assert_answer(response, 409, expected, JSON)
    assert state(client) == before


# Step 13: external_reference (SSRF and format, spec section 4.3).


@pytest.mark.parametrize(
    ("reference", "detail"),
    [
        ("169.254.169.254/latest/meta-data", LOCATION_NOT_ALLOWED),
        ("localhost/team/repo", LOCATION_NOT_ALLOWED),
        ("registry.corp.internal/team/repo", LOCATION_NOT_ALLOWED),
        ("resolves-private.example.com/team/repo", LOCATION_NOT_ALLOWED),
        ("", "External registry reference is required"),
        ("example.com", "External registry reference must include a repository path"),
        ("https://quay.io/team/repo", "External registry reference must not include a URL scheme"),
        (" quay.io/team/repo", "External registry reference must not include whitespace"),
        ("quay.io/team/repo?x", "External registry reference contains an invalid character"),
        ("quay.io:99999/team/repo", "External registry reference contains an invalid registry "
         "authority"),
        ("host:/x", "External registry reference contains an invalid registry port"),
        ("user@quay.io/team/repo", "External registry reference must include a valid registry "
         "hostname"),
        ("unresolvable.example.com/team/repo", "Cannot resolve hostname "
         "'unresolvable.example.com'"),
    ],
    ids=["metadata-address", "localhost", "internal-name", "resolves-private", "empty", "no-path",
         "scheme", "whitespace", "query", "bad-port-number", "empty-port", "userinfo",
         "unresolvable"],
)  # fmt: skip
def test_rejected_reference_is_400_and_creates_nothing(reference, detail):
    dns = {"resolves-private.example.com": "192.168.1.10", "unresolvable.example.com": None}
    client = client_for(world(dns=dns))
    before = state(client)
    response = post(client, body(external_reference=reference))
    assert_answer(response, 400, api_error(400, detail), JSON)
    assert state(client) == before
    assert permission_of(client, SIMPLE, BOT) is None


def test_rejected_reference_comes_before_the_sparse_index_check():
    client = client_for(world())
    before = state(client)
    response = post(client, body(external_reference="10.0.0.1/x", architecture_filter=["amd64"]))
    assert_answer(response, 400, api_error(400, LOCATION_NOT_ALLOWED), JSON)
    assert state(client) == before


# Steps 14 and 15: architecture_filter.


def test_architecture_filter_with_sparse_off_comes_before_invalid_values():
    client = client_for(world())
    before = state(client)
    response = post(client, body(architecture_filter=["invalid_arch"]))
    assert_answer(response, 400, detail_answer(SPARSE_OFF), JSON)
    assert state(client) == before


def test_sparse_off_comes_before_a_bad_date():
    client = client_for(world())
    before = state(client)
    response = post(client, body(architecture_filter=["amd64"], sync_start_date="nope"))
    assert_answer(response, 400, detail_answer(SPARSE_OFF), JSON)
    assert state(client) == before


@pytest.mark.parametrize(
    ("architectures", "invalid"),
    [
        (["invalid_arch"], "invalid_arch"),
        (["amd64", "zz", "AMD64", "i386"], "AMD64, i386, zz"),
        (["x86_64", "x86_64"], "x86_64"),
    ],
    ids=["one", "sorted-case-sensitive", "duplicates"],
)
def test_invalid_architectures_are_400_sorted(architectures, invalid):
    client = client_for(world(features={"SUPERUSERS_FULL_ACCESS": True, "SPARSE_INDEX": True}))
    before = state(client)
    response = post(client, body(architecture_filter=architectures))
    assert_answer(response, 400, detail_answer(f"Invalid architectures: {invalid}"), JSON)
    assert state(client) == before


def test_invalid_architectures_come_before_a_bad_date():
    client = client_for(world(features={"SUPERUSERS_FULL_ACCESS": True, "SPARSE_INDEX": True}))
    response = post(client, body(architecture_filter=["mips"], sync_start_date="nope"))
    assert_answer(response, 400, detail_answer("Invalid architectures: mips"), JSON)


@pytest.mark.parametrize("value", [[], None], ids=["empty", "null"])
def test_empty_architecture_filter_passes_with_sparse_off(value):
    client = client_for(world())
    assert_answer(post(client, body(architecture_filter=value)), 201, CREATED, JSON)
    assert view(client, SIMPLE)["architecture_filter"] == []


# Step 17: sync_start_date.


@pytest.mark.parametrize(
    "date",
    [
        "not-a-date",
        "2020-01-01T00:00:00.00Z",
        "2020-01-01T00:00:00+00:00",
        "2020-01-01T00:00:00",
        "2020-01-01 00:00:00Z",
        "Wed, 01 Jan 2020 00:00:00 -0000",
        "",
    ],
)
def test_bad_date_is_400_and_creates_nothing(date):
    client = client_for(world())
    before = state(client)
    assert_answer(post(client, body(sync_start_date=date)), 400, detail_answer(BAD_DATE), JSON)
    assert state(client) == before


@pytest.mark.parametrize(
    ("date", "shown"),
    [("2020-1-2T3:4:5Z", "2020-01-02T03:04:05Z"), ("1999-12-31T23:59:59Z", "1999-12-31T23:59:59Z")],
    ids=["single-digit-fields", "past"],
)
def test_dates_strptime_accepts(date, shown):
    client = client_for(world())
    assert_answer(post(client, body(sync_start_date=date)), 201, CREATED, JSON)
    assert view(client, SIMPLE)["sync_start_date"] == shown


def test_bad_date_comes_before_an_empty_rule():
    client = client_for(world())
    rule = {"rule_kind": "tag_glob_csv", "rule_value": []}
    response = post(client, body(sync_start_date="nope", root_rule=rule))
    assert_answer(response, 400, detail_answer(BAD_DATE), JSON)


# Step 18: an empty rule.


def test_empty_rule_is_400_and_creates_nothing():
    client = client_for(world())
    before = state(client)
    response = post(client, body(root_rule={"rule_kind": "tag_glob_csv", "rule_value": []}))
    assert_answer(response, 400, api_error(400, EMPTY_RULE), JSON)
    assert state(client) == before


def test_empty_rule_comes_before_a_missing_robot():
    client = client_for(world())
    before = state(client)
    created = without(
        body(root_rule={"rule_kind": "tag_glob_csv", "rule_value": []}), "robot_username"
    )
    assert_answer(post(client, created), 400, api_error(400, EMPTY_RULE), JSON)
    assert state(client) == before


# Step 19: robot_username is read but not required by the schema.


def test_missing_robot_is_the_emulated_500_and_creates_no_mirror():
    client = client_for(world())
    before = state(client)
    response = post(client, without(body(), "robot_username"))
    assert_answer(response, 500, GUNICORN_500, "text/html")
    assert response.headers["X-Mockquay-Emulated"].startswith("KeyError")
    assert state(client) == before


def test_missing_robot_comes_before_an_unknown_key():
    client = client_for(world())
    response = post(client, without(body(unknown_key=1), "robot_username"))
    assert response.headers["X-Mockquay-Emulated"].startswith("KeyError")


# Steps 20 and 21: the robot.


@pytest.mark.parametrize(
    "robot",
    ["devtable+doesntExist", "freshuser", "devtable", "buynlarge+doesntExist", "devtable+rôbot"],
    ids=["unknown-robot", "a-user", "the-namespace", "unknown-robot-of-another-ns", "non-ascii"],
)
def test_robot_that_does_not_exist_is_400_dme_and_creates_nothing(robot):
    client = client_for(world())
    before = state(client)
    assert_answer(post(client, body(robot_username=robot)), 400, dme(NO_ROBOT), JSON)
    assert state(client) == before


def test_robot_of_another_namespace_is_400_invalid_robot_and_creates_nothing():
    client = client_for(world())
    before = state(client)
    response = post(client, body(robot_username="buynlarge+coolrobot"))
    assert_answer(response, 400, dme("Invalid robot"), JSON)
    assert state(client) == before


def test_user_robot_on_an_org_repository_is_invalid_robot():
    client = client_for(world())
    before = state(client)
    response = post(client, body(), ORGREPO)
    assert_answer(response, 400, dme("Invalid robot"), JSON)
    assert state(client) == before


def test_invalid_robot_comes_before_an_unknown_key():
    client = client_for(world())
    before = state(client)
    response = post(client, body(robot_username="buynlarge+coolrobot", unknown_key=1))
    assert_answer(response, 400, dme("Invalid robot"), JSON)
    assert state(client) == before


# Step 22: an unknown key crashes enable_mirroring_for_repository after the robot was granted.


@pytest.mark.parametrize(
    ("existing", "after"),
    [(None, "write"), ("read", "write"), ("write", "write"), ("admin", "admin")],
    ids=["none", "read", "write", "admin"],
)
@pytest.mark.parametrize("key", ["unknown_key", "mirror_type"])
def test_unknown_key_is_the_emulated_500_and_keeps_the_robot_grant(key, existing, after):
    document = world()
    if existing is not None:
        document["repositories"][0]["permissions"][BOT] = existing
    client = client_for(document)
    before = state(client)
    response = post(client, body(**{key: "PULL"}))
    assert_answer(response, 500, GUNICORN_500, "text/html")
    assert key in response.headers["X-Mockquay-Emulated"]
    assert response.headers["X-Mockquay-Emulated"].startswith("TypeError")
    assert stored(client, "mirrors", SIMPLE) is None
    assert permission_of(client, SIMPLE, BOT) == after
    expected = copy.deepcopy(before)
    for repository in expected["repositories"]:
        if repository["name"] == SIMPLE:
            repository["permissions"][BOT] = after
    assert state(client) == expected
    assert audit_log(client, SIMPLE) == []


# Success.


def test_create_answers_201_with_a_json_empty_string():
    client = client_for(world())
    response = post(client, body())
    assert_answer(response, 201, CREATED, JSON)
    assert response.headers["Content-Length"] == "3"


def test_create_stores_quays_defaults():
    client = client_for(world())
    assert_answer(post(client, body()), 201, CREATED, JSON)
    mirror = stored(client, "mirrors", SIMPLE)
    mirror.pop("sync_transaction_id")
    assert mirror == {
        "is_enabled": True,
        "external_reference": "quay.io/foobar/barbaz",
        "external_registry_username": None,
        "external_registry_password": None,
        "external_registry_config": {},
        "sync_interval": 100,
        "sync_start_date": "2019-08-20T17:51:00",
        "sync_expiration_date": None,
        "sync_retries_remaining": 3,
        "sync_status": "NEVER_RUN",
        "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest"]},
        "robot_username": BOT,
        "skopeo_timeout_interval": 300,
        "architecture_filter": [],
    }


def test_create_then_get_shows_the_defaults_in_quays_key_order():
    client = client_for(world())
    assert_answer(post(client, body()), 201, CREATED, JSON)
    response = client.get(mirror_path(SIMPLE), headers=auth("devtable"))
    assert_answer(
        response,
        200,
        b'{"is_enabled": true, "mirror_type": "PULL", "external_reference": '
        b'"quay.io/foobar/barbaz", "external_registry_username": null, '
        b'"external_registry_config": {}, "sync_interval": 100, '
        b'"sync_start_date": "2019-08-20T17:51:00Z", "sync_expiration_date": null, '
        b'"sync_retries_remaining": 3, "sync_status": "NEVER_RUN", '
        b'"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest"]}, '
        b'"robot_username": "devtable+newmirrorbot", "skopeo_timeout_interval": 300, '
        b'"architecture_filter": []}\n',
        JSON,
    )


def test_create_sets_the_repository_state_to_mirror():
    client = client_for(world())
    assert stored(client, "repositories", SIMPLE)["state"] == "NORMAL"
    assert_answer(post(client, body()), 201, CREATED, JSON)
    assert stored(client, "repositories", SIMPLE)["state"] == "MIRROR"
    response = client.get(f"/api/v1/repository/{SIMPLE}", headers=auth("devtable"))
    assert (response.status_code, response.json["state"]) == (200, "MIRROR")


@pytest.mark.parametrize("value", ["", None], ids=["empty", "null"])
def test_create_stores_falsy_credentials_as_none(value):
    client = client_for(world())
    created = body(external_registry_username=value, external_registry_password=value)
    assert_answer(post(client, created), 201, CREATED, JSON)
    mirror = stored(client, "mirrors", SIMPLE)
    assert (mirror["external_registry_username"], mirror["external_registry_password"]) == (
        None,
        None,
    )
    assert view(client, SIMPLE)["external_registry_username"] is None


def test_create_keeps_credentials_and_never_returns_the_password():
    client = client_for(world())
    created = body(external_registry_username="alice", external_registry_password="s3cret")
    assert_answer(post(client, created), 201, CREATED, JSON)
    assert stored(client, "mirrors", SIMPLE)["external_registry_password"] == "s3cret"
    response = client.get(mirror_path(SIMPLE), headers=auth("devtable"))
    assert response.json["external_registry_username"] == "alice"
    assert b"s3cret" not in response.data
    assert b"password" not in response.data


def test_create_stores_the_registry_config_verbatim():
    config = {"verify_tls": False, "proxy": {"no_proxy": "x"}, "mystery": [1, {"a": None}]}
    client = client_for(world())
    assert_answer(post(client, body(external_registry_config=config)), 201, CREATED, JSON)
    assert view(client, SIMPLE)["external_registry_config"] == config


def test_create_stores_is_enabled_false():
    client = client_for(world())
    assert_answer(post(client, body(is_enabled=False)), 201, CREATED, JSON)
    assert view(client, SIMPLE)["is_enabled"] is False


def test_create_writes_one_audit_entry():
    client = client_for(world())
    assert_answer(post(client, body()), 201, CREATED, JSON)
    [entry] = audit_log(client, SIMPLE)
    assert entry["kind"] == "repo_mirror_config_changed"
    assert entry["performer"] == "devtable"
    assert entry["metadata"]["changed"] == "external_reference"
    assert entry["metadata"]["to"] == "quay.io/foobar/barbaz"
    assert (entry["metadata"]["namespace"], entry["metadata"]["repo"]) == ("devtable", "simple")
    assert changes(client, SIMPLE) == [("external_reference", "quay.io/foobar/barbaz")]


def test_create_of_a_mirror_repository_keeps_it_mirror():
    document = world()
    document["repositories"][0]["state"] = "MIRROR"
    client = client_for(document)
    assert_answer(post(client, body()), 201, CREATED, JSON)
    assert stored(client, "repositories", SIMPLE)["state"] == "MIRROR"


def test_create_in_a_nested_repository():
    document = world()
    document["repositories"].append({"name": "devtable/a/b"})
    client = client_for(document)
    assert_answer(post(client, body(), "devtable/a/b"), 201, CREATED, JSON)
    assert view(client, "devtable/a/b")["robot_username"] == BOT
    assert stored(client, "mirrors", SIMPLE) is None
    assert permission_of(client, "devtable/a/b", BOT) == "write"


def test_create_with_forbidden_user_is_403_before_any_check():
    client = client_for(world())
    before = state(client)
    response = client.post(
        mirror_path(SIMPLE), headers=auth("reader"), json=body(robot_username="nope")
    )
    assert_answer(response, 403, api_error(403), JSON)
    assert state(client) == before
