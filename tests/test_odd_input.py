"""Inputs that once raised inside mockquay: each now gets a clear 4xx or Quay's own marked 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from support.world import ACME_CREATE_BODY as CREATE

from mockquay.app import create_app
from mockquay.domain.keys import ROBOTS
from mockquay.faults.rules import FaultRuleError, parse_rule
from mockquay.fixtures.loader import FixtureError
from mockquay.quay_api.answers import EMULATED_HEADER
from mockquay.settings import Settings
from mockquay.store import Store

ADMIN = {"Authorization": "Bearer admin-token"}
JSON = {"Content-Type": "application/json"}
MIRROR = "/api/v1/repository/acme/etcd/mirror"
GUNICORN_500_TITLE = b"<title>Internal Server Error</title>"


def nested(depth: int) -> str:
    """``{"a": {"a": ... 1}}``, ``depth`` objects deep, as JSON text."""
    return '{"a":' * depth + "1" + "}" * depth


def depth_of(value: Any) -> int:
    """How many objects deep ``nested`` text parsed to (without recursion)."""
    depth = 0
    while isinstance(value, dict):
        value, depth = value["a"], depth + 1
    assert value == 1
    return depth


def state(client: FlaskClient) -> dict:
    return client.get("/__mockquay__/state").get_json()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/__mockquay__/seed"),
        ("PUT", "/__mockquay__/state"),
        ("POST", "/__mockquay__/faults"),
        ("POST", "/__mockquay__/worker/claim"),
    ],
)
def test_admin_body_nested_past_the_parser_limit_is_400_and_changes_nothing(
    client: FlaskClient, method: str, path: str
) -> None:
    before = state(client)
    response = client.open(path, method=method, data="[" * 1000 + "]" * 1000, headers=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": "the JSON body is nested too deeply"}
    assert state(client) == before


def test_external_registry_config_nested_600_deep_is_stored_and_served(
    client: FlaskClient,
) -> None:
    body = json.dumps(CREATE)[:-1] + f', "external_registry_config": {nested(600)}}}'
    path = "/api/v1/repository/acme/app/mirror"
    created = client.post(path, data=body, headers={**ADMIN, **JSON})
    assert (created.status_code, created.data) == (201, b'""\n')
    response = client.get(path, headers=ADMIN)
    assert response.status_code == 200
    assert depth_of(response.get_json()["external_registry_config"]) == 600
    exported = client.get("/__mockquay__/state")
    assert exported.status_code == 200
    mirror = next(m for m in exported.get_json()["mirrors"] if m["repository"] == "acme/app")
    assert depth_of(mirror["external_registry_config"]) == 600


def test_robot_unstructured_metadata_nested_600_deep_is_stored_and_served(
    client: FlaskClient,
) -> None:
    path = "/api/v1/organization/acme/robots/deep"
    body = f'{{"unstructured_metadata": {nested(600)}}}'
    created = client.put(path, data=body, headers={**ADMIN, **JSON})
    assert created.status_code == 201
    assert depth_of(created.get_json()["unstructured_metadata"]) == 600
    response = client.get(path, headers=ADMIN)
    assert response.status_code == 200
    assert depth_of(response.get_json()["unstructured_metadata"]) == 600


def test_store_copies_a_value_far_deeper_than_the_recursion_limit() -> None:
    deep = json.loads(nested(500))
    innermost = deep
    for _ in range(4500):
        innermost = {"a": innermost}
    store = Store()
    with store.transaction() as tx:
        tx.put(ROBOTS, "acme+deep", {"unstructured_metadata": innermost})
    with store.transaction() as tx:
        copy = tx.get(ROBOTS, "acme+deep")["unstructured_metadata"]
    assert copy is not innermost
    assert depth_of(copy) == 5000


def test_store_copy_keeps_key_order_and_shares_nothing() -> None:
    doc = {"b": [1, {"c": [2, 3]}, []], "a": {"z": None, "y": "text"}}
    store = Store()
    with store.transaction() as tx:
        tx.put("kind", "key", doc)
    with store.transaction() as tx:
        copy = tx.get("kind", "key")
    assert copy == doc
    assert list(copy) == ["b", "a"] and list(copy["a"]) == ["z", "y"]
    assert copy["b"] is not doc["b"] and copy["b"][1]["c"] is not doc["b"][1]["c"]


def test_lone_surrogate_robot_username_is_quays_database_crash_marked_emulated(
    client: FlaskClient,
) -> None:
    # Quay's lookup_robot sends the name to the database, whose driver cannot encode it.
    before = client.get(MIRROR, headers=ADMIN).get_json()
    body = '{"robot_username": "acme+\\ud800"}'
    response = client.put(MIRROR, data=body, headers={**ADMIN, **JSON})
    assert response.status_code == 500
    assert response.headers[EMULATED_HEADER] == (
        "UnicodeEncodeError: a lone surrogate reached the database"
    )
    assert GUNICORN_500_TITLE in response.data
    assert client.get(MIRROR, headers=ADMIN).get_json() == before


def test_lone_surrogate_repository_name_is_quays_database_crash_marked_emulated(
    client: FlaskClient,
) -> None:
    # Quay's createRepo asks repo_exists before it checks the name against its regex.
    body = (
        '{"repository": "x\\ud800", "namespace": "acme", "visibility": "private", '
        '"description": ""}'
    )
    response = client.post("/api/v1/repository", data=body, headers={**ADMIN, **JSON})
    assert response.status_code == 500
    assert response.headers[EMULATED_HEADER] == (
        "UnicodeEncodeError: a lone surrogate reached the database"
    )
    listed = client.get("/api/v1/repository?namespace=acme", headers=ADMIN).get_json()
    assert sorted(repo["name"] for repo in listed["repositories"]) == [
        "app",
        "etcd",
        "public-base",
    ]


def test_logs_endtime_on_the_last_representable_day_is_quays_overflow_crash_marked_emulated(
    client: FlaskClient,
) -> None:
    # Quay's _validate_logs_arguments adds a day to 12/31/9999 without catching OverflowError.
    response = client.get("/api/v1/repository/acme/etcd/logs?endtime=12/31/9999", headers=ADMIN)
    assert response.status_code == 500
    assert response.headers[EMULATED_HEADER] == "OverflowError: date value out of range"
    assert GUNICORN_500_TITLE in response.data


def test_logs_endtime_the_day_before_is_answered(client: FlaskClient) -> None:
    response = client.get("/api/v1/repository/acme/etcd/logs?endtime=12/30/9999", headers=ADMIN)
    assert response.status_code == 200
    assert response.get_json()["end_time"] == "Fri, 31 Dec 9999 00:00:00 -0000"


@pytest.mark.parametrize("value", ["\u2603", "a\x00b", "bell\x07"])
def test_fault_rule_header_value_http_cannot_carry_is_refused_at_install(
    client: FlaskClient, value: str
) -> None:
    rule = {"status": 503, "headers": {"X-Odd": value}}
    response = client.post("/__mockquay__/faults", json=rule)
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "invalid fault rule: headers.X-Odd: must be Latin-1 text without control "
        "characters",
        "field": "headers.X-Odd",
        "problems": ["headers.X-Odd: must be Latin-1 text without control characters"],
    }
    assert client.get("/__mockquay__/faults").get_json()["rules"] == []


def test_fault_rule_header_value_in_latin1_is_installed_and_sent(client: FlaskClient) -> None:
    rule = {"status": 503, "headers": {"X-Odd": "caf\u00e9\tok"}}
    assert client.post("/__mockquay__/faults", json=rule).status_code == 201
    response = client.get(MIRROR, headers=ADMIN)
    assert response.status_code == 503
    assert response.headers["X-Odd"] == "caf\u00e9\tok"


def test_fault_rule_text_body_with_lone_surrogate_is_invalid() -> None:
    with pytest.raises(FaultRuleError) as raised:
        parse_rule({"id": "odd", "status": 200, "body": "x\ud800"})
    assert raised.value.problems == [
        ("body", "must be Unicode text without lone surrogates (\\ud800)")
    ]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/__mockquay__/faults", '{"status": 200, "body": "\\ud800"}'),
        ("/__mockquay__/seed", '{"robots": [{"name": "acme+\\ud800"}]}'),
        ("/__mockquay__/worker/claim", '{"repository": "acme/\\udc00"}'),
    ],
)
def test_admin_body_with_a_lone_surrogate_is_400_and_changes_nothing(
    client: FlaskClient, path: str, body: str
) -> None:
    before = state(client)
    response = client.post(path, data=body, headers=JSON)
    assert response.status_code == 400
    assert response.get_json() == {"error": "the JSON body holds a lone surrogate (\\ud800)"}
    assert state(client) == before


def test_fault_rules_whose_id_is_not_text_are_400(client: FlaskClient) -> None:
    response = client.post("/__mockquay__/faults", json=[{"id": [], "status": 503}])
    assert response.status_code == 400
    assert response.get_json()["field"] == "[0].id"


def test_a_faults_file_with_a_header_http_cannot_carry_is_refused_at_boot(tmp_path) -> None:
    rules = tmp_path / "faults.json"
    rules.write_text(json.dumps([{"id": "odd", "status": 503, "headers": {"X-Odd": "\u2603"}}]))
    with pytest.raises(FixtureError) as raised:
        create_app(Settings(faults=(str(rules),)))
    assert raised.value.problems == [
        f"{rules}: faults[0]: headers.X-Odd: must be Latin-1 text without control characters"
    ]
