"""Version profiles: choosing one, release numbers, and every row of spec section 5.1.

Each row of the version table is tested on both sides of its boundary: the last profile
without the change and the first profile with it.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest
from support.world import (
    ALL_PROFILES,
    CREATE_BODY,
    SETUP_MIRROR,
    auth,
    build_app,
    org_mirrored,
    quay_test_world,
)

import mockquay
from mockquay import cli
from mockquay.app import create_app
from mockquay.profiles import (
    DEFAULT_PROFILE,
    PROFILES,
    UnknownProfile,
    get_profile,
    parse_release,
)
from mockquay.settings import Settings

MIRROR = "/api/v1/repository/devtable/simple/mirror"
ORG_MIRROR = "/api/v1/repository/buynlarge/orgrepo/mirror"
HEALTH = "/__mockquay__/health"
KNOWN = (
    "use one of 3.8, 3.12, 3.15, 3.17, 3.17.1, 3.17.2, latest, or a release number from 3.8.0 on "
    "(e.g. 3.16.2)"
)
CREATED = b'""\n'
HTML_500 = (
    b"<html>\n  <head>\n    <title>Internal Server Error</title>\n  </head>\n  <body>\n"
    b"    <h1><p>Internal Server Error</p></h1>\n    \n  </body>\n</html>\n"
)
#: A create body every profile knows (no skopeo_timeout_interval, no architecture_filter).
OLD_CREATE = {
    key: value for key, value in CREATE_BODY.items() if key != "skopeo_timeout_interval"
} | {"robot_username": "devtable+newmirrorbot"}
NEW_CREATE = dict(CREATE_BODY, robot_username="devtable+newmirrorbot")


def api_error(status: int, error_type: str, detail: str) -> bytes:
    """Quay's ApiError body, as served to ``http://localhost``."""
    body = {
        "detail": detail,
        "error_message": detail,
        "error_type": error_type,
        "title": error_type,
        "type": f"http://localhost/api/v1/error/{error_type}",
        "status": status,
    }
    return (json.dumps(body) + "\n").encode()


def detail(text: str) -> bytes:
    """A handler's own ``{"detail": ...}`` body."""
    return (json.dumps({"detail": text}) + "\n").encode()


def client(profile: str, *, mirror: bool = True, **settings):
    return build_app(quay_test_world(mirror=mirror, **settings), profile=profile).test_client()


def view(test_client, path: str = MIRROR) -> dict:
    response = test_client.get(path, headers=auth("devtable"))
    assert response.status_code == 200, response.data
    return response.json


def state(test_client) -> dict:
    return test_client.get("/__mockquay__/state").json


def permission(test_client, repository: str, who: str) -> str | None:
    repos = {repo["name"]: repo for repo in state(test_client)["repositories"]}
    return repos[repository]["permissions"].get(who)


def mirror_keys(test_client) -> list[str]:
    return [mirror["repository"] for mirror in state(test_client)["mirrors"]]


# Choosing a profile


@pytest.mark.parametrize("name", ALL_PROFILES)
def test_each_profile_name_selects_that_profile(name):
    assert get_profile(name).name == name
    health = build_app(profile=name).test_client().get(HEALTH)
    assert health.json["profile"] == name


@pytest.mark.parametrize(
    ("release", "profile"),
    [
        ("3.8.0", "3.8"),
        ("3.9.9", "3.8"),
        ("3.9", "3.8"),
        ("3.9.10", "3.12"),
        ("v3.12.21", "3.12"),
        ("3.14.8", "3.12"),
        ("3.15.0", "3.15"),
        ("3.16", "3.15"),
        ("3.16.2", "3.15"),
        ("3.16.5", "3.15"),
        ("3.17.0", "3.17"),
        ("3.17.1", "3.17.1"),
        ("3.17.2", "3.17.2"),
        ("3.17.3", "3.17.2"),
        ("3.17.4", "latest"),
        ("3.17.9", "latest"),
        ("3.18.0", "3.17.2"),
        ("3.18.1", "latest"),
        ("3.19.0", "latest"),
        ("4.0", "latest"),
    ],
)
def test_a_release_number_maps_to_its_profile(release, profile):
    assert get_profile(release).name == profile


