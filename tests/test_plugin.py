"""The pytest plugin, run on example suites with pytester: fixtures, marker, options, reports."""

from __future__ import annotations

import pytest

# Imported here so that pytester's in-process runs share these modules instead of importing
# fresh copies each run (whose classes would not match those of the copies kept in memory).
import mockquay.app  # noqa: F401
import mockquay.testing  # noqa: F401

pytest_plugins = ["pytester"]

#: An example suite that uses every fixture and every marker keyword.
EXAMPLE_SUITE = """
import pytest
import requests
from mockquay.extension import emulator_of

MIRROR = "/api/v1/repository/acme/etcd/mirror"


def test_server_serves_quay(mockquay_server):
    response = requests.get(mockquay_server.url + MIRROR,
                            headers={"Authorization": "Bearer admin-token"}, timeout=10)
    assert response.status_code == 200


def test_url_token_and_session(mockquay):
    assert mockquay.url.startswith("http://127.0.0.1:")
    assert mockquay.token == "admin-token"
    assert mockquay.session().get(MIRROR).json()["external_reference"] == "quay.io/coreos/etcd"


def test_seed_and_state(mockquay):
    mockquay.seed({"repositories": [{"name": "acme/seeded"}]})
    names = [repo["name"] for repo in mockquay.state()["repositories"]]
    assert "acme/seeded" in names


def test_fault_as_a_context_manager(mockquay):
    session = mockquay.session()
    with mockquay.fault(operation="syncNow", status=503, times=1) as fault:
        answer = session.post(MIRROR + "/sync-now")
        assert answer.status_code == 503
        assert answer.headers["X-Mockquay-Fault"] == fault.id
    assert session.post(MIRROR + "/sync-now").status_code == 204
    assert [entry["status"] for entry in mockquay.requests("syncNow")] == [503, 204]
    assert [entry["fault"] for entry in mockquay.requests("syncNow")] == [fault.id, None]


def test_fault_for_the_rest_of_the_test(mockquay):
    mockquay.fault(operation="getRepoMirrorConfig", status=500)
    assert mockquay.session().get(MIRROR).status_code == 500


def test_assert_called(mockquay):
    mockquay.session().post(MIRROR + "/sync-now")
    mockquay.assert_called("syncNow", repository="acme/etcd", times=1)
    mockquay.assert_not_called("syncCancel")


def test_app_and_client_in_process(mockquay_app, mockquay_client):
    assert emulator_of(mockquay_app).quay_config().profile.name == "latest"
    response = mockquay_client.get(MIRROR, headers={"Authorization": "Bearer admin-token"})
    assert response.status_code == 200


def test_app_and_live_server_share_one_state(mockquay, mockquay_client):
    mockquay_client.post(MIRROR + "/sync-now", headers={"Authorization": "Bearer admin-token"})
    assert mockquay.state()["mirrors"][0]["sync_status"] == "SYNC_NOW"
    mockquay.assert_called("syncNow", times=1)


@pytest.mark.mockquay(
    fixtures={"users": [{"username": "solo"}], "repositories": [{"name": "solo/app"}],
              "tokens": [{"token": "solo-token", "user": "solo", "scopes": ["repo:admin"]}]},
    profile="3.15",
    faults=[{"match": {"operation": "syncCancel"}, "status": 502}],
)
def test_marker_sets_fixtures_profile_and_faults(mockquay):
    assert mockquay.token == "solo-token"
    assert mockquay.health()["profile"] == "3.15"
    assert [repo["name"] for repo in mockquay.state()["repositories"]] == ["solo/app"]
    answer = mockquay.session().post("/api/v1/repository/solo/app/mirror/sync-cancel")
    assert answer.status_code == 502


@pytest.mark.mockquay(fixtures="world.yaml")
def test_marker_fixture_path_is_relative_to_the_test_file(mockquay_client):
    response = mockquay_client.get("/api/v1/repository/far/away/mirror",
                                   headers={"Authorization": "Bearer far-token"})
    assert response.status_code == 200
    assert response.json["external_reference"] == "quay.io/far/away"


@pytest.mark.mockquay(allow_unserved=True)
def test_marker_allows_unserved_paths(mockquay):
    assert mockquay.session().get("/api/v1/not-in-quay").status_code == 404


def test_attribute_allows_unserved_paths(mockquay):
    mockquay.allow_unserved = True
    assert mockquay.session().get("/api/v1/not-in-quay").status_code == 404
"""

WORLD = """\
users: [{username: far}]
repositories: [{name: far/away}]
tokens: [{token: far-token, user: far, scopes: [repo:admin, repo:read]}]
mirrors:
  - repository: far/away
    external_reference: quay.io/far/away
    sync_interval: 60
    sync_start_date: "2026-01-01T00:00:00Z"
    root_rule: {rule_kind: tag_glob_csv, rule_value: ["*"]}
"""


