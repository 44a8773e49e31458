"""The request journal: what is recorded, redaction, bounds, filters and its admin API."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime

import pytest
import requests
from support.world import CREATE_BODY, auth, quay_test_world

from mockquay.app import create_app
from mockquay.journal.recorder import (
    BODY_LIMIT,
    ENTRY_BYTES,
    Journal,
    JournalLayer,
    recorded_body,
    redact,
)
from mockquay.quay_api.routing import RouteLayer
from mockquay.server import Server
from mockquay.settings import Settings

ADMIN = {"Authorization": "Bearer admin-token"}
ETCD_MIRROR = "/api/v1/repository/acme/etcd/mirror"
REQUESTS = "/__mockquay__/requests"
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def journal_of(client, query: str = "") -> list[dict]:
    response = client.get(f"{REQUESTS}{query}")
    assert response.status_code == 200
    return response.json["requests"]


def without_time(entry: dict) -> dict:
    for key in ("time", "clock_time"):
        assert TIME.match(entry[key]), entry[key]
    return {key: value for key, value in entry.items() if key not in ("time", "clock_time")}


def test_a_served_request_is_recorded_with_every_field(default_client):
    assert default_client.get(f"{ETCD_MIRROR}?x=1", headers=ADMIN).status_code == 200
    [entry] = journal_of(default_client)
    assert without_time(entry) == {
        "id": 1,
        "method": "GET",
        "path": ETCD_MIRROR,
        "query": "x=1",
        "operation": "getRepoMirrorConfig",
        "repository": "acme/etcd",
        "served": True,
        "status": 200,
        "fault": None,
        "body": None,
    }


def test_each_entry_is_dated_on_mockquays_clock_too():
    """``clock_time`` is the clock of mirror dates and audit log entries; ``time`` the wall's."""
    client = create_app(Settings(worker="off", clock="manual")).test_client()
    set_clock = client.post("/__mockquay__/clock", json={"set": "2031-02-03T04:05:06Z"})
    assert set_clock.status_code == 200
    client.get(ETCD_MIRROR, headers=ADMIN)
    [entry] = journal_of(client)
    assert entry["clock_time"] == "2031-02-03T04:05:06.000Z"
    assert entry["time"][:4] != "2031"


def test_the_journal_answers_json_newest_last(default_client):
    default_client.get(ETCD_MIRROR, headers=ADMIN)
    default_client.post(f"{ETCD_MIRROR}/sync-now", headers=ADMIN)
    response = default_client.get(REQUESTS)
    assert response.content_type == "application/json"
    assert [(e["id"], e["operation"], e["status"]) for e in response.json["requests"]] == [
        (1, "getRepoMirrorConfig", 200),
        (2, "syncNow", 204),
    ]


def test_the_status_is_the_one_answered_even_for_an_error(default_client):
    default_client.get(ETCD_MIRROR)  # anonymous: Quay's 401
    [entry] = journal_of(default_client)
    assert (entry["operation"], entry["status"]) == ("getRepoMirrorConfig", 401)


def test_the_body_is_recorded_with_the_password_redacted(make_client):
    client = make_client(quay_test_world(mirror=False))
    body = {
        **CREATE_BODY,
        "external_registry_username": "fakeUsername",
        "external_registry_password": "fakePassword",
    }
    response = client.post(
        "/api/v1/repository/devtable/simple/mirror", json=body, headers=auth("devtable")
    )
    assert response.status_code == 201
    [entry] = journal_of(client)
    assert entry["body"] == {**body, "external_registry_password": "<redacted>"}
    assert b"fakePassword" not in client.get(REQUESTS).data


def test_the_request_body_still_reaches_quay_after_the_journal_read_it(make_client):
    client = make_client(quay_test_world(mirror=False))
    client.post(
        "/api/v1/repository/devtable/simple/mirror", json=CREATE_BODY, headers=auth("devtable")
    )
    mirror = client.get("/api/v1/repository/devtable/simple/mirror", headers=auth("devtable")).json
    assert mirror["external_reference"] == CREATE_BODY["external_reference"]
    assert mirror["sync_interval"] == CREATE_BODY["sync_interval"]


@pytest.mark.parametrize(
    ("body", "recorded"),
    [
        ({"external_registry_password": "p"}, {"external_registry_password": "<redacted>"}),
        ({"Password": "p", "user": "u"}, {"Password": "<redacted>", "user": "u"}),
        ({"a": {"b": [{"api_token": "t"}]}}, {"a": {"b": [{"api_token": "<redacted>"}]}}),
        ({"token": {"nested": "t"}}, {"token": "<redacted>"}),
        ([{"robot_token": "t"}, 1], [{"robot_token": "<redacted>"}, 1]),
        ({"proxy": {"https_proxy": "p"}}, {"proxy": {"https_proxy": "p"}}),
    ],
    ids=["password", "any-case", "nested-in-list", "whole-value", "top-level-list", "kept"],
)
def test_redact_replaces_every_password_or_token_key(body, recorded):
    assert redact(body) == recorded