@pytest.mark.parametrize("name", [name for name in ALL_PROFILES if name != "latest"])
def test_a_profile_name_read_as_a_release_maps_to_that_profile(name):
    release = parse_release(name)
    assert [p.name for p in PROFILES.values() if p.covers_release(release)] == [name]


def test_every_release_from_3_8_0_maps_to_exactly_one_profile():
    releases = [(3, minor, patch) for minor in range(8, 30) for patch in range(0, 40)]
    releases += [(4, 0, 0), (4, 2, 1)]
    for release in releases:
        matching = [p.name for p in PROFILES.values() if p.covers_release(release)]
        assert len(matching) == 1, (release, matching)
    assert not [p.name for p in PROFILES.values() if p.covers_release((3, 7, 9))]


@pytest.mark.parametrize("name", ["3.7.9", "2.0", "lts", "3.15.x", "3.1"])
def test_an_unknown_profile_is_refused_with_the_known_ones(name):
    with pytest.raises(UnknownProfile) as refused:
        get_profile(name)
    assert str(refused.value) == f"unknown Quay profile {name!r}: {KNOWN}"


def test_no_profile_means_latest():
    assert DEFAULT_PROFILE == "latest"
    assert get_profile(None).name == get_profile("").name == "latest"
    assert build_app().test_client().get(HEALTH).json["profile"] == "latest"


def test_health_reports_the_profile_a_release_number_maps_to():
    app = create_app(Settings(worker="off", profile="3.16.2", default_fixtures=False))
    assert app.test_client().get(HEALTH).json["profile"] == "3.15"


def test_mockquay_profile_environment_variable():
    assert Settings.from_env({"MOCKQUAY_PROFILE": "3.15"}).profile == "3.15"


def test_profile_flag_beats_the_environment_variable():
    settings = Settings.from_env({"MOCKQUAY_PROFILE": "3.15"}, profile="3.8")
    assert settings.profile == "3.8"


def test_settings_refuse_an_unknown_profile_at_once():
    with pytest.raises(UnknownProfile):
        Settings(profile="3.7")
    with pytest.raises(UnknownProfile):
        Settings.from_env({"MOCKQUAY_PROFILE": "bogus"})


def test_serve_refuses_an_unknown_profile_flag_with_exit_2(capsys):
    assert cli.main(["serve", "--port", "0", "--profile", "9.9.9x"]) == 2
    assert capsys.readouterr().err == f"mockquay: unknown Quay profile '9.9.9x': {KNOWN}\n"


def test_serve_refuses_an_unknown_profile_variable_with_exit_2(capsys, monkeypatch):
    monkeypatch.setenv("MOCKQUAY_PROFILE", "3.7.0")
    assert cli.main(["serve", "--port", "0"]) == 2
    assert capsys.readouterr().err == f"mockquay: unknown Quay profile '3.7.0': {KNOWN}\n"


def test_a_fixture_profile_beats_the_profile_flag():
    document = quay_test_world(profile="3.17")
    test_client = build_app(document, profile="3.8").test_client()
    assert test_client.get(HEALTH).json["profile"] == "3.17"
    assert list(view(test_client)) == list(PROFILES["3.17"].view_keys)