@pytest.fixture
def example(pytester):
    pytester.makepyfile(test_example=EXAMPLE_SUITE)
    pytester.path.joinpath("world.yaml").write_text(WORLD, encoding="utf-8")
    return pytester


def test_the_example_suite_passes(example):
    result = example.runpytest()
    result.assert_outcomes(passed=12)


def test_the_example_suite_passes_under_xdist(example):
    result = example.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=12)


def test_a_failing_assertion_explains_itself_and_the_report_has_journal_and_seed(pytester):
    pytester.makepyfile(
        """
        def test_sync_the_wrong_repository(mockquay):
            mockquay.seed({"repositories": [{"name": "acme/seeded"}]})
            mockquay.session().post("/api/v1/repository/acme/etcd/mirror/sync-now")
            mockquay.assert_called("syncNow", repository="acme/app", times=1)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            '>       mockquay.assert_called("syncNow", repository="acme/app", times=1)',
            "E       AssertionError: expected syncNow on acme/app to be called once, "
            "but it was not called.",
            "E       Requests to Quay's API recorded (1):",
            "E         #1 POST /api/v1/repository/acme/etcd/mirror/sync-now -> 204 "
            "(syncNow acme/etcd)",
            "",
            "test_a_failing_assertion_*.py:4: AssertionError",
            "*- mockquay journal -*",
            "Requests to Quay's API recorded (1):",
            "  #1 POST /api/v1/repository/acme/etcd/mirror/sync-now -> 204 (syncNow acme/etcd)",
            "*- mockquay seed -*",
            "Seed of chance-based faults: 0",
            'seeded from document 1: {"repositories": [{"name": "acme/seeded"}]}',
        ]
    )


def test_a_failing_test_without_mockquay_gets_no_mockquay_sections(pytester):
    pytester.makepyfile("def test_plain():\n    assert 1 == 2\n")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*- mockquay journal -*")
    result.stdout.no_fnmatch_line("*- mockquay seed -*")


def test_state_faults_profile_and_journal_never_reach_the_next_test(pytester):
    pytester.makepyfile(
        """
        import pytest

        MIRROR = "/api/v1/repository/acme/etcd/mirror"

        @pytest.mark.mockquay(profile="3.8", faults={"match": {"operation": "syncCancel"},
                                                     "status": 500})
        def test_a_changes_everything(mockquay, mockquay_client):
            mockquay.seed({"repositories": [{"name": "acme/leaked"}]})
            mockquay.fault(operation="getRepoMirrorConfig", status=503)
            mockquay.session().post(MIRROR + "/sync-now")
            mockquay.allow_unserved = True
            mockquay.session().get("/api/v1/unserved")
            assert len(mockquay.faults()) == 2

        def test_b_starts_clean(mockquay):
            state = mockquay.state()
            assert "acme/leaked" not in [repo["name"] for repo in state["repositories"]]
            assert state["mirrors"][0]["sync_status"] == "NEVER_RUN"
            assert mockquay.health()["profile"] == "latest"
            assert mockquay.faults() == []
            assert mockquay.requests() == []
            assert mockquay.allow_unserved is False
            assert mockquay.session().get(MIRROR).status_code == 200

        def test_c_in_process_starts_clean_too(mockquay_app, mockquay_client):
            state = mockquay_app.extensions["mockquay"].export()
            assert "acme/leaked" not in [repo["name"] for repo in state["repositories"]]
            assert mockquay_client.get("/__mockquay__/requests").json == {"requests": []}
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)