@pytest.mark.parametrize(
    ("data", "recorded"),
    [
        (b'{"external_registry_password": "p"}', {"external_registry_password": "<redacted>"}),
        (b"plain text", "plain text"),
        (b"external_registry_password=p&x=1", "<redacted>"),
        (b"TOKEN=t", "<redacted>"),
    ],
    ids=["json", "text-without-secrets", "form-with-password", "text-with-token"],
)
def test_a_body_that_is_not_json_is_kept_only_without_secrets(data, recorded):
    assert recorded_body(data) == recorded


def test_a_body_nested_too_deeply_to_parse_is_kept_as_text_and_quay_still_answers(
    default_client,
):
    data = "[" * 5000 + "]" * 5000
    response = default_client.put(
        ETCD_MIRROR, data=data, headers=ADMIN, content_type="application/json"
    )
    assert response.status_code == 500
    [entry] = journal_of(default_client)
    assert (entry["body"], entry["status"]) == (data, 500)


def test_a_non_json_body_naming_a_password_is_not_kept(default_client):
    default_client.put(ETCD_MIRROR, data="external_registry_password=secret", headers=ADMIN)
    [entry] = journal_of(default_client)
    assert entry["body"] == "<redacted>"
    assert b"secret" not in default_client.get(REQUESTS).data


def test_a_body_larger_than_the_limit_is_not_read_and_quay_answers_413():
    client = create_app(Settings(worker="off", max_body_bytes=100)).test_client()
    response = client.put(ETCD_MIRROR, data=json.dumps({"x": "y" * 200}), headers=ADMIN,
                          content_type="application/json")  # fmt: skip
    assert response.status_code == 413
    [entry] = journal_of(client)
    assert (entry["body"], entry["status"]) == (None, 413)


@pytest.mark.parametrize(
    "path",
    ["/__mockquay__/health", "/__mockquay__/state", "/v2/", "/health", "/apis/v1/x"],
)
def test_requests_outside_quays_api_are_not_recorded(default_client, path):
    default_client.get(path)
    assert journal_of(default_client) == []


def test_a_path_mockquay_does_not_serve_is_recorded_as_unserved(default_client):
    assert default_client.get("/api/v1/not-in-quay/", headers=ADMIN).status_code == 404
    [entry] = journal_of(default_client)
    assert (entry["path"], entry["operation"], entry["repository"]) == (
        "/api/v1/not-in-quay/",
        None,
        None,
    )
    assert (entry["served"], entry["status"]) == (False, 404)


def test_a_served_path_with_another_method_is_served_without_an_operation(default_client):
    assert default_client.patch(ETCD_MIRROR, headers=ADMIN).status_code == 405
    [entry] = journal_of(default_client)
    assert (entry["operation"], entry["served"], entry["status"]) == (None, True, 405)


def test_the_path_is_recorded_as_the_client_sent_it_in_utf8(default_client):
    default_client.get("/api/v1/repository/acme/caf%C3%A9/mirror", headers=ADMIN)
    [entry] = journal_of(default_client)
    assert entry["path"] == "/api/v1/repository/acme/café/mirror"
    assert entry["operation"] == "getRepoMirrorConfig"


def test_the_journal_keeps_only_the_newest_entries_up_to_its_size():
    client = create_app(Settings(worker="off", journal_size=3)).test_client()
    for _ in range(5):
        client.get(ETCD_MIRROR, headers=ADMIN)
    assert [entry["id"] for entry in journal_of(client)] == [3, 4, 5]


def test_a_journal_of_size_zero_records_nothing():
    client = create_app(Settings(worker="off", journal_size=0)).test_client()
    assert client.get(ETCD_MIRROR, headers=ADMIN).status_code == 200
    assert journal_of(client) == []


def test_the_journal_size_comes_from_the_environment():
    assert Settings.from_env({"MOCKQUAY_JOURNAL_SIZE": "42"}).journal_size == 42
    assert Settings.from_env({}).journal_size == 10_000