def test_seeding_a_profile_switches_it_and_reset_restores_the_boot_one():
    test_client = create_app(Settings(worker="off", profile="3.15")).test_client()
    seeded = test_client.post("/__mockquay__/seed", json={"settings": {"profile": "3.8"}})
    assert seeded.status_code == 200
    assert test_client.get(HEALTH).json["profile"] == "3.8"
    etcd = test_client.get(
        "/api/v1/repository/acme/etcd/mirror", headers={"Authorization": "Bearer admin-token"}
    )
    assert "skopeo_timeout_interval" not in etcd.json
    test_client.post("/__mockquay__/reset", headers={"X-Mockquay-Client": "tests"})
    assert test_client.get(HEALTH).json["profile"] == "3.15"


def test_check_fixtures_names_an_unknown_profile(tmp_path, capsys):
    path = tmp_path / "old.yaml"
    path.write_text("settings: {profile: '3.7'}\n")
    assert cli.main(["check-fixtures", str(path)]) == 2
    assert (
        capsys.readouterr().out
        == f"{path}: settings.profile: unknown Quay profile '3.7': {KNOWN}\n"
    )


def test_an_unquoted_yaml_release_gets_a_hint(tmp_path, capsys):
    path = tmp_path / "old.yaml"
    path.write_text("settings: {profile: 3.10}\n")
    assert cli.main(["check-fixtures", str(path)]) == 2
    assert capsys.readouterr().out == (
        f"{path}: settings.profile: unknown Quay profile '3.1': {KNOWN}"
        " (quote release numbers in YAML: '3.10')\n"
    )


def test_an_unquoted_yaml_profile_name_that_reads_right_is_accepted(tmp_path, capsys):
    path = tmp_path / "ok.yaml"
    path.write_text("settings: {profile: 3.15}\n")
    assert cli.main(["check-fixtures", str(path)]) == 0


def _is_version(node: ast.AST) -> bool:
    """A string constant that names a profile or a Quay release, or a profile's name."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_is_version(element) for element in node.elts)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value in PROFILES or parse_release(node.value) is not None
    return (
        isinstance(node, ast.Attribute) and node.attr == "name" and "profile" in ast.unparse(node)
    )


def _version_comparisons(source: str) -> list[str]:
    """Every comparison in ``source`` that decides on a version string or a profile's name."""
    return [
        ast.unparse(node)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Compare) and any(map(_is_version, [node.left, *node.comparators]))
    ]


@pytest.mark.parametrize(
    "source",
    [
        "if ctx.config.profile.name == '3.8': pass",
        "if release in ('3.17.4', '3.18.1'): pass",
        "if 'latest' != name: pass",
    ],
)
def test_a_version_comparison_is_recognised(source):
    assert _version_comparisons(source) == [ast.unparse(ast.parse(source).body[0].test)]