def test_a_request_to_an_unserved_path_fails_the_test_at_teardown(pytester):
    pytester.makepyfile(
        """
        def test_calls_a_path_mockquay_lacks(mockquay):
            assert mockquay.session().get("/api/v1/not-in-quay/").status_code == 404
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_calls_a_path_mockquay_lacks*",
            "test_a_request_to_an_unserved_path_fails_the_test_at_teardown.py::"
            "test_calls_a_path_mockquay_lacks called path(s) mockquay does not serve: "
            "GET /api/v1/not-in-quay/. mockquay answered as Quay does where its API has no route "
            "(308 or 404), which may not be what the test meant. Allow it with "
            "@pytest.mark.mockquay(allow_unserved=True) or mockquay.allow_unserved = True.",
            "*- mockquay journal -*",
            "  #1 GET /api/v1/not-in-quay/ -> 404 (a path mockquay does not serve)",
        ]
    )


def test_an_unserved_path_from_the_in_process_client_fails_too(pytester):
    pytester.makepyfile(
        """
        def test_in_process(mockquay_client):
            assert mockquay_client.get("/api/v1/not-in-quay-either").status_code == 308
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*mockquay does not serve: GET /api/v1/not-in-quay-either.*"])


def test_markers_merge_from_module_to_test_the_closest_winning(pytester):
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.mockquay(profile="3.12", allow_unserved=True)

        @pytest.mark.mockquay(profile="3.17")
        def test_closest_profile_wins_and_module_keywords_stay(mockquay):
            assert mockquay.health()["profile"] == "3.17"
            mockquay.session().get("/api/v1/unserved")

        def test_module_marker(mockquay):
            assert mockquay.health()["profile"] == "3.12"
        """
    )
    pytester.runpytest().assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (
            "pytest.mark.mockquay(profil='3.8')",
            "unknown @pytest.mark.mockquay keyword(s) profil "
            "(known: fixtures, profile, faults, allow_unserved)",
        ),
        ("pytest.mark.mockquay('3.8')", "@pytest.mark.mockquay takes keywords only"),
        (
            "pytest.mark.mockquay(fixtures={'repositories': [{'name': 'ghost/app'}]})",
            "*PUT /__mockquay__/state answered 400: invalid fixture document",
        ),
    ],
    ids=["unknown-keyword", "positional", "invalid-fixtures"],
)
def test_a_bad_marker_errors_the_test_with_the_reason(pytester, marker, message):
    pytester.makepyfile(f"import pytest\n\n@{marker}\ndef test_x(mockquay):\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])


def test_a_fixture_shared_by_mockquay_and_mockquay_app_resets_once(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockquay(faults=[{"id": "only-once", "status": 503}])
        def test_both(mockquay_app, mockquay):
            assert [rule["id"] for rule in mockquay.faults()] == ["only-once"]
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


OPTIONS_SUITE = """
def test_options(mockquay, mockquay_app):
    assert mockquay.health()["profile"] == "3.15"
    assert mockquay.token == "far-token"
    assert mockquay_app.extensions["mockquay"].settings.seed == 42
"""


def test_command_line_options_set_profile_fixtures_and_seed(pytester):
    pytester.makepyfile(OPTIONS_SUITE)
    pytester.path.joinpath("world.yaml").write_text(WORLD, encoding="utf-8")
    result = pytester.runpytest(
        "--mockquay-profile", "3.15", "--mockquay-fixtures", "world.yaml", "--mockquay-seed", "42"
    )
    result.assert_outcomes(passed=1)


def test_ini_keys_set_profile_fixtures_and_seed_relative_to_the_ini_file(pytester):
    pytester.makepyfile(OPTIONS_SUITE)
    pytester.mkdir("fixtures").joinpath("world.yaml").write_text(WORLD, encoding="utf-8")
    pytester.makeini(
        "[pytest]\nmockquay_profile = 3.15\nmockquay_fixtures = fixtures/world.yaml\n"
        "mockquay_seed = 42\n"
    )
    pytester.runpytest().assert_outcomes(passed=1)


BUNDLED_AND_WORLD_SUITE = """
import pytest

NAMES = ["acme/app", "acme/etcd", "acme/public-base", "dev/sandbox", "far/away"]


def names(mockquay):
    return sorted(repository["name"] for repository in mockquay.state()["repositories"])


def test_options(mockquay):
    assert names(mockquay) == NAMES


@pytest.mark.mockquay(fixtures=["bundled", "world.yaml"])
def test_marker(mockquay):
    assert names(mockquay) == NAMES
"""


def test_fixtures_option_takes_bundled_then_a_file_in_order(pytester):
    pytester.makepyfile(BUNDLED_AND_WORLD_SUITE)
    pytester.path.joinpath("world.yaml").write_text(WORLD, encoding="utf-8")
    result = pytester.runpytest(
        "--mockquay-fixtures", "bundled", "--mockquay-fixtures", "world.yaml"
    )
    result.assert_outcomes(passed=2)


def test_fixtures_ini_key_takes_bundled_then_a_file_relative_to_the_ini_file(pytester):
    pytester.makepyfile(BUNDLED_AND_WORLD_SUITE)
    pytester.path.joinpath("world.yaml").write_text(WORLD, encoding="utf-8")
    pytester.mkdir("fixtures").joinpath("world.yaml").write_text(WORLD, encoding="utf-8")
    pytester.makeini("[pytest]\nmockquay_fixtures = bundled fixtures/world.yaml\n")
    pytester.runpytest().assert_outcomes(passed=2)


def test_the_command_line_beats_the_ini_file(pytester):
    pytester.makepyfile(
        "def test_profile(mockquay):\n    assert mockquay.health()['profile'] == '3.17'\n"
    )
    pytester.makeini("[pytest]\nmockquay_profile = 3.8\n")
    pytester.runpytest("--mockquay-profile", "3.17").assert_outcomes(passed=1)


def test_an_unknown_profile_option_errors_with_the_known_ones(pytester):
    pytester.makepyfile("def test_x(mockquay):\n    pass\n")
    result = pytester.runpytest("--mockquay-profile", "2.0")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*2.0*"])


REMOTE_SUITE = """
import pytest

MIRROR = "/api/v1/repository/acme/etcd/mirror"


def test_remote_url(mockquay, mockquay_server):
    assert mockquay.url == mockquay_server.url == "{url}"
    assert mockquay.token == "admin-token"


def test_remote_seed_fault_and_journal(mockquay):
    mockquay.seed({{"repositories": [{{"name": "acme/remote"}}]}})
    with mockquay.fault(operation="syncNow", status=503):
        assert mockquay.session().post(MIRROR + "/sync-now").status_code == 503
    mockquay.assert_called("syncNow", repository="acme/etcd", status=503, times=1)


def test_remote_state_was_reset(mockquay):
    names = [repo["name"] for repo in mockquay.state()["repositories"]]
    assert "acme/remote" not in names
    assert mockquay.requests() == []


@pytest.mark.mockquay(profile="3.12")
def test_remote_marker_profile(mockquay):
    assert mockquay.health()["profile"] == "3.12"
"""


@pytest.fixture
def remote_server():
    from support.world import Served

    server = Served("--admin-token", "sesame")
    yield server
    server.stop()


def test_mockquay_url_drives_a_running_mockquay_serve(pytester, remote_server, monkeypatch):
    monkeypatch.setenv("MOCKQUAY_ADMIN_TOKEN", "sesame")
    pytester.makepyfile(REMOTE_SUITE.format(url=remote_server.url))
    result = pytester.runpytest("--mockquay-url", remote_server.url)
    result.assert_outcomes(passed=4)


def test_mockquay_url_with_fixtures_and_profile_resets_to_them(
    pytester, remote_server, monkeypatch
):
    monkeypatch.setenv("MOCKQUAY_ADMIN_TOKEN", "sesame")
    pytester.makepyfile(
        """
        def test_first(mockquay):
            assert mockquay.token == "far-token"
            assert mockquay.health()["profile"] == "3.15"
            mockquay.seed({"repositories": [{"name": "far/extra"}]})

        def test_second(mockquay):
            assert [r["name"] for r in mockquay.state()["repositories"]] == ["far/away"]
        """
    )
    pytester.path.joinpath("world.yaml").write_text(WORLD, encoding="utf-8")
    pytester.makeini(f"[pytest]\nmockquay_url = {remote_server.url}\n")
    result = pytester.runpytest("--mockquay-fixtures", "world.yaml", "--mockquay-profile", "3.15")
    result.assert_outcomes(passed=2)


def test_mockquay_url_without_the_admin_token_errors_with_the_reason(pytester, remote_server):
    pytester.makepyfile("def test_x(mockquay):\n    pass\n")
    result = pytester.runpytest("--mockquay-url", remote_server.url)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*mockquay at {remote_server.url} cannot be used: GET /__mockquay__/health "
            "answered 401: missing or wrong X-Mockquay-Admin-Token header*"
        ]
    )


ACCESS_SUITE = """
def test_one_request(mockquay):
    mockquay.session().get("/api/v1/repository/acme/etcd/mirror")
"""


def test_the_access_log_is_off_by_default(pytester):
    pytester.makepyfile(ACCESS_SUITE)
    result = pytester.runpytest_subprocess("-s")
    result.assert_outcomes(passed=1)
    assert "getRepoMirrorConfig" not in result.stderr.str()


@pytest.mark.parametrize(
    ("arguments", "ini", "expected"),
    [
        (["--mockquay-access-log"], "", '"GET /api/v1/repository/acme/etcd/mirror HTTP/1.1" 200'),
        (["--mockquay-access-log", "json"], "", '"operation": "getRepoMirrorConfig"'),
        ([], "[pytest]\nmockquay_access_log = common\n", "200 474 getRepoMirrorConfig -"),
    ],
)
def test_the_access_log_is_on_when_asked(pytester, arguments, ini, expected):
    if ini:
        pytester.makefile(".ini", pytest=ini)
    pytester.makepyfile(ACCESS_SUITE)
    result = pytester.runpytest_subprocess("-s", *arguments)
    result.assert_outcomes(passed=1)
    assert expected in result.stderr.str()