@pytest.fixture
def busy_client(default_client):
    """A client whose journal holds six requests of several kinds."""
    default_client.get(ETCD_MIRROR, headers=ADMIN)  # 1: 200
    default_client.post(f"{ETCD_MIRROR}/sync-now", headers=ADMIN)  # 2: 204
    default_client.post(f"{ETCD_MIRROR}/sync-cancel", headers=ADMIN)  # 3: 204
    default_client.get("/api/v1/repository/acme/app/mirror", headers=ADMIN)  # 4: 404
    default_client.get("/api/v1/not-in-quay/", headers=ADMIN)  # 5: unserved
    default_client.post(f"{ETCD_MIRROR}/sync-now")  # 6: 403 CSRF
    return default_client


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", [1, 2, 3, 4, 5, 6]),
        ("?operation=syncNow", [2, 6]),
        ("?operation=syncNow&operation=syncCancel", [2, 3, 6]),
        ("?repository=acme/app", [4]),
        ("?method=post", [2, 3, 6]),
        ("?status=404", [4, 5]),
        ("?status=4xx", [4, 5, 6]),
        ("?status=2XX&status=403", [1, 2, 3, 6]),
        ("?served=false", [5]),
        ("?served=true&method=GET", [1, 4]),
        ("?operation=syncNow&status=204", [2]),
        ("?operation=nothing", []),
    ],
)
def test_get_requests_filters(busy_client, query, ids):
    assert [entry["id"] for entry in journal_of(busy_client, query)] == ids


@pytest.mark.parametrize(
    ("query", "error"),
    [
        (
            "?op=syncNow",
            "unknown filter(s) op (known: operation, repository, method, status, served)",
        ),
        ("?status=abc", "status must be a code such as 404 or a class such as 4xx, not 'abc'"),
        ("?status=6xx", "status must be a code such as 404 or a class such as 4xx, not '6xx'"),
        ("?served=no", "'served' must be 'true' or 'false'"),
    ],
)
def test_get_requests_refuses_a_bad_filter(default_client, query, error):
    response = default_client.get(f"{REQUESTS}{query}")
    assert response.status_code == 400
    assert response.json == {"error": error}


def test_delete_requests_empties_the_journal_and_ids_keep_counting(busy_client):
    response = busy_client.delete(REQUESTS)
    assert response.status_code == 200
    assert response.json == {"cleared": 6}
    assert journal_of(busy_client) == []
    busy_client.get(ETCD_MIRROR, headers=ADMIN)
    assert [entry["id"] for entry in journal_of(busy_client)] == [7]


def test_the_journal_api_needs_the_admin_token_when_one_is_set():
    client = create_app(Settings(worker="off", admin_token="sesame")).test_client()
    for response in (client.get(REQUESTS), client.delete(REQUESTS)):
        assert response.status_code == 401
        assert response.json == {"error": "missing or wrong X-Mockquay-Admin-Token header"}
    assert client.get(REQUESTS, headers={"X-Mockquay-Admin-Token": "sesame"}).status_code == 200


def _layer_around(inner) -> tuple[JournalLayer, Journal]:
    app = create_app(Settings(worker="off"))
    journal = Journal()
    layer = JournalLayer(inner, journal, 1024)
    return RouteLayer(layer, app), journal


def _environ(path: str = ETCD_MIRROR + "/sync-now", method: str = "POST") -> dict:
    return {"REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "localhost",
            "SERVER_PORT": "80", "wsgi.url_scheme": "http"}  # fmt: skip


def test_a_faulted_answer_is_recorded_with_the_rule_id():
    def fault_layer(environ, start_response):
        environ["mockquay.fault"] = "sync-503"
        start_response("503 SERVICE UNAVAILABLE", [("X-Mockquay-Fault", "sync-503")])
        return [b""]

    layer, journal = _layer_around(fault_layer)
    layer(_environ(), lambda status, headers, exc_info=None: None)
    [entry] = journal.entries()
    assert (entry["operation"], entry["status"], entry["fault"]) == ("syncNow", 503, "sync-503")


def test_a_transport_fault_without_an_answer_is_recorded_with_no_status():
    class Reset(Exception):
        pass

    def fault_layer(environ, start_response):
        environ["mockquay.fault"] = "reset-1"
        raise Reset

    layer, journal = _layer_around(fault_layer)
    with pytest.raises(Reset):
        layer(_environ(), lambda status, headers, exc_info=None: None)
    [entry] = journal.entries()
    assert (entry["operation"], entry["status"], entry["fault"]) == ("syncNow", None, "reset-1")


