"""The Python API without pytest: ``MockQuay`` and ``Controls``, from scripts and unittest."""

from __future__ import annotations

import io
import json
import unittest

import pytest
import requests
from support.world import quay_test_world

import mockquay
from mockquay.app import create_app
from mockquay.server import Server
from mockquay.settings import Settings
from mockquay.testing import Controls, MockQuay, MockQuayError, describe_entry

ETCD_MIRROR = "/api/v1/repository/acme/etcd/mirror"
SOLO = {
    "users": [{"username": "solo"}],
    "repositories": [{"name": "solo/app"}],
    "tokens": [
        {"token": "solo-read", "user": "solo", "scopes": ["repo:read"]},
        {"token": "solo-admin", "user": "solo", "scopes": ["repo:admin", "repo:read"]},
    ],
}


@pytest.fixture(scope="module")
def served():
    """One MockQuay serving for this module's tests (each test resets it)."""
    with MockQuay() as mq:
        yield mq


@pytest.fixture
def mq(served):
    return served.reset()


def test_mockquay_is_exported_lazily_from_the_package():
    assert mockquay.MockQuay is MockQuay
    with pytest.raises(AttributeError, match="has no attribute 'Nothing'"):
        mockquay.Nothing  # noqa: B018


def test_a_started_mockquay_serves_quay_on_a_local_url(mq):
    assert mq.url.startswith("http://127.0.0.1:")
    response = requests.get(
        mq.url + ETCD_MIRROR, headers={"Authorization": f"Bearer {mq.token}"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json()["external_reference"] == "quay.io/coreos/etcd"


def test_the_token_is_admin_token_with_the_bundled_fixtures(mq):
    assert mq.token == "admin-token"


def test_the_token_is_the_first_with_repo_admin_else_the_first():
    with MockQuay(fixtures=SOLO) as mq:
        assert mq.token == "solo-admin"
    reader = {"token": "t", "user": "u", "scopes": ["repo:read"]}
    with MockQuay(fixtures={"users": [{"username": "u"}], "tokens": [reader]}) as mq:
        assert mq.token == "t"


def test_a_token_given_is_the_token(mq):
    with MockQuay(token="dev-token") as mine:
        assert mine.token == "dev-token"


def test_session_sends_the_token_to_paths_under_the_url(mq):
    session = mq.session()
    assert session.headers["Authorization"] == "Bearer admin-token"
    assert session.get(ETCD_MIRROR).status_code == 200
    assert mq.session(token="dev-token").get(ETCD_MIRROR).status_code == 403


def test_health_names_the_profile():
    with MockQuay(profile="3.15") as mq:
        assert mq.health() == {"ready": True, "profile": "3.15", "version": mockquay.__version__}


def test_the_seed_is_the_servers_seed_for_chance_based_faults():
    mq = MockQuay(seed=7)
    assert mq.fault_seed() == 7
    mq.stop()
    default = MockQuay()
    assert default.fault_seed() == 0
    default.stop()


def test_fixtures_may_be_documents_and_paths_in_order(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("repositories:\n  - {name: solo/second}\n", encoding="utf-8")
    with MockQuay(fixtures=[SOLO, extra]) as mq:
        names = [repo["name"] for repo in mq.state()["repositories"]]
        assert names == ["solo/app", "solo/second"]
        mq.seed({"repositories": [{"name": "solo/third"}]})
        mq.reset()
        assert [repo["name"] for repo in mq.state()["repositories"]] == names


def test_fixtures_may_start_from_the_bundled_ones_and_reset_to_bundled_and_a_document(mq):
    on_bundled = {"repositories": [{"name": "acme/mine"}]}
    with MockQuay(fixtures=["bundled", on_bundled]) as own:
        names = [repo["name"] for repo in own.state()["repositories"]]
    assert "acme/etcd" in names and "acme/mine" in names
    mq.reset(["bundled", on_bundled])
    assert [repo["name"] for repo in mq.state()["repositories"]] == names


def test_test_client_works_in_process_without_a_server():
    mq = MockQuay()
    client = mq.test_client()
    assert (
        client.get(ETCD_MIRROR, headers={"Authorization": "Bearer admin-token"}).status_code == 200
    )
    with pytest.raises(RuntimeError, match="not serving"):
        mq.url  # noqa: B018
    assert mq.requests(operation="getRepoMirrorConfig")[0]["status"] == 200
    mq.stop()


def test_seed_applies_a_document_or_a_file_on_top(mq, tmp_path):
    path = tmp_path / "more.json"
    path.write_text(json.dumps({"repositories": [{"name": "acme/from-file"}]}), encoding="utf-8")
    mq.seed({"repositories": [{"name": "acme/from-dict"}]})
    mq.seed(path)
    names = {repo["name"] for repo in mq.state()["repositories"]}
    assert {"acme/app", "acme/from-dict", "acme/from-file"} <= names


def test_an_invalid_seed_raises_with_the_problems_and_changes_nothing(mq):
    before = mq.state()
    with pytest.raises(MockQuayError) as raised:
        mq.seed({"repositories": [{"name": "ghost/app"}]})
    assert str(raised.value) == (
        "POST /__mockquay__/seed answered 400: invalid fixture document\n"
        "  <seed>: repositories[0]: namespace 'ghost' is not a user or organization"
    )
    assert raised.value.status == 400
    assert mq.state() == before


def test_reset_returns_to_the_boot_fixtures_and_empties_the_journal(mq):
    mq.session().post(ETCD_MIRROR + "/sync-now")
    assert mq.state()["mirrors"][0]["sync_status"] == "SYNC_NOW"
    mq.reset()
    assert mq.state()["mirrors"][0]["sync_status"] == "NEVER_RUN"
    assert mq.requests() == []


def test_reset_to_other_fixtures_and_a_profile(mq):
    mq.reset(quay_test_world(), profile="3.12")
    assert mq.health()["profile"] == "3.12"
    assert mq.token == "devtable-token"
    mq.reset()
    assert mq.health()["profile"] == "latest"
    assert mq.token == "admin-token"


def test_requests_filters_the_journal(mq):
    session = mq.session()
    session.get(ETCD_MIRROR)
    session.post(ETCD_MIRROR + "/sync-now")
    session.get("/api/v1/repository/acme/app/mirror")
    assert [e["operation"] for e in mq.requests()] == [
        "getRepoMirrorConfig", "syncNow", "getRepoMirrorConfig"
    ]  # fmt: skip
    assert [e["status"] for e in mq.requests("getRepoMirrorConfig")] == [200, 404]
    assert [e["repository"] for e in mq.requests(status="4xx")] == ["acme/app"]
    assert [e["method"] for e in mq.requests(method="post")] == ["POST"]
    mq.clear_requests()
    assert mq.requests() == []


def test_assert_called_returns_the_matching_requests(mq):
    mq.session().post(ETCD_MIRROR + "/sync-now")
    [entry] = mq.assert_called("syncNow", repository="acme/etcd", times=1)
    assert entry["status"] == 204
    mq.assert_called("syncNow")
    mq.assert_not_called("syncCancel")
    mq.assert_not_called("syncNow", repository="acme/app")


def test_assert_called_explains_what_was_called_instead(mq):
    session = mq.session()
    session.post(ETCD_MIRROR + "/sync-now")
    session.get("/api/v1/repository/acme/app/mirror")
    with pytest.raises(AssertionError) as raised:
        mq.assert_called("syncNow", repository="acme/app", times=1)
    first, second = (entry["id"] for entry in mq.requests())
    assert str(raised.value) == (
        "expected syncNow on acme/app to be called once, but it was not called.\n"
        "Requests to Quay's API recorded (2):\n"
        f"  #{first} POST /api/v1/repository/acme/etcd/mirror/sync-now -> 204 (syncNow acme/etcd)\n"
        f"  #{second} GET /api/v1/repository/acme/app/mirror -> 404 "
        "(getRepoMirrorConfig acme/app)"
    )


def test_assert_called_with_no_requests_says_so(mq):
    with pytest.raises(AssertionError) as raised:
        mq.assert_called("syncNow", method="POST")
    assert str(raised.value) == (
        "expected syncNow with method='POST' to be called at least once, but it was not "
        "called.\nNo requests to Quay's API were recorded."
    )


def test_assert_not_called_lists_the_calls(mq):
    mq.session().post(ETCD_MIRROR + "/sync-now")
    mq.session().post(ETCD_MIRROR + "/sync-now")
    with pytest.raises(
        AssertionError, match="expected syncNow not to be called, but it was called twice"
    ):
        mq.assert_not_called("syncNow")


@pytest.mark.parametrize(
    ("entry", "line"),
    [
        (
            {"id": 1, "method": "GET", "path": "/api/v1/nothing", "query": "", "operation": None,
             "repository": None, "served": False, "status": 404, "fault": None, "body": None},
            "#1 GET /api/v1/nothing -> 404 (a path mockquay does not serve)",
        ),
        (
            {"id": 2, "method": "POST", "path": "/api/v1/repository/a/b/mirror/sync-now",
             "query": "x=1", "operation": "syncNow", "repository": "a/b", "served": True,
             "status": None, "fault": "reset-1", "body": None},
            "#2 POST /api/v1/repository/a/b/mirror/sync-now?x=1 -> no answer (syncNow a/b) "
            "[fault reset-1]",
        ),
        (
            {"id": 3, "method": "PUT", "path": "/api/v1/repository/a/b/mirror", "query": "",
             "operation": "changeRepoMirrorConfig", "repository": "a/b", "served": True,
             "status": 201, "fault": None, "body": {"is_enabled": False}},
            '#3 PUT /api/v1/repository/a/b/mirror -> 201 (changeRepoMirrorConfig a/b) '
            'body={"is_enabled": false}',
        ),
    ],
    ids=["unserved", "transport-fault", "body"],
)  # fmt: skip
def test_describe_entry(entry, line):
    assert describe_entry(entry) == line


def test_controls_connect_drives_a_server_over_http_with_its_admin_token():
    app = create_app(Settings(worker="off", admin_token="sesame"))
    server = Server(app, "127.0.0.1", 0).start()
    try:
        without = Controls.connect(server.url)
        with pytest.raises(MockQuayError, match="answered 401: missing or wrong"):
            without.state()
        controls = Controls.connect(server.url, admin_token="sesame")
        controls.reset(SOLO, profile="3.17")
        assert controls.token == "solo-admin"
        assert controls.health()["profile"] == "3.17"
        assert controls.session().get("/api/v1/repository/solo/app/mirror").status_code == 404
        controls.assert_called("getRepoMirrorConfig", repository="solo/app", times=1)
        controls.close()
        without.close()
    finally:
        server.stop()


def test_controls_connected_with_fixtures_reset_to_them(served):
    controls = Controls.connect(served.url, fixtures=SOLO)
    controls.reset()
    assert [user["username"] for user in controls.state()["users"]] == ["solo"]
    controls.seed({"repositories": [{"name": "solo/extra"}]})
    controls.reset()
    assert [repo["name"] for repo in controls.state()["repositories"]] == ["solo/app"]
    controls.close()
    served.reset()


class _MirrorTests(unittest.TestCase):
    """A plain unittest case, as a user would write it (run by the test below, not collected)."""

    @classmethod
    def setUpClass(cls):
        cls.mq = MockQuay().start()

    @classmethod
    def tearDownClass(cls):
        cls.mq.stop()

    def setUp(self):
        self.mq.reset()

    def test_sync_now(self):
        response = self.mq.session().post(ETCD_MIRROR + "/sync-now")
        self.assertEqual(response.status_code, 204)
        self.mq.assert_called("syncNow", repository="acme/etcd", times=1)

    def test_state_was_reset(self):
        self.assertEqual(self.mq.state()["mirrors"][0]["sync_status"], "NEVER_RUN")
        self.mq.assert_not_called("syncNow")

    def test_a_failing_assertion(self):
        self.mq.assert_called("syncCancel")


_MirrorTests.__test__ = False


def test_mockquay_works_from_a_plain_unittest_case():
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromTestCase(_MirrorTests)
    stream = io.StringIO()
    result = unittest.TextTestRunner(stream=stream, verbosity=0).run(suite)
    assert result.testsRun == 3
    assert result.errors == []
    [(failed, trace)] = result.failures
    assert failed.id().endswith("test_a_failing_assertion")
    assert "expected syncCancel to be called at least once, but it was not called." in trace


def test_fault_scoped_by_with_is_removed_on_exit_and_names_its_requests(mq):
    session = mq.session()
    with mq.fault(operation="syncNow", status=503, headers={"Retry-After": "2"}) as fault:
        assert fault.id == "fault-1"
        answer = session.post(ETCD_MIRROR + "/sync-now")
        assert (answer.status_code, answer.headers["Retry-After"]) == (503, "2")
        assert [(rule["id"], rule["fired"]) for rule in mq.faults()] == [("fault-1", 1)]
    assert mq.faults() == []
    assert session.post(ETCD_MIRROR + "/sync-now").status_code == 204
    assert [(e["status"], e["fault"]) for e in fault.requests()] == [(503, "fault-1")]
    fault.remove()  # already gone: fine


def test_fault_takes_match_keys_at_the_top_level_or_in_match(mq):
    mq.fault(id="by-key", operation="syncNow", repository="acme/*", status=500)
    mq.fault(id="by-match", match={"method": "GET", "path": "/api/v1/repository/*"}, status=502)
    assert [(rule["id"], rule["match"]) for rule in mq.faults()] == [
        ("by-key", {"operation": "syncNow", "repository": "acme/*"}),
        ("by-match", {"method": "GET", "path": "/api/v1/repository/*"}),
    ]
    assert mq.session().get(ETCD_MIRROR).status_code == 502


def test_an_invalid_fault_rule_raises_with_the_reason(mq):
    with pytest.raises(MockQuayError, match="answered 400: invalid fault rule: status: "):
        mq.fault(status=999)
    assert mq.faults() == []


def test_a_transport_fault_is_journaled_with_no_status_and_its_rule(mq):
    with mq.fault(operation="syncNow", transport="close") as fault:
        with pytest.raises(requests.ConnectionError):
            mq.session().post(ETCD_MIRROR + "/sync-now")
    [entry] = mq.requests("syncNow")
    assert (entry["status"], entry["fault"]) == (None, fault.id)


def test_an_after_phase_fault_is_journaled_with_its_status_and_the_change_kept(mq):
    with mq.fault(operation="syncNow", status=502, phase="after") as fault:
        assert mq.session().post(ETCD_MIRROR + "/sync-now").status_code == 502
    assert mq.state()["mirrors"][0]["sync_status"] == "SYNC_NOW"
    mq.assert_called("syncNow", status=502, times=1)
    assert mq.requests("syncNow")[0]["fault"] == fault.id


def test_reset_removes_the_fault_rules_added(mq):
    mq.fault(operation="syncNow", status=503)
    mq.reset()
    assert mq.faults() == []
    assert mq.session().post(ETCD_MIRROR + "/sync-now").status_code == 204


def test_reset_with_faults_installs_them(mq):
    mq.reset(faults=[{"id": "first", "status": 503}, {"operation": "syncNow", "status": 500}])
    assert [rule["id"] for rule in mq.faults()] == ["first", "fault-2"]
    assert mq.session().get(ETCD_MIRROR).status_code == 503