def test_only_the_profile_table_decides_on_versions():
    package = Path(mockquay.__file__).parent
    offenders = {
        str(path.relative_to(package)): _version_comparisons(path.read_text(encoding="utf-8"))
        for path in package.rglob("*.py")
        if path.name != "profiles.py"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


# Section 5.1, row by row


def _view_of_setup_mirror(keys: tuple[str, ...]) -> dict:
    full = {
        "is_enabled": True,
        "mirror_type": "PULL",
        "external_reference": "quay.io/redhat/quay",
        "external_registry_username": "fakeUsername",
        "external_registry_config": SETUP_MIRROR["external_registry_config"],
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
    return {key: full[key] for key in keys}


@pytest.mark.parametrize(
    ("profile", "added"),
    [
        ("3.12", ()),
        ("3.15", ("skopeo_timeout_interval",)),
        ("3.17", ("skopeo_timeout_interval", "architecture_filter")),
    ],
)
def test_get_keys(profile, added):
    twelve = (
        "is_enabled",
        "mirror_type",
        "external_reference",
        "external_registry_username",
        "external_registry_config",
        "sync_interval",
        "sync_start_date",
        "sync_expiration_date",
        "sync_retries_remaining",
        "sync_status",
        "root_rule",
        "robot_username",
    )
    response = client(profile).get(MIRROR, headers=auth("devtable"))
    assert response.status_code == 200
    assert list(response.json) == [*twelve, *added]
    assert response.json == _view_of_setup_mirror((*twelve, *added))


@pytest.mark.parametrize(("profile", "status"), [("3.8", 403), ("3.12", 200)])
def test_get_by_a_global_readonly_superuser(profile, status):
    # FEATURE_SUPERUSERS_FULL_ACCESS at Quay's default (off): only the read-only rule applies.
    test_client = client(profile, features={"SUPERUSERS_FULL_ACCESS": False})
    response = test_client.get(MIRROR, headers=auth("globalreadonlysuperuser"))
    assert response.status_code == status
    if status == 403:
        assert response.data == api_error(403, "insufficient_scope", "Unauthorized")
    else:
        assert response.json["external_reference"] == "quay.io/redhat/quay"


def test_post_without_skopeo_timeout_interval_before_3_15_creates():
    test_client = client("3.12", mirror=False)
    response = test_client.post(MIRROR, json=OLD_CREATE, headers=auth("devtable"))
    assert (response.status_code, response.data) == (201, CREATED)
    assert view(test_client)["external_reference"] == "quay.io/foobar/barbaz"


def test_post_without_skopeo_timeout_interval_from_3_15_is_a_schema_error():
    test_client = client("3.15", mirror=False)
    response = test_client.post(MIRROR, json=OLD_CREATE, headers=auth("devtable"))
    assert response.status_code == 400
    assert response.json["error_type"] == "invalid_request"
    first_line = response.json["detail"].split("\n")[0]
    assert first_line == "'skopeo_timeout_interval' is a required property"
    assert mirror_keys(test_client) == []


def test_post_with_skopeo_timeout_interval_before_3_15_is_an_emulated_500_after_side_effects():
    test_client = client("3.12", mirror=False)
    response = test_client.post(MIRROR, json=NEW_CREATE, headers=auth("devtable"))
    assert (response.status_code, response.data) == (500, HTML_500)
    assert response.headers["Content-Type"] == "text/html"
    assert response.headers["X-Mockquay-Emulated"] == (
        "TypeError: unexpected keyword argument 'skopeo_timeout_interval'"
    )
    # Quay created the rule and granted the robot write before enable_mirroring crashed.
    assert permission(test_client, "devtable/simple", "devtable+newmirrorbot") == "write"
    assert mirror_keys(test_client) == []


def test_post_with_skopeo_timeout_interval_from_3_15_is_stored():
    test_client = client("3.15", mirror=False)
    body = dict(NEW_CREATE, skopeo_timeout_interval=900)
    response = test_client.post(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (201, CREATED)
    assert view(test_client)["skopeo_timeout_interval"] == 900


def test_post_with_architecture_filter_before_3_17_is_an_emulated_500_after_side_effects():
    test_client = client("3.15", mirror=False, features={"SPARSE_INDEX": True})
    body = dict(NEW_CREATE, architecture_filter=["amd64"])
    response = test_client.post(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (500, HTML_500)
    assert response.headers["X-Mockquay-Emulated"] == (
        "TypeError: unexpected keyword argument 'architecture_filter'"
    )
    assert permission(test_client, "devtable/simple", "devtable+newmirrorbot") == "write"
    assert mirror_keys(test_client) == []


def test_post_with_architecture_filter_in_3_17_is_stored():
    test_client = client("3.17", mirror=False, features={"SPARSE_INDEX": True})
    body = dict(NEW_CREATE, architecture_filter=["amd64", "s390x"])
    response = test_client.post(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (201, CREATED)
    assert view(test_client)["architecture_filter"] == ["amd64", "s390x"]


@pytest.mark.parametrize(
    ("sparse", "architectures", "message"),
    [
        (False, ["amd64"], "Architecture filtering requires FEATURE_SPARSE_INDEX to be enabled."),
        (True, ["amd64", "invalid_arch"], "Invalid architectures: invalid_arch"),
    ],
    ids=["sparse-off", "invalid"],
)
def test_post_with_a_refused_architecture_filter_in_3_17_creates_the_mirror_first(
    sparse, architectures, message
):
    test_client = client("3.17", mirror=False, features={"SPARSE_INDEX": sparse})
    body = dict(NEW_CREATE, architecture_filter=architectures)
    response = test_client.post(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (400, detail(message))
    created = view(test_client)
    assert (created["external_reference"], created["architecture_filter"]) == (
        "quay.io/foobar/barbaz",
        [],
    )
    repos = {repo["name"]: repo for repo in state(test_client)["repositories"]}
    assert repos["devtable/simple"]["state"] == "MIRROR"


@pytest.mark.parametrize(
    ("sparse", "architectures", "message"),
    [
        (False, ["amd64"], "Architecture filtering requires FEATURE_SPARSE_INDEX to be enabled."),
        (True, ["amd64", "invalid_arch"], "Invalid architectures: invalid_arch"),
    ],
    ids=["sparse-off", "invalid"],
)
def test_post_with_a_refused_architecture_filter_in_latest_creates_nothing(
    sparse, architectures, message
):
    test_client = client("latest", mirror=False, features={"SPARSE_INDEX": sparse})
    body = dict(NEW_CREATE, architecture_filter=architectures)
    response = test_client.post(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (400, detail(message))
    assert mirror_keys(test_client) == []
    assert permission(test_client, "devtable/simple", "devtable+newmirrorbot") is None


def test_post_with_a_bad_date_in_3_17_is_an_emulated_500_before_side_effects():
    test_client = client("3.17", mirror=False)
    body = dict(NEW_CREATE, sync_start_date="not-a-date")
    response = test_client.post(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (500, HTML_500)
    assert response.headers["X-Mockquay-Emulated"] == "ValueError parsing sync_start_date"
    # The date is parsed before the rule and the robot: nothing else happened.
    assert permission(test_client, "devtable/simple", "devtable+newmirrorbot") is None
    assert mirror_keys(test_client) == []


def test_post_with_a_bad_date_in_latest_is_a_400():
    test_client = client("latest", mirror=False)
    body = dict(NEW_CREATE, sync_start_date="not-a-date")
    response = test_client.post(MIRROR, json=body, headers=auth("devtable"))
    assert response.status_code == 400
    assert response.data == detail("Incorrect DateTime format for sync_start_date.")
    assert mirror_keys(test_client) == []


@pytest.mark.parametrize(
    ("method", "reference"),
    [("POST", "localhost/x"), ("POST", "10.0.0.1/team/repo"), ("PUT", "example.com")],
)
def test_external_reference_is_not_checked_in_3_17(method, reference):
    test_client = client("3.17", mirror=method == "PUT")
    body = (
        dict(NEW_CREATE, external_reference=reference)
        if method == "POST"
        else {"external_reference": reference}
    )
    response = test_client.open(MIRROR, method=method, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (201, CREATED)
    assert view(test_client)["external_reference"] == reference


@pytest.mark.parametrize(
    ("method", "reference", "message"),
    [
        ("POST", "localhost/x", "The provided registry location is not allowed"),
        ("POST", "10.0.0.1/team/repo", "The provided registry location is not allowed"),
        ("PUT", "example.com", "External registry reference must include a repository path"),
    ],
)
def test_external_reference_is_checked_in_latest(method, reference, message):
    test_client = client("latest", mirror=method == "PUT")
    body = (
        dict(NEW_CREATE, external_reference=reference)
        if method == "POST"
        else {"external_reference": reference}
    )
    response = test_client.open(MIRROR, method=method, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (
        400,
        api_error(400, "invalid_request", message),
    )
    if method == "PUT":
        assert view(test_client)["external_reference"] == "quay.io/redhat/quay"
    else:
        assert mirror_keys(test_client) == []


def test_put_empty_external_reference_in_3_17():
    test_client = client("3.17")
    response = test_client.put(MIRROR, json={"external_reference": ""}, headers=auth("devtable"))
    assert response.status_code == 400
    assert response.data == detail("Empty string is an invalid repository location.")
    assert response.headers["Content-Type"] == "application/json"


def test_put_empty_external_reference_in_latest():
    test_client = client("latest")
    response = test_client.put(MIRROR, json={"external_reference": ""}, headers=auth("devtable"))
    assert response.status_code == 400
    assert response.data == api_error(
        400, "invalid_request", "External registry reference is required"
    )


#: Multi-field PUTs with one invalid field: (body, answer, what 3.17 has applied by then).
PARTIAL_PUTS = {
    "bad-date-after-reference": (
        {
            "is_enabled": False,
            "external_reference": "registry.example.com/team/repo",
            "sync_start_date": "not-a-date",
        },
        detail("Incorrect DateTime format for sync_start_date."),
        {"is_enabled": False, "external_reference": "registry.example.com/team/repo"},
    ),
    "empty-rule-after-interval": (
        {"sync_interval": 7200, "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": []}},
        api_error(
            400,
            "invalid_request",
            "validation failed: rule_value for TAG_GLOB_CSV must be a list with at least one rule",
        ),
        {"sync_interval": 7200},
    ),
    "password-alone-after-interval": (
        {"sync_interval": 7200, "external_registry_password": "secret"},
        detail("Unable to set a new password without also specifying a username."),
        {"sync_interval": 7200},
    ),
    "bad-date-after-robot": (
        {"robot_username": "devtable+newmirrorbot", "sync_start_date": "not-a-date"},
        detail("Incorrect DateTime format for sync_start_date."),
        {"robot_username": "devtable+newmirrorbot"},
    ),
    "unknown-robot-before-interval": (
        {"sync_interval": 7200, "robot_username": "devtable+doesntExist"},
        b'{"message":"Could not find robot with specified username"}\n',
        {},
    ),
}


@pytest.mark.parametrize("case", PARTIAL_PUTS)
def test_put_with_one_invalid_field_in_3_17_keeps_the_fields_applied_before_it(case):
    body, answer, applied = PARTIAL_PUTS[case]
    test_client = client("3.17")
    before = view(test_client)
    response = test_client.put(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (400, answer)
    assert view(test_client) == {**before, **applied}
    granted = "write" if "robot_username" in applied else None
    assert permission(test_client, "devtable/simple", "devtable+newmirrorbot") == granted


@pytest.mark.parametrize("case", PARTIAL_PUTS)
def test_put_with_one_invalid_field_in_latest_changes_nothing(case):
    body, answer, _ = PARTIAL_PUTS[case]
    test_client = client("latest")
    before = view(test_client)
    response = test_client.put(MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (400, answer)
    assert view(test_client) == before
    assert permission(test_client, "devtable/simple", "devtable+newmirrorbot") is None


def _requested_mirror(profile: str):
    world = quay_test_world(mirror=False)
    world["mirrors"] = [
        dict(copy.deepcopy(SETUP_MIRROR), sync_status="SYNC_NOW", sync_retries_remaining=2)
    ]
    return build_app(world, profile=profile).test_client()


@pytest.mark.parametrize(
    ("profile", "status", "retries"), [("3.12", "NEVER_RUN", 2), ("3.15", "CANCEL", 0)]
)
def test_sync_cancel_result(profile, status, retries):
    test_client = _requested_mirror(profile)
    response = test_client.post(f"{MIRROR}/sync-cancel", headers=auth("devtable"))
    assert (response.status_code, response.data) == (204, b"")
    after = view(test_client)
    assert (after["sync_status"], after["sync_retries_remaining"]) == (status, retries)
    assert after["sync_expiration_date"] is None


@pytest.mark.parametrize(
    ("profile", "expires"), [("3.12", "2026-03-01T12:00:00Z"), ("3.15", "2026-03-01T22:00:00Z")]
)
def test_syncing_expiration_window(profile, expires):
    test_client = client(profile)
    claimed = test_client.post(
        "/__mockquay__/worker/claim",
        json={"repository": "devtable/simple", "at": "2026-03-01T10:00:00Z"},
    )
    assert claimed.status_code == 200
    after = view(test_client)
    assert (after["sync_status"], after["sync_expiration_date"]) == ("SYNCING", expires)


def _org_mirror_world(profile: str, *, repo_mirror: bool):
    world = org_mirrored(quay_test_world(mirror=False))
    if repo_mirror:
        world["mirrors"] = [
            dict(
                copy.deepcopy(SETUP_MIRROR),
                repository="buynlarge/orgrepo",
                robot_username="buynlarge+coolrobot",
            )
        ]
    return build_app(world, profile=profile).test_client()


ORG_CONFLICT = api_error(
    400,
    "invalid_request",
    "Repository mirror configuration cannot be managed when organization-level mirroring is "
    "configured",
)


def test_org_mirror_does_not_conflict_in_3_15():
    created = _org_mirror_world("3.15", repo_mirror=False)
    body = dict(NEW_CREATE, robot_username="buynlarge+coolrobot")
    response = created.post(ORG_MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (201, CREATED)
    changed = _org_mirror_world("3.15", repo_mirror=True)
    response = changed.put(ORG_MIRROR, json={"sync_interval": 7200}, headers=auth("devtable"))
    assert (response.status_code, response.data) == (201, CREATED)
    assert view(changed, ORG_MIRROR)["sync_interval"] == 7200


def test_org_mirror_conflicts_in_3_17():
    created = _org_mirror_world("3.17", repo_mirror=False)
    body = dict(NEW_CREATE, robot_username="buynlarge+coolrobot")
    response = created.post(ORG_MIRROR, json=body, headers=auth("devtable"))
    assert (response.status_code, response.data) == (400, ORG_CONFLICT)
    assert mirror_keys(created) == []
    changed = _org_mirror_world("3.17", repo_mirror=True)
    response = changed.put(ORG_MIRROR, json={"sync_interval": 7200}, headers=auth("devtable"))
    assert (response.status_code, response.data) == (400, ORG_CONFLICT)
    assert view(changed, ORG_MIRROR)["sync_interval"] == 5000


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_non_json_content_type_in_3_8(method):
    test_client = client("3.8", mirror=method == "PUT")
    response = test_client.open(
        MIRROR,
        method=method,
        data=json.dumps(OLD_CREATE),
        headers={**auth("devtable"), "Content-Type": "text/plain"},
    )
    assert response.status_code == 400
    assert response.data == api_error(400, "invalid_request", "Missing JSON body")


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_non_json_content_type_from_3_9_10(method):
    test_client = client("3.12", mirror=method == "PUT")
    response = test_client.open(
        MIRROR,
        method=method,
        data=json.dumps(OLD_CREATE),
        headers={**auth("devtable"), "Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert response.data == (
        b'{"message": "Did not attempt to load JSON data because the request Content-Type was '
        b"not 'application/json'.\"}\n"
    )


@pytest.mark.parametrize("profile", ALL_PROFILES)
def test_success_answers_are_the_same_in_every_profile(profile):
    test_client = client(profile)
    changed = test_client.put(MIRROR, json={"sync_interval": 60}, headers=auth("devtable"))
    assert (changed.status_code, changed.data) == (201, CREATED)
    synced = test_client.post(f"{MIRROR}/sync-now", headers=auth("devtable"))
    assert (synced.status_code, synced.data) == (204, b"")
    cancelled = test_client.post(f"{MIRROR}/sync-cancel", headers=auth("devtable"))
    assert (cancelled.status_code, cancelled.data) == (204, b"")