def test_a_one_off_request_fault_is_recorded_as_request():
    def fault_layer(environ, start_response):
        environ["mockquay.fault"] = "request"
        start_response("500 INTERNAL SERVER ERROR", [])
        return [b""]

    layer, journal = _layer_around(fault_layer)
    layer(_environ(ETCD_MIRROR, "GET"), lambda status, headers, exc_info=None: None)
    assert journal.entries()[0]["fault"] == "request"


def test_requests_over_http_from_many_threads_are_all_recorded_once():
    app = create_app(Settings(worker="off"))
    server = Server(app, "127.0.0.1", 0).start()
    try:

        def hammer():
            with requests.Session() as session:
                for _ in range(25):
                    session.get(server.url + ETCD_MIRROR, headers=ADMIN)

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        entries = requests.get(server.url + REQUESTS, timeout=10).json()["requests"]
    finally:
        server.stop()
    assert sorted(entry["id"] for entry in entries) == list(range(1, 201))
    assert {(entry["operation"], entry["status"]) for entry in entries} == {
        ("getRepoMirrorConfig", 200)
    }


@pytest.mark.parametrize(
    "data",
    [
        b'{"external_registry_pass\\u0077ord": "s3cret"',
        b"external_registry_pass%77ord=s3cret",
        b"external_registry_pass%5Cu0077ord=s3cret",
    ],
    ids=["json-escape-in-invalid-json", "url-escape", "url-and-json-escape"],
)
def test_a_secret_key_hidden_behind_an_escape_is_still_redacted(data):
    assert recorded_body(data) == "<redacted>"


def test_an_escaped_secret_key_in_valid_json_is_redacted_by_its_decoded_name():
    recorded = recorded_body(b'{"external_registry_pass\\u0077ord": "s3cret", "a": 1}')
    assert recorded == {"external_registry_password": "<redacted>", "a": 1}


def test_secret_query_parameters_are_redacted_by_their_decoded_name(default_client):
    default_client.get(f"{ETCD_MIRROR}?password=s3cret&a=1&x%5Ftoken=t&b=password", headers=ADMIN)
    [entry] = journal_of(default_client)
    assert entry["query"] == "password=<redacted>&a=1&x%5Ftoken=<redacted>&b=password"
    assert b"s3cret" not in default_client.get(REQUESTS).data


def test_a_query_without_secrets_is_recorded_as_sent(default_client):
    default_client.get(f"{ETCD_MIRROR}?a=1&b=%2F", headers=ADMIN)
    [entry] = journal_of(default_client)
    assert entry["query"] == "a=1&b=%2F"


def test_a_body_over_the_limit_is_kept_cut_with_a_marker():
    data = json.dumps({"external_registry_password": "p", "x": "y" * (BODY_LIMIT + 10)}).encode()
    recorded = recorded_body(data)
    assert recorded == (
        '{"external_registry_password": "<redacted>", "x": "'
        + "y" * (BODY_LIMIT - 51)
        + f"...<truncated: {len(data)} bytes>"
    )


def test_a_text_body_over_the_limit_is_kept_cut_with_a_marker():
    data = b"z" * (BODY_LIMIT + 1)
    assert recorded_body(data) == "z" * BODY_LIMIT + f"...<truncated: {len(data)} bytes>"


def test_the_journal_keeps_its_bodies_under_its_byte_budget():
    journal = Journal(size=100, max_bytes=ENTRY_BYTES * 3 + 3000)
    for number in range(5):
        journal.add({"n": number, "operation": None, "repository": None, "method": "GET",
                     "status": 200, "served": True, "time": 0.0,
                     "clock_time": datetime(2026, 1, 1)}, 1000)  # fmt: skip
    assert [entry["n"] for entry in journal.entries()] == [2, 3, 4]


def test_an_entry_over_the_byte_budget_is_kept_alone():
    journal = Journal(size=100, max_bytes=10)
    for number in range(3):
        journal.add({"n": number, "operation": None, "repository": None, "method": "GET",
                     "status": 200, "served": True, "time": 0.0,
                     "clock_time": datetime(2026, 1, 1)}, 1000)  # fmt: skip
    assert [entry["n"] for entry in journal.entries()] == [2]


def test_a_large_body_reaches_quay_whole_and_is_recorded_cut(default_client):
    body = {"sync_interval": 60, "padding": "p" * (BODY_LIMIT * 2)}
    data = json.dumps(body)
    response = default_client.put(
        ETCD_MIRROR, data=data, headers=ADMIN, content_type="application/json"
    )
    assert response.status_code == 201
    [entry] = journal_of(default_client)
    assert entry["body"] == data[:BODY_LIMIT] + f"...<truncated: {len(data)} bytes>"
    assert default_client.get(ETCD_MIRROR, headers=ADMIN).json["sync_interval"] == 60
