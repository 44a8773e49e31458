"""Conformance: the rows of Quay's own API tests (spec sections 7.1, 7.2 and 7.3).

Quay's test world (``quay_test_world``): ``devtable`` is a superuser with FULL_ACCESS and owns
``devtable/simple``, which carries the ``_setup_mirror`` mirror. Everything runs as Quay's current
code (the ``latest`` profile) unless a row is the same in every Quay line.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from support.conformance import (
    BAD_DATE,
    BAD_REQUEST,
    CREATED,
    CSRF_403,
    EMPTY_RULE,
    HTML,
    JSON,
    LOCATION_NOT_ALLOWED,
    NO_ROBOT,
    ORG_MIRROR_CONFLICT,
    ORGREPO,
    PASSWORD_ALONE,
    SIMPLE,
    SPARSE_OFF,
    api_error,
    assert_answer,
    assert_schema_error,
    client_for,
    detail_answer,
    dme,
    mirror_path,
    org_world,
    permission_of,
    state,
    stored,
    view,
    werkzeug,
)
from support.world import ALL_PROFILES, CREATE_BODY, SETUP_MIRROR, auth, quay_test_world

SPARSE_ON = {"features": {"SUPERUSERS_FULL_ACCESS": True, "SPARSE_INDEX": True}}


def body_b(**fields: Any) -> dict[str, Any]:
    """Create body "B" of spec section 7, with rule ``[latest, foo, bar]`` unless changed."""
    body = copy.deepcopy(CREATE_BODY)
    body.update(
        robot_username="devtable+newmirrorbot",
        root_rule={"rule_kind": "tag_glob_csv", "rule_value": ["latest", "foo", "bar"]},
    )
    body.update(fields)
    return body


def post(client, body: dict[str, Any], repository: str = SIMPLE):
    return client.post(mirror_path(repository), headers=auth("devtable"), json=body)


def put(client, body: dict[str, Any], repository: str = SIMPLE):
    return client.put(mirror_path(repository), headers=auth("devtable"), json=body)


# Section 7.1: endpoints/api/test/test_mirror.py.


@pytest.mark.parametrize(
    ("existing", "after"),
    [(None, "write"), ("read", "write"), ("write", "write"), ("admin", "admin")],
    ids=["none", "read", "write", "admin"],
)
def test_7_1_rows_1_to_4_create_grants_robot_write_unless_write_or_admin(existing, after):
    document = quay_test_world(mirror=False)
    if existing is not None:
        document["repositories"][0]["permissions"]["devtable+newmirrorbot"] = existing
    client = client_for(document)
    assert_answer(post(client, body_b()), 201, CREATED, JSON)
    assert permission_of(client, SIMPLE, "devtable+newmirrorbot") == after
    assert view(client, SIMPLE)["root_rule"]["rule_value"] == ["latest", "foo", "bar"]


def test_7_1_row_5_create_with_a_bad_date_is_400():
    client = client_for(quay_test_world(mirror=False))
    before = state(client)
    response = post(client, body_b(sync_start_date="not-a-date"))
    assert_answer(response, 400, detail_answer(BAD_DATE), JSON)
    assert state(client) == before


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_7_1_row_6_get_without_a_mirror_is_404(profile):
    client = client_for(quay_test_world(mirror=False), profile)
    response = client.get(mirror_path(SIMPLE), headers=auth("devtable"))
    assert_answer(response, 404, api_error(404), JSON)


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_7_1_row_7_get_of_a_missing_repository_is_404(profile):
    client = client_for(quay_test_world(), profile)
    response = client.get(mirror_path("devtable/unicorn"), headers=auth("devtable"))
    assert_answer(response, 404, api_error(404), JSON)


def test_7_1_row_8_get_after_setup_shows_the_config_without_the_password():
    client = client_for(quay_test_world())
    response = client.get(mirror_path(SIMPLE), headers=auth("devtable"))
    expected = {
        "is_enabled": True,
        "mirror_type": "PULL",
        "external_reference": "quay.io/redhat/quay",
        "external_registry_username": "fakeUsername",
        "external_registry_config": {
            "verify_tls": True,
            "unsigned_images": False,
            "proxy": {
                "http_proxy": "http://insecure.proxy.corp",
                "https_proxy": "https://secure.proxy.corp",
                "no_proxy": "mylocalhost",
            },
        },
        "sync_interval": 5000,
        "sync_start_date": "2020-01-02T06:30:00Z",
        "sync_expiration_date": None,
        "sync_retries_remaining": 3,
        "sync_status": "NEVER_RUN",
        "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["latest", "3.3*", "foo"]},
        "robot_username": "devtable+dtrobot",
        "skopeo_timeout_interval": 300,
        "architecture_filter": [],
    }
    assert_answer(response, 200, (json.dumps(expected) + "\n").encode(), JSON)
    assert b"fakePassword" not in response.data
    assert b"external_registry_password" not in response.data


def test_7_1_row_10_put_the_same_robot_is_201():
    client = client_for(quay_test_world())
    assert_answer(put(client, {"robot_username": "devtable+dtrobot"}), 201, CREATED, JSON)
    assert view(client, SIMPLE)["robot_username"] == "devtable+dtrobot"
    assert permission_of(client, SIMPLE, "devtable+dtrobot") == "write"


def test_7_1_row_11_put_a_robot_name_without_namespace_is_400():
    # Quay's test patches lookup_robot to find "dtrobot" and gets "Invalid robot"; unpatched,
    # no robot has that name, so the lookup itself fails first.
    client = client_for(quay_test_world())
    before = state(client)
    assert_answer(put(client, {"robot_username": "dtrobot"}), 400, dme(NO_ROBOT), JSON)
    assert state(client) == before


def test_7_1_row_11_put_a_robot_of_another_namespace_is_invalid_robot():
    client = client_for(quay_test_world())
    before = state(client)
    response = put(client, {"robot_username": "buynlarge+coolrobot"})
    assert_answer(response, 400, dme("Invalid robot"), JSON)
    assert state(client) == before


@pytest.mark.parametrize(
    ("body", "username", "password"),
    [
        (
            {"external_registry_username": "newUsername", "external_registry_password": "newPw"},
            "newUsername",
            "newPw",
        ),
        ({"external_registry_username": None, "external_registry_password": None}, None, None),
        ({"external_registry_username": "myUsername", "external_registry_password": None},
         "myUsername", None),
        ({"external_registry_username": "myNewUsername"}, "myNewUsername", "fakePassword"),
        ({"external_registry_username": None}, None, "fakePassword"),
        ({"external_registry_username": "", "external_registry_password": ""}, "", ""),
    ],
    ids=["12-both", "13-both-null", "14-password-null", "15-username", "16-username-null",
         "19-both-empty"],
)  # fmt: skip
def test_7_1_rows_12_to_19_credential_changes_that_succeed(body, username, password):
    client = client_for(quay_test_world())
    assert_answer(put(client, body), 201, CREATED, JSON)
    assert view(client, SIMPLE)["external_registry_username"] == username
    mirror = stored(client, "mirrors", SIMPLE)
    assert (mirror["external_registry_username"], mirror["external_registry_password"]) == (
        username,
        password,
    )


@pytest.mark.parametrize(
    "body",
    [{"external_registry_password": "myNewPassword"}, {"external_registry_password": None}],
    ids=["17-password", "18-password-null"],
)
def test_7_1_rows_17_18_a_password_without_a_username_is_400(body):
    client = client_for(quay_test_world())
    before = state(client)
    assert_answer(put(client, body), 400, detail_answer(PASSWORD_ALONE), JSON)
    assert state(client) == before


@pytest.mark.parametrize(
    ("reference", "dns"),
    [("169.254.169.254/latest/meta-data", {}), ("registry.example.com/team/repo", {
        "registry.example.com": "10.0.0.1"})],
    ids=["20-metadata-address", "21-resolves-to-private"],
)  # fmt: skip
def test_7_1_rows_20_21_create_with_a_blocked_reference_creates_nothing(reference, dns):
    client = client_for(quay_test_world(mirror=False, dns=dns))
    before = state(client)
    response = post(client, body_b(external_reference=reference))
    assert_answer(response, 400, api_error(400, LOCATION_NOT_ALLOWED), JSON)
    assert state(client) == before
    assert stored(client, "mirrors", SIMPLE) is None
    assert permission_of(client, SIMPLE, "devtable+newmirrorbot") is None


def test_7_1_row_22_create_with_an_allow_listed_private_address_is_201():
    client = client_for(quay_test_world(mirror=False, ssrf_allowed_hosts=["10.0.0.0/8"]))
    response = post(client, body_b(external_reference="10.0.0.1/team/repo"))
    assert_answer(response, 201, CREATED, JSON)
    assert view(client, SIMPLE)["external_reference"] == "10.0.0.1/team/repo"


def test_7_1_row_23_create_with_a_public_reference_is_201():
    client = client_for(quay_test_world(mirror=False))
    assert_answer(post(client, body_b(external_reference="quay.io/team/repo")), 201, CREATED, JSON)
    assert view(client, SIMPLE)["external_reference"] == "quay.io/team/repo"


def test_7_1_row_24_put_a_public_reference_is_201():
    client = client_for(quay_test_world())
    assert_answer(put(client, {"external_reference": "quay.io/team/repo"}), 201, CREATED, JSON)
    assert view(client, SIMPLE)["external_reference"] == "quay.io/team/repo"


def test_7_1_row_25_put_a_private_reference_changes_neither_field():
    client = client_for(quay_test_world())
    before = state(client)
    response = put(client, {"external_reference": "10.0.0.1/team/repo", "sync_interval": 5100})
    assert_answer(response, 400, api_error(400, LOCATION_NOT_ALLOWED), JSON)
    assert state(client) == before
    mirror = view(client, SIMPLE)
    assert (mirror["external_reference"], mirror["sync_interval"]) == ("quay.io/redhat/quay", 5000)


def test_7_1_row_26_put_a_blocked_reference_and_a_bad_date_changes_neither_field():
    client = client_for(quay_test_world(dns={"registry.example.com": "10.0.0.1"}))
    before = state(client)
    body = {"external_reference": "registry.example.com/team/repo", "sync_start_date": "nope"}
    assert_answer(put(client, body), 400, api_error(400, LOCATION_NOT_ALLOWED), JSON)
    assert state(client) == before
    mirror = view(client, SIMPLE)
    assert (mirror["external_reference"], mirror["sync_start_date"]) == (
        "quay.io/redhat/quay",
        "2020-01-02T06:30:00Z",
    )


def test_7_1_row_27_put_an_allow_listed_private_address_is_201():
    client = client_for(quay_test_world(ssrf_allowed_hosts=["10.0.0.0/8"]))
    assert_answer(put(client, {"external_reference": "10.0.0.1/team/repo"}), 201, CREATED, JSON)
    assert view(client, SIMPLE)["external_reference"] == "10.0.0.1/team/repo"


def test_7_1_row_28_cancel_of_sync_now_is_204_and_zeroes_the_retries():
    document = quay_test_world()
    document["mirrors"][0]["sync_status"] = "SYNC_NOW"
    client = client_for(document)
    response = client.post(mirror_path(SIMPLE, "sync-cancel"), headers=auth("devtable"))
    assert_answer(response, 204, b"", JSON)
    mirror = view(client, SIMPLE)
    assert (mirror["sync_status"], mirror["sync_retries_remaining"]) == ("CANCEL", 0)


def test_7_1_row_29_get_after_setup_shows_an_empty_architecture_filter():
    client = client_for(quay_test_world())
    assert view(client, SIMPLE)["architecture_filter"] == []


def test_7_1_row_30_put_architecture_filter_then_empty_with_sparse_on():
    client = client_for(quay_test_world(**SPARSE_ON))
    response = put(client, {"architecture_filter": ["amd64", "arm64"]})
    assert_answer(response, 201, CREATED, JSON)
    assert view(client, SIMPLE)["architecture_filter"] == ["amd64", "arm64"]
    assert_answer(put(client, {"architecture_filter": []}), 201, CREATED, JSON)
    assert view(client, SIMPLE)["architecture_filter"] == []


def test_7_1_row_31_create_with_architecture_filter_with_sparse_on():
    client = client_for(quay_test_world(mirror=False, **SPARSE_ON))
    response = post(client, body_b(architecture_filter=["amd64", "s390x"]))
    assert_answer(response, 201, CREATED, JSON)
    assert view(client, SIMPLE)["architecture_filter"] == ["amd64", "s390x"]


@pytest.mark.parametrize(
    "architectures", [["invalid_arch"], ["amd64"]], ids=["32-invalid", "33-valid"]
)
def test_7_1_rows_32_33_create_with_architecture_filter_with_sparse_off_is_400(architectures):
    client = client_for(quay_test_world(mirror=False))
    before = state(client)
    response = post(client, body_b(architecture_filter=architectures))
    assert_answer(response, 400, detail_answer(SPARSE_OFF), JSON)
    assert state(client) == before


def test_7_1_row_34_put_architecture_filter_with_sparse_off_is_400():
    client = client_for(quay_test_world())
    before = state(client)
    response = put(client, {"architecture_filter": ["amd64", "arm64"]})
    assert_answer(response, 400, detail_answer(SPARSE_OFF), JSON)
    assert state(client) == before


def test_7_1_row_35_create_with_architecture_filter_amd64_with_sparse_on():
    client = client_for(quay_test_world(mirror=False, **SPARSE_ON))
    assert_answer(post(client, body_b(architecture_filter=["amd64"])), 201, CREATED, JSON)
    assert view(client, SIMPLE)["architecture_filter"] == ["amd64"]


@pytest.mark.parametrize("value", [[], None], ids=["empty", "null"])
def test_7_1_row_36_put_an_empty_architecture_filter_with_sparse_off_is_201(value):
    client = client_for(quay_test_world())
    assert_answer(put(client, {"architecture_filter": value}), 201, CREATED, JSON)
    assert view(client, SIMPLE)["architecture_filter"] == []


def test_7_1_row_37_create_in_an_org_with_an_org_mirror_is_400():
    client = client_for(org_world(org_mirror=True))
    before = state(client)
    response = post(client, body_b(robot_username="buynlarge+coolrobot"), ORGREPO)
    assert_answer(response, 400, api_error(400, ORG_MIRROR_CONFLICT), JSON)
    assert state(client) == before


def test_7_1_row_38_put_in_an_org_with_an_org_mirror_is_400():
    client = client_for(org_world(org_mirror=True, repo_mirror=True))
    before = state(client)
    response = put(client, {"sync_interval": 7200}, ORGREPO)
    assert_answer(response, 400, api_error(400, ORG_MIRROR_CONFLICT), JSON)
    assert state(client) == before


def test_7_1_row_39_create_in_an_org_without_an_org_mirror_is_201():
    client = client_for(org_world(org_mirror=False))
    response = post(client, body_b(robot_username="buynlarge+coolrobot"), ORGREPO)
    assert_answer(response, 201, CREATED, JSON)
    assert view(client, ORGREPO)["robot_username"] == "buynlarge+coolrobot"


# Section 7.2: test_change_config, one PUT {key: value} on the fixture.

_PROXY = SETUP_MIRROR["external_registry_config"]["proxy"]


def _config(**changes: Any) -> dict[str, Any]:
    return {"external_registry_config": changes}


def _proxy(key: str, value: Any) -> dict[str, Any]:
    return {"external_registry_config": {"proxy": {key: value}}}


def _shown_config(**changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(SETUP_MIRROR["external_registry_config"])
    config.update(changes)
    return config


def _shown_proxy(key: str, value: Any) -> dict[str, Any]:
    return _shown_config(proxy={**_PROXY, key: value})


ALL_ARCHITECTURES = ["amd64", "arm64", "ppc64le", "s390x"]
RULE = {"rule_kind": "tag_glob_csv", "rule_value": ["3.1", "3.1*"]}

#: (id, body, GET key, GET value afterwards) for each PUT that Quay takes.
CHANGES_ACCEPTED = [
    ("is_enabled-true", {"is_enabled": True}, "is_enabled", True),
    ("is_enabled-false", {"is_enabled": False}, "is_enabled", False),
    ("reference-3-parts", {"external_reference": "example.com/foo/bar"}, "external_reference",
     "example.com/foo/bar"),
    ("reference-2-parts", {"external_reference": "example.com/foo"}, "external_reference",
     "example.com/foo"),
    ("username", {"external_registry_username": "newTestUsername"},
     "external_registry_username", "newTestUsername"),
    ("username-null", {"external_registry_username": None}, "external_registry_username", None),
    ("robot", {"robot_username": "devtable+dtrobot"}, "robot_username", "devtable+dtrobot"),
    ("start-date", {"sync_start_date": "2020-01-01T00:00:00Z"}, "sync_start_date",
     "2020-01-01T00:00:00Z"),
    ("interval", {"sync_interval": 2000}, "sync_interval", 2000),
    ("skopeo-timeout", {"skopeo_timeout_interval": 3000}, "skopeo_timeout_interval", 3000),
    ("https-proxy-url", _proxy("https_proxy", "https://proxy.example.com"),
     "external_registry_config", _shown_proxy("https_proxy", "https://proxy.example.com")),
    ("https-proxy-null", _proxy("https_proxy", None), "external_registry_config",
     _shown_proxy("https_proxy", None)),
    ("https-proxy-shell", _proxy("https_proxy", "proxy.example.com; rm -rf /"),
     "external_registry_config", _shown_proxy("https_proxy", "proxy.example.com; rm -rf /")),
    ("http-proxy-url", _proxy("http_proxy", "http://proxy.example.com"),
     "external_registry_config", _shown_proxy("http_proxy", "http://proxy.example.com")),
    ("http-proxy-null", _proxy("http_proxy", None), "external_registry_config",
     _shown_proxy("http_proxy", None)),
    ("http-proxy-shell", _proxy("http_proxy", "proxy.example.com; rm -rf /"),
     "external_registry_config", _shown_proxy("http_proxy", "proxy.example.com; rm -rf /")),
    ("no-proxy", _proxy("no_proxy", "quay.io"), "external_registry_config",
     _shown_proxy("no_proxy", "quay.io")),
    ("no-proxy-null", _proxy("no_proxy", None), "external_registry_config",
     _shown_proxy("no_proxy", None)),
    ("no-proxy-shell", _proxy("no_proxy", "quay.io; rm -rf /"), "external_registry_config",
     _shown_proxy("no_proxy", "quay.io; rm -rf /")),
    ("verify-tls-true", _config(verify_tls=True), "external_registry_config",
     _shown_config(verify_tls=True)),
    ("verify-tls-false", _config(verify_tls=False), "external_registry_config",
     _shown_config(verify_tls=False)),
    ("unsigned-images-true", _config(unsigned_images=True), "external_registry_config",
     _shown_config(unsigned_images=True)),
    ("unsigned-images-false", _config(unsigned_images=False), "external_registry_config",
     _shown_config(unsigned_images=False)),
    ("root-rule", {"root_rule": RULE}, "root_rule", RULE),
    ("arch-one", {"architecture_filter": ["amd64"]}, "architecture_filter", ["amd64"]),
    ("arch-two", {"architecture_filter": ["amd64", "arm64"]}, "architecture_filter",
     ["amd64", "arm64"]),
    ("arch-all", {"architecture_filter": ALL_ARCHITECTURES}, "architecture_filter",
     ALL_ARCHITECTURES),
    ("arch-empty", {"architecture_filter": []}, "architecture_filter", []),
    ("arch-null", {"architecture_filter": None}, "architecture_filter", []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "key", "shown"),
    [pytest.param(body, key, shown, id=name) for name, body, key, shown in CHANGES_ACCEPTED],
)
def test_7_2_change_config_accepted(body, key, shown):
    client = client_for(quay_test_world(**SPARSE_ON))
    before = view(client, SIMPLE)
    assert_answer(put(client, body), 201, CREATED, JSON)
    after = view(client, SIMPLE)
    assert after[key] == shown
    assert {k: v for k, v in after.items() if k != key} == {
        k: v for k, v in before.items() if k != key
    }


def _schema(first_line: str) -> tuple[str, str]:
    return ("schema", first_line)


#: (id, body, how Quay refuses it) for each PUT that Quay refuses with a 400.
CHANGES_REFUSED = [
    ("is_enabled-null", {"is_enabled": None}, _schema("None is not of type 'boolean'")),
    ("is_enabled-string", {"is_enabled": "foo"}, _schema("'foo' is not of type 'boolean'")),
    ("reference-host-only", {"external_reference": "example.com"},
     ("api", "External registry reference must include a repository path")),
    ("username-int", {"external_registry_username": 123},
     _schema("123 is not of type 'string', 'null'")),
    ("password", {"external_registry_password": "newTestPassword"}, ("detail", PASSWORD_ALONE)),
    ("password-null", {"external_registry_password": None}, ("detail", PASSWORD_ALONE)),
    ("password-int", {"external_registry_password": 41},
     _schema("41 is not of type 'string', 'null'")),
    ("robot-missing", {"robot_username": "devtable+doesntExist"}, ("dme", NO_ROBOT)),
    ("date-words", {"sync_start_date": "January 1 2020"}, ("detail", BAD_DATE)),
    ("date-fraction", {"sync_start_date": "2020-01-01T00:00:00.00Z"}, ("detail", BAD_DATE)),
    ("date-rfc2822", {"sync_start_date": "Wed, 01 Jan 2020 00:00:00 -0000"}, ("detail", BAD_DATE)),
    ("date-rfc2822-est", {"sync_start_date": "Wed, 02 Oct 2002 08:00:00 EST"},
     ("detail", BAD_DATE)),
    ("interval-negative", {"sync_interval": -5}, _schema("-5 is less than the minimum of 0")),
    ("skopeo-timeout-60", {"skopeo_timeout_interval": 60},
     _schema("60 is less than the minimum of 300")),
    ("verify-tls-null", _config(verify_tls=None), _schema("None is not of type 'boolean'")),
    ("verify-tls-string", _config(verify_tls="abc"), _schema("'abc' is not of type 'boolean'")),
    ("unsigned-images-null", _config(unsigned_images=None),
     _schema("None is not of type 'boolean'")),
    ("unsigned-images-string", _config(unsigned_images="abc"),
     _schema("'abc' is not of type 'boolean'")),
    ("rule-without-value", {"root_rule": {"rule_kind": "tag_glob_csv"}},
     _schema("'rule_value' is a required property")),
    ("rule-empty-value", {"root_rule": {"rule_kind": "tag_glob_csv", "rule_value": []}},
     ("api", EMPTY_RULE)),
    ("rule-bad-kind", {"root_rule": {"rule_kind": "incorrect", "rule_value": ["3.1"]}},
     _schema("'incorrect' is not one of ['tag_glob_csv']")),
    ("arch-invalid", {"architecture_filter": ["invalid_arch"]},
     ("detail", "Invalid architectures: invalid_arch")),
    ("arch-one-invalid", {"architecture_filter": ["amd64", "invalid"]},
     ("detail", "Invalid architectures: invalid")),
    ("arch-string", {"architecture_filter": "amd64"},
     _schema("'amd64' is not of type 'array', 'null'")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "refusal"),
    [pytest.param(body, refusal, id=name) for name, body, refusal in CHANGES_REFUSED],
)
def test_7_2_change_config_refused(body, refusal):
    client = client_for(quay_test_world(**SPARSE_ON))
    before = state(client)
    shown = view(client, SIMPLE)
    response = put(client, body)
    kind, text = refusal
    if kind == "schema":
        assert_schema_error(response, text)
    else:
        expected = {"api": api_error(400, text), "detail": detail_answer(text), "dme": dme(text)}
        assert_answer(response, 400, expected[kind], JSON)
    assert state(client) == before
    assert view(client, SIMPLE) == shown


# Section 7.3: endpoints/api/test/test_security.py, the mirror cells (no mirror on the repo).
#
# Quay's harness injects a CSRF token, so its anonymous writes get 401. A real client has no such
# token and gets the CSRF 403 (spec section 1, step 4); mockquay answers as the real server.

SECURITY_CELLS = [
    ("get", "", None, 401),
    ("get", "", "devtable", 404),
    ("get", "", "freshuser", 403),
    ("get", "", "reader", 403),
    ("post", "", None, "csrf"),
    ("post", "", "devtable", 400),
    ("post", "", "freshuser", 403),
    ("post", "", "reader", 403),
    ("put", "", None, "csrf"),
    ("put", "", "devtable", 400),
    ("put", "", "freshuser", 403),
    ("put", "", "reader", 403),
    ("post", "sync-now", None, "csrf"),
    ("post", "sync-now", "devtable", 404),
    ("post", "sync-now", "freshuser", 403),
    ("post", "sync-now", "reader", 403),
    ("post", "sync-cancel", None, "csrf"),
    ("post", "sync-cancel", "devtable", 404),
    ("post", "sync-cancel", "freshuser", 403),
    ("post", "sync-cancel", "reader", 403),
]


@pytest.mark.parametrize("profile", ALL_PROFILES)
@pytest.mark.parametrize(
    ("method", "action", "user", "expected"),
    [
        pytest.param(*cell, id=f"{cell[0]}-{cell[1] or 'mirror'}-{cell[2] or 'anonymous'}")
        for cell in SECURITY_CELLS
    ],
)
def test_7_3_security_cells(profile, method, action, user, expected):
    client = client_for(quay_test_world(mirror=False), profile)
    before = state(client)
    # The harness sends no body but a JSON content type.
    response = getattr(client, method)(
        mirror_path(SIMPLE, action), headers=auth(user), content_type="application/json"
    )
    if expected == "csrf":
        assert_answer(response, 403, CSRF_403, HTML)
    elif expected == 400:
        assert_answer(response, 400, werkzeug(BAD_REQUEST), JSON)
    else:
        assert_answer(response, expected, api_error(expected), JSON)
    assert state(client) == before


def test_7_3_global_readonly_superuser_get_of_an_org_repo_passes_auth_and_is_404():
    client = client_for(quay_test_world(mirror=False))
    response = client.get(mirror_path(ORGREPO), headers=auth("globalreadonlysuperuser"))
    assert_answer(response, 404, api_error(404), JSON)
