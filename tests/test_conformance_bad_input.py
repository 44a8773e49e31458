"""Conformance: bad input gets Quay's answer (or a clear 4xx) and changes nothing.

Malformed and oversized bodies, wrong types, unknown keys, odd and non-ASCII repository names,
dot segments and encoded slashes in paths, unusable tokens. Every request here is compared with
the whole exported state before and after, and no answer may be one of mockquay's own crashes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.conformance import (
    BAD_REQUEST,
    CREATED,
    CSRF_403,
    GUNICORN_500,
    HTML,
    JSON,
    SIMPLE,
    api_error,
    assert_answer,
    assert_schema_error,
    client_for,
    mirror_path,
    state,
    stored,
    view,
    werkzeug,
)
from support.world import ALL_PROFILES, CREATE_BODY, auth, quay_test_world

from mockquay.extension import emulator_of

TOO_LARGE = "The data value transmitted exceeds the capacity limit."


def send(client, method: str, path: str, data: bytes | None = None, **headers: str):
    kwargs: dict[str, Any] = {"headers": {**auth("devtable"), **headers}}
    if data is not None:
        kwargs.update(data=data, content_type="application/json")
    return getattr(client, method)(path, **kwargs)


# Malformed bodies.


@pytest.mark.parametrize("method", ["post", "put"])
@pytest.mark.parametrize(
    "data",
    [
        b"{'sync_interval': 1}",
        b'{"sync_interval": 1,}',
        b'{"sync_interval": 1}{"sync_interval": 2}',
        b'{"sync_interval": 1} trailing',
        b"\x00",
        b'{"sync_interval": 01}',
        b'"unterminated',
        b"{" * 10,
    ],
    ids=[
        "single-quotes",
        "trailing-comma",
        "two-documents",
        "trailing-text",
        "nul",
        "leading-zero",
        "unterminated-string",
        "unclosed",
    ],
)
def test_malformed_json_is_werkzeug_400(method, data):
    client = client_for(quay_test_world(mirror=method == "put"))
    before = state(client)
    assert_answer(send(client, method, mirror_path(SIMPLE), data), 400, werkzeug(BAD_REQUEST), JSON)
    assert state(client) == before


@pytest.mark.parametrize(
    "data",
    [
        b'\xef\xbb\xbf{"sync_interval": 7}',
        '{"sync_interval": 7}'.encode("utf-16"),
        '{"sync_interval": 7}'.encode("utf-32-le"),
    ],
    ids=["utf8-bom", "utf16", "utf32"],
)
def test_json_in_any_utf_encoding_is_read_as_pythons_json_loads_reads_bytes(data):
    client = client_for(quay_test_world())
    assert_answer(send(client, "put", mirror_path(SIMPLE), data), 201, CREATED, JSON)
    assert view(client, SIMPLE)["sync_interval"] == 7


def test_deeply_nested_schema_error_is_quays_crash_marked_emulated():
    # Quay's jsonschema error text pretty-prints the instance, which recursion limits stop.
    client = client_for(quay_test_world())
    before = state(client)
    response = send(client, "put", mirror_path(SIMPLE), b"[" * 400 + b"]" * 400)
    assert_answer(response, 500, GUNICORN_500, "text/html")
    assert response.headers["X-Mockquay-Emulated"].startswith("RecursionError")
    assert state(client) == before


def test_body_nested_too_deeply_to_parse_is_quays_crash_marked_emulated():
    client = client_for(quay_test_world())
    before = state(client)
    response = send(client, "put", mirror_path(SIMPLE), b"[" * 5000 + b"]" * 5000)
    assert_answer(response, 500, GUNICORN_500, "text/html")
    assert response.headers["X-Mockquay-Emulated"].startswith("RecursionError")
    assert state(client) == before


# Oversized bodies.


@pytest.mark.parametrize("method", ["post", "put"])
def test_body_over_one_mebibyte_is_413(method):
    client = client_for(quay_test_world(mirror=method == "put"))
    before = state(client)
    data = json.dumps({"external_reference": "x" * (1024 * 1024)}).encode()
    assert_answer(send(client, method, mirror_path(SIMPLE), data), 413, werkzeug(TOO_LARGE), JSON)
    assert state(client) == before


def test_body_over_one_mebibyte_from_a_forbidden_caller_is_403():
    client = client_for(quay_test_world())
    before = state(client)
    data = json.dumps({"external_reference": "x" * (1024 * 1024)}).encode()
    response = send(
        client, "put", mirror_path(SIMPLE), data, Authorization="Bearer freshuser-token"
    )
    assert_answer(response, 403, api_error(403), JSON)
    assert state(client) == before


def test_body_just_under_one_mebibyte_is_read():
    client = client_for(quay_test_world())
    before = state(client)
    padding = 1024 * 1024 - len(b'{"sync_interval": -1, "pad": ""}')
    data = b'{"sync_interval": -1, "pad": "' + b"x" * padding + b'"}'
    assert len(data) == 1024 * 1024
    response = send(client, "put", mirror_path(SIMPLE), data)
    assert_schema_error(response, "-1 is less than the minimum of 0")
    assert state(client) == before


# Wrong types.

WRONG_TYPES = [
    ("is_enabled", 1, "1 is not of type 'boolean'"),
    ("is_enabled", "true", "'true' is not of type 'boolean'"),
    ("external_reference", 5, "5 is not of type 'string'"),
    ("external_reference", None, "None is not of type 'string'"),
    ("external_reference", ["quay.io/x/y"], "['quay.io/x/y'] is not of type 'string'"),
    ("sync_interval", "60", "'60' is not of type 'integer'"),
    ("sync_interval", None, "None is not of type 'integer'"),
    ("sync_interval", float("nan"), "nan is not of type 'integer'"),
    ("sync_start_date", 1577836800, "1577836800 is not of type 'string'"),
    ("robot_username", ["devtable+dtrobot"], "['devtable+dtrobot'] is not of type 'string'"),
    ("root_rule", ["latest"], "['latest'] is not of type 'object'"),
    ("root_rule", {"rule_kind": "tag_glob_csv", "rule_value": "latest"},
     "'latest' is not of type 'array'"),
    ("root_rule", {"rule_kind": "tag_glob_csv", "rule_value": [1]}, "1 is not of type 'string'"),
    ("external_registry_config", None, "None is not of type 'object'"),
    ("external_registry_config", {"proxy": "http://p"}, "'http://p' is not of type 'object'"),
    ("skopeo_timeout_interval", "300", "'300' is not of type 'integer'"),
    ("architecture_filter", [1], "1 is not of type 'string'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "value", "first_line"),
    [pytest.param(key, value, line, id=f"{key}-{value!r}") for key, value, line in WRONG_TYPES],
)
def test_wrong_type_on_put_is_a_schema_error(key, value, first_line):
    client = client_for(quay_test_world())
    before = state(client)
    data = json.dumps({key: value}).encode()
    assert_schema_error(send(client, "put", mirror_path(SIMPLE), data), first_line)
    assert state(client) == before


@pytest.mark.parametrize(
    ("key", "value", "first_line"),
    [pytest.param(key, value, line, id=f"{key}-{value!r}") for key, value, line in WRONG_TYPES],
)
def test_wrong_type_on_create_is_a_schema_error(key, value, first_line):
    client = client_for(quay_test_world(mirror=False))
    before = state(client)
    data = json.dumps({**CREATE_BODY, key: value}).encode()
    assert_schema_error(send(client, "post", mirror_path(SIMPLE), data), first_line)
    assert state(client) == before


# Unknown keys.


@pytest.mark.parametrize(
    "body",
    [
        {"unknown": 1},
        {"external_registry_config": {"unknown": 1}},
        {"external_registry_config": {"proxy": {"ftp_proxy": "x"}}},
        {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest", "3.3*", "foo"],
                       "extra": True}},
        {"sync_transaction_id": "forged", "sync_status": "SUCCESS", "mirror_type": "PUSH"},
    ],
    ids=["top-level", "config", "proxy", "root-rule", "server-fields"],
)  # fmt: skip
def test_put_ignores_unknown_keys(body):
    client = client_for(quay_test_world())
    before = state(client)
    shown = view(client, SIMPLE)
    response = send(client, "put", mirror_path(SIMPLE), json.dumps(body).encode())
    assert_answer(response, 201, CREATED, JSON)
    assert state(client) == before
    assert view(client, SIMPLE) == shown


# Odd repository names. Quay applies unidecode to the path and quote_plus to the name part.


@pytest.mark.parametrize(
    "repository",
    ["devtable/símple", "dévtable/simple", "devtable/ｓｉｍｐｌｅ", "ⅾevtable/simple"],
    ids=["accent", "accent-in-namespace", "fullwidth", "roman-numeral-d"],
)
def test_unicode_name_is_transliterated_to_the_same_repository(repository):
    client = client_for(quay_test_world())
    before = state(client)
    shown = view(client, SIMPLE)
    response = client.get(mirror_path(repository), headers=auth("devtable"))
    assert_answer(response, 200, (json.dumps(shown) + "\n").encode(), JSON)
    assert state(client) == before


def test_unicode_name_write_reaches_the_transliterated_repository():
    client = client_for(quay_test_world())
    response = client.post(mirror_path("devtable/símple", "sync-now"), headers=auth("devtable"))
    assert_answer(response, 204, b"", JSON)
    assert stored(client, "mirrors", SIMPLE)["sync_status"] == "SYNC_NOW"


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize(
    "repository",
    [
        "devtable/😀",
        "devtable/SIMPLE",
        "devtable/a b",
        "devtable/a%25b",
        "devtable/simple%00",
        "devtable/%C0%AF",
        "devtable/..",
        "devtable/../simple",
        "../devtable/simple",
        "devtable/./simple",
        "devtable/" + "a" * 4096,
        "devtable%252Fsimple/x",
    ],
    ids=[
        "emoji",
        "case",
        "space",
        "percent",
        "nul",
        "overlong-utf8",
        "dot-dot",
        "dot-dot-inside",
        "dot-dot-first",
        "dot",
        "very-long",
        "double-encoded-slash",
    ],
)
@pytest.mark.parametrize("method", ["get", "put", "sync-now", "sync-cancel"])
def test_odd_name_of_no_repository_is_404_and_changes_nothing(profile, repository, method):
    client = client_for(quay_test_world(), profile)
    before = state(client)
    if method in ("get", "put"):
        response = send(client, method, mirror_path(repository), b"{}" if method == "put" else None)
    else:
        response = send(client, "post", mirror_path(repository, method))
    assert_answer(response, 404, api_error(404), JSON)
    assert state(client) == before


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/api/v1/repository/devtable%252Fsimple/mirror", 404, api_error(404)),
        ("/api/v1/repository/devtable/simple%2Fmirror", 200, None),
        ("/api/v1/repository/devtable/simple/mirror%2Fsync-now", 404, api_error(404)),
    ],
    ids=["double-encoded-slash", "encoded-slash-before-mirror", "encoded-slash-before-action"],
)
def test_encoded_slashes_are_decoded_before_routing(path, status, body):
    client = client_for(quay_test_world())
    before = state(client)
    response = client.get(path, headers=auth("devtable"))
    if body is None:
        body = (json.dumps(view(client, SIMPLE)) + "\n").encode()
    assert_answer(response, status, body, JSON)
    assert state(client) == before


def test_double_encoded_slash_post_is_405_on_the_repository_route():
    client = client_for(quay_test_world())
    before = state(client)
    response = client.post(
        "/api/v1/repository/devtable%252Fsimple/mirror", headers=auth("devtable"), json=CREATE_BODY
    )
    assert_answer(response, 405, werkzeug("The method is not allowed for the requested URL."), JSON)
    assert state(client) == before


def test_create_in_an_odd_name_creates_nothing():
    client = client_for(quay_test_world(mirror=False))
    before = state(client)
    response = client.post(mirror_path("devtable/😀"), headers=auth("devtable"), json=CREATE_BODY)
    assert_answer(response, 404, api_error(404), JSON)
    assert state(client) == before


# Unusable tokens.


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer tökén",
        "Bearer " + "x" * 8192,
        "Bearer devtable-token extra",
        "Bearer\tdevtable-token",
        "Bearer devtable",
        "Bearer DEVTABLE-TOKEN",
        "devtable-token",
    ],
    ids=["non-ascii", "huge", "extra-part", "tab", "username", "case", "no-scheme"],
)
@pytest.mark.parametrize("method", ["get", "put"])
def test_unusable_token_is_anonymous(authorization, method):
    client = client_for(quay_test_world())
    before = state(client)
    headers = {"Authorization": authorization}
    if method == "get":
        response = client.get(mirror_path(SIMPLE), headers=headers)
        assert_answer(response, 401, api_error(401), JSON)
    else:
        response = client.put(mirror_path(SIMPLE), headers=headers, json={"sync_interval": 1})
        assert_answer(response, 403, CSRF_403, HTML)
    assert state(client) == before


def test_token_of_a_removed_user_is_anonymous():
    document = quay_test_world()
    document["tokens"].append({"token": "ghost-token", "user": "freshuser"})
    client = client_for(document)
    with emulator_of(client.application).store.transaction() as tx:
        tx.delete("users", "freshuser")
    response = client.get(mirror_path(SIMPLE), headers={"Authorization": "Bearer ghost-token"})
    assert_answer(response, 401, api_error(401), JSON)
