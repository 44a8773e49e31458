"""The dashboard page ``/__mockquay__/ui/``: its HTML and data over Flask's test client, and the
page itself in a real headless Chromium (skipped, saying why, when none is installed)."""

from __future__ import annotations

import configparser
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from support.browser import click, rows_become, text_becomes, text_of, wait_for

from mockquay.admin import dashboard
from mockquay.app import create_app
from mockquay.domain import audit
from mockquay.domain.context import Context
from mockquay.extension import emulator_of
from mockquay.server import Server
from mockquay.settings import Settings

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:  # the browser fixture skips, saying why
    pass

PAGE = "/__mockquay__/ui/"
ADMIN_TOKEN = "dashboard-secret"
STATIC = Path(dashboard.__file__).parent / "static"
ETCD_ROW = 'tr[data-repository="acme/etcd"]'
ADMIN = {"Authorization": "Bearer admin-token"}
ETCD_DETAIL = "/__mockquay__/dashboard/mirrors/acme/etcd"
REGISTRIES = "/__mockquay__/dashboard/registries"
#: The clock from 2030-01-01 and an upstream whose v3.4.0 cannot be read: a sync of acme/etcd
#: claims at 00:00:00, fails v3.4.0 at once, copies v3.5.0 in 4 s, ends FAIL (partial) at
#: 00:00:04 and retries 30 s later.
PARTIAL_UPSTREAM = {
    "settings": {"clock": {"mode": "manual", "start": "2030-01-01T00:00:00Z"}},
    "registries": [
        {
            "host": "quay.io",
            "tls": "valid",
            "repositories": {
                "coreos/etcd": {
                    "tags": {
                        "v3.5.0": {"copy_seconds": 4},
                        "v3.4.0": {"fail": "manifest unknown", "copy_seconds": 2},
                    }
                }
            },
        }
    ],
}
V3_4_0_ERROR = (
    'time="2030-01-01T00:00:00Z" level=fatal msg="initializing source '
    "docker://quay.io/coreos/etcd:v3.4.0: reading manifest v3.4.0 in quay.io/coreos/etcd: "
    'manifest unknown"\n'
)
ETCD_FROM_NOWHERE = {
    "repository": "acme/etcd",
    "external_reference": "nowhere.example/coreos/etcd",
    "sync_interval": 86400,
    "sync_start_date": "2026-01-01T00:00:00Z",
    "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v3.*"]},
    "robot_username": "acme+mirrorbot",
}
V3_5_0_DIGEST = "sha256:ab8e44276c86ada244c50120cfb77a63d25913ab251b647c370500f69e7ae492"
#: 2030-01-01T00:00:05.051092Z, when the copy of v3.5.0 ended.
V3_5_0_START_TS = 1893456005


class _Sources(HTMLParser):
    """The URLs the page loads (``loaded``: script, link, img) and every ``src``/``href``."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[str] = []
        self.every: list[str] = []
        self.body: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "body":
            self.body = attributes
        for name in ("src", "href"):
            if attributes.get(name):
                self.every.append(attributes[name])
                if tag in ("script", "link", "img", "iframe"):
                    self.loaded.append(attributes[name])


def page_sources(html: str) -> _Sources:
    parser = _Sources()
    parser.feed(html)
    return parser


@pytest.fixture
def token_app() -> Flask:
    """The bundled fixtures, with ``--admin-token``; no real-time worker syncs their mirrors."""
    return create_app(Settings(admin_token=ADMIN_TOKEN, worker="off"))


def test_the_page_is_html_served_without_the_admin_token(token_app):
    answer = token_app.test_client().get(PAGE)
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    assert "<title>mockquay dashboard</title>" in answer.text


def test_the_page_holds_no_state(default_client):
    html = default_client.get(PAGE).text
    for shown_only_by_the_admin_api in ("acme/etcd", "coreos", "dev-token", "NEVER_RUN"):
        assert shown_only_by_the_admin_api not in html


def test_the_page_loads_only_mockquays_own_assets(default_client):
    sources = page_sources(default_client.get(PAGE).text)
    assert sorted(sources.loaded) == [
        "/__mockquay__/ui/static/dashboard.css",
        "/__mockquay__/ui/static/dashboard.js",
        "data:,",  # no icon, so the browser does not ask for /favicon.ico
    ]


def test_the_page_has_no_url_to_another_site(default_client):
    sources = page_sources(default_client.get(PAGE).text)
    assert sources.every
    for url in sources.every:
        assert (url.startswith("/") and not url.startswith("//")) or url == "data:,", url


@pytest.mark.parametrize("asset", ["dashboard.js", "dashboard.css"])
def test_the_assets_name_no_other_site(asset):
    assert not re.search(r"https?://|//[a-z]", (STATIC / asset).read_text().replace("// ", ""))


@pytest.mark.parametrize(
    ("asset", "mimetype"),
    [("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")],
)
def test_the_assets_are_served_without_the_admin_token(token_app, asset, mimetype):
    answer = token_app.test_client().get(f"{PAGE}static/{asset}")
    assert answer.status_code == 200
    assert answer.mimetype == mimetype
    assert answer.data == (STATIC / asset).read_bytes()


def test_the_page_forbids_scripts_styles_and_connections_to_other_sites(default_client):
    policy = default_client.get(PAGE).headers["Content-Security-Policy"]
    assert policy == dashboard.CONTENT_SECURITY_POLICY
    for directive in ("default-src 'self'", "script-src 'self'", "connect-src 'self'"):
        assert directive in policy


def test_the_page_gives_its_script_the_sync_urls_of_quays_api(default_client):
    body = page_sources(default_client.get(PAGE).text).body
    placeholder = body["data-repository-placeholder"]
    sync_now = body["data-sync-now-url"].replace(placeholder, "acme/etcd")
    answer = default_client.post(sync_now, headers={"Authorization": "Bearer admin-token"})
    assert answer.status_code == 204
    mirror = default_client.get(body["data-mirrors-url"]).json["mirrors"][0]
    assert mirror["sync_status"] == "SYNC_NOW"
    sync_cancel = body["data-sync-cancel-url"].replace(placeholder, "acme/etcd")
    answer = default_client.post(sync_cancel, headers={"Authorization": "Bearer admin-token"})
    assert answer.status_code == 204
    mirror = default_client.get(body["data-mirrors-url"]).json["mirrors"][0]
    assert mirror["sync_status"] == "CANCEL"


def test_the_page_gives_its_script_the_dashboards_data_urls(default_client):
    body = page_sources(default_client.get(PAGE).text).body
    mirror = body["data-mirror-url"].replace(body["data-repository-placeholder"], "acme/etcd")
    assert mirror == ETCD_DETAIL
    assert body["data-registries-url"] == REGISTRIES


def test_the_page_names_the_admin_api_and_its_token_header(default_client):
    body = page_sources(default_client.get(PAGE).text).body
    assert body["data-admin-prefix"] == "/__mockquay__"
    assert body["data-token-header"] == "X-Mockquay-Admin-Token"


def test_mirrors_lists_each_mirrors_schedule_and_status(default_client):
    answer = default_client.get(f"{PAGE}mirrors")
    assert answer.status_code == 200
    assert answer.json == {
        "mirrors": [
            {
                "repository": "acme/etcd",
                "repository_state": "MIRROR",
                "is_enabled": True,
                "external_reference": "quay.io/coreos/etcd",
                "sync_interval": 86400,
                "sync_status": "NEVER_RUN",
                "sync_retries_remaining": 3,
                "sync_start_date": "2026-01-01T00:00:00Z",
                "sync_expiration_date": None,
                "why_not_eligible": None,
                "last_sync": None,
                "last_failure": None,
            }
        ]
    }


def synced(document: dict) -> FlaskClient:
    """The bundled fixtures and ``document``, 10 s after a sync-now of acme/etcd."""
    client = create_app(Settings(clock="manual")).test_client()
    assert client.post("/__mockquay__/seed", json=document).status_code == 200
    sync_now = client.post("/api/v1/repository/acme/etcd/mirror/sync-now", headers=ADMIN)
    assert sync_now.status_code == 204
    assert client.post("/__mockquay__/clock", json={"advance": 10}).status_code == 200
    return client


@pytest.fixture
def synced_client() -> FlaskClient:
    """The bundled fixtures on :data:`PARTIAL_UPSTREAM`, after one sync of acme/etcd."""
    return synced(PARTIAL_UPSTREAM)


def test_mirrors_last_failure_is_the_failed_sync_with_its_failed_tags(synced_client):
    """workers/repomirrorworker/__init__.py: a failed tag logs repo_mirror_sync_tag_failed with
    skopeo's output; the run then ends with repo_mirror_sync_failed (PARTIAL SYNC)."""
    [mirror] = synced_client.get(f"{PAGE}mirrors").json["mirrors"]
    assert mirror["last_failure"] == {
        "datetime": "2030-01-01T00:00:05.051092Z",
        "message": "'quay.io/coreos/etcd' with tag pattern 'v3.*': PARTIAL SYNC",
        "stderr": "Not applicable",
        "failed_tags": [
            {
                "datetime": "2030-01-01T00:00:00.791537Z",
                "tag": "v3.4.0",
                "message": "Source 'docker://quay.io/coreos/etcd:v3.4.0' failed to sync",
                "stderr": V3_4_0_ERROR,
            }
        ],
    }
    assert mirror["sync_status"] == "FAIL"


def test_mirrors_last_failure_of_a_failed_listing_holds_skopeos_error():
    """workers/repomirrorworker/__init__.py: a failed ``skopeo list-tags`` ends the sync with
    repo_mirror_sync_failed, "See output", and skopeo's stderr."""
    unknown_host = {**PARTIAL_UPSTREAM, "registries": [], "mirrors": [ETCD_FROM_NOWHERE]}
    [mirror] = synced(unknown_host).get(f"{PAGE}mirrors").json["mirrors"]
    stderr = (
        'time="2030-01-01T00:00:00Z" level=fatal msg="Error listing repository tags: '
        'pinging container registry nowhere.example: Get \\"https://nowhere.example/v2/\\": '
        'dial tcp: lookup nowhere.example: no such host"\n'
    )
    assert mirror["last_failure"] == {
        "datetime": "2030-01-01T00:00:00.791537Z",
        "message": "'nowhere.example/coreos/etcd' with tag pattern 'v3.*': "
        f"('skopeo list-tags failed: See output', '', {stderr!r})",
        "stderr": stderr,
        "failed_tags": [],
    }


def test_mirrors_last_failure_stays_after_a_later_success(synced_client):
    synced_client.post("/__mockquay__/seed", json={"registries": [{"host": "quay.io",
        "repositories": {"coreos/etcd": {"tags": {"v3.5.0": {}}}}}]})  # fmt: skip
    synced_client.post("/__mockquay__/clock", json={"advance": 60})
    [mirror] = synced_client.get(f"{PAGE}mirrors").json["mirrors"]
    assert (mirror["last_sync"]["kind"], mirror["sync_status"]) == (
        "repo_mirror_sync_success",
        "SUCCESS",
    )
    assert mirror["last_failure"]["datetime"] == "2030-01-01T00:00:05.051092Z"


def test_mirror_detail_is_the_sync_history_newest_first_on_the_clock(synced_client):
    """workers/repomirrorworker/__init__.py emit_log: message, tag, stdout and stderr."""
    answer = synced_client.get(ETCD_DETAIL)
    assert answer.status_code == 200
    assert answer.json["history"] == [
        {
            "datetime": "2030-01-01T00:00:05.051092Z",
            "kind": "repo_mirror_sync_failed",
            "tag": None,
            "message": "'quay.io/coreos/etcd' with tag pattern 'v3.*': PARTIAL SYNC",
            "stderr": "Not applicable",
        },
        {
            "datetime": "2030-01-01T00:00:05.051092Z",
            "kind": "repo_mirror_sync_tag_success",
            "tag": "v3.5.0",
            "message": "Source 'docker://quay.io/coreos/etcd:v3.5.0' successful sync",
            "stderr": "",
        },
        {
            "datetime": "2030-01-01T00:00:00.791537Z",
            "kind": "repo_mirror_sync_tag_failed",
            "tag": "v3.4.0",
            "message": "Source 'docker://quay.io/coreos/etcd:v3.4.0' failed to sync",
            "stderr": V3_4_0_ERROR,
        },
        {
            "datetime": "2030-01-01T00:00:00.791537Z",
            "kind": "repo_mirror_sync_started",
            "tag": None,
            "message": "'quay.io/coreos/etcd' with tag pattern 'v3.*'",
            "stderr": None,
        },
    ]


def test_mirror_detail_leaves_out_the_log_entries_of_other_changes(synced_client):
    synced_client.put(
        "/api/v1/repository/acme/etcd/mirror", json={"sync_interval": 3600}, headers=ADMIN
    )
    kinds = [entry["kind"] for entry in synced_client.get(ETCD_DETAIL).json["history"]]
    assert "repo_mirror_config_changed" not in kinds
    assert len(kinds) == 4


def test_mirror_detail_tags_are_the_tag_history_as_quay_lists_it(synced_client):
    """endpoints/api/tag.py ListRepositoryTags: one row per lifetime, newest first."""
    answer = synced_client.get(ETCD_DETAIL).json
    assert answer["tags"] == [
        {
            "name": "v3.5.0",
            "manifest_digest": V3_5_0_DIGEST,
            "is_manifest_list": False,
            "size": 12243076,
            "start_ts": V3_5_0_START_TS,
            "end_ts": None,
        }
    ]
    assert answer["has_additional_tags"] is False
    quay = synced_client.get("/api/v1/repository/acme/etcd/tag/", headers=ADMIN).json["tags"]
    assert [(tag["name"], tag["manifest_digest"], tag["start_ts"]) for tag in quay] == [
        ("v3.5.0", V3_5_0_DIGEST, V3_5_0_START_TS)
    ]


def test_mirror_detail_of_a_fresh_mirror_is_empty(default_client):
    answer = default_client.get(ETCD_DETAIL)
    assert answer.status_code == 200
    assert answer.json == {
        "repository": "acme/etcd",
        "history": [],
        "tags": [],
        "has_additional_tags": False,
    }


def test_mirror_detail_of_a_repository_without_a_mirror_is_404(default_client):
    answer = default_client.get("/__mockquay__/dashboard/mirrors/acme/app")
    assert answer.status_code == 404
    assert answer.json == {"error": "no mirror for repository 'acme/app'"}


@pytest.mark.parametrize("path", [ETCD_DETAIL, REGISTRIES])
def test_the_dashboard_data_needs_the_admin_token(token_app, path):
    client = token_app.test_client()
    answer = client.get(path)
    assert answer.status_code == 401
    assert answer.json == {"error": "missing or wrong X-Mockquay-Admin-Token header"}
    assert client.get(path, headers={"X-Mockquay-Admin-Token": ADMIN_TOKEN}).status_code == 200


def _upstream_tag(name: str, digest: str, architectures: list[str], copy_seconds=1) -> dict:
    return {
        "name": name,
        "manifest_digest": "sha256:" + digest,
        "architectures": architectures,
        "copy_seconds": copy_seconds,
        "fail": None,
    }


def test_registries_lists_each_upstream_with_its_tags_and_mirrors(default_client):
    every = ["amd64", "arm64", "ppc64le", "s390x"]
    answer = default_client.get(REGISTRIES)
    assert answer.status_code == 200
    assert answer.json == {
        "registries": [
            {
                "host": "quay.io",
                "tls": "valid",
                "username": None,
                "repositories": [
                    {
                        "path": "coreos/etcd",
                        "mirrors": ["acme/etcd"],
                        "tags": [
                            _upstream_tag(
                                "v3.5.0",
                                "1348b72deee0652952483cfcb050152dbbe35ff1310726fffda5e623bc1f4969",
                                every,
                                4,
                            ),  # noqa: E501
                            _upstream_tag(
                                "v3.4.0",
                                "84c8c5d4f3f22065d0400a62ce31dbc4e660d149865a790bbf444ebe16a3e87b",
                                ["amd64", "arm64"],
                                3,
                            ),  # noqa: E501
                            _upstream_tag(
                                "v3.3.0",
                                "d58d1cf701eb3d0e58becf9e73d69a6980b09071628ca5b9776209d98363f407",
                                ["amd64"],
                            ),  # noqa: E501
                            _upstream_tag(
                                "v2.3.8",
                                "64d0e41ee9d50d25a5937f5fa56cdba1be0b51633cc5ee2fdc2c94b7f8ffc5ad",
                                ["amd64"],
                            ),  # noqa: E501
                            _upstream_tag(
                                "latest",
                                "9616f426374f3ca7acb7f3add12c79d42b883602b44c53591843e17e1de6eb90",
                                every,
                            ),  # noqa: E501
                        ],
                    }
                ],
            }
        ]
    }


def test_registries_digest_is_the_one_a_sync_copies(synced_client):
    [registry] = synced_client.get(REGISTRIES).json["registries"]
    [repository] = registry["repositories"]
    tags = {tag["name"]: tag for tag in repository["tags"]}
    assert tags["v3.5.0"]["manifest_digest"] == V3_5_0_DIGEST
    assert tags["v3.4.0"]["fail"] == "manifest unknown"


def test_registries_name_the_user_an_upstream_requires_never_its_password(app, default_client):
    emulator_of(app).seed({"registries": [{"host": "registry.example:5000", "tls": "self-signed",
        "auth": {"username": "puller", "password": "s3cret"},
        "repositories": {"team/tool": {"tags": {}}}}]})  # fmt: skip
    answer = default_client.get(REGISTRIES)
    assert answer.json["registries"][1] == {
        "host": "registry.example:5000",
        "tls": "self-signed",
        "username": "puller",
        "repositories": [{"path": "team/tool", "mirrors": [], "tags": []}],
    }
    assert "s3cret" not in answer.text


def test_mirrors_says_why_the_worker_would_not_claim_a_mirror(default_client):
    default_client.post(
        "/__mockquay__/seed", json={"repositories": [{"name": "acme/etcd", "state": "NORMAL"}]}
    )
    mirror = default_client.get(f"{PAGE}mirrors").json["mirrors"][0]
    assert (mirror["repository_state"], mirror["why_not_eligible"]) == (
        "NORMAL",
        "the repository's state is NORMAL, not MIRROR",
    )


def test_mirrors_needs_the_admin_token(token_app):
    answer = token_app.test_client().get(f"{PAGE}mirrors")
    assert answer.status_code == 401
    assert answer.json == {"error": "missing or wrong X-Mockquay-Admin-Token header"}


def test_mirrors_answers_with_the_admin_token(token_app):
    answer = token_app.test_client().get(
        f"{PAGE}mirrors", headers={"X-Mockquay-Admin-Token": ADMIN_TOKEN}
    )
    assert answer.status_code == 200
    assert [mirror["repository"] for mirror in answer.json["mirrors"]] == ["acme/etcd"]


def test_mirrors_last_sync_is_the_newest_sync_end_in_the_audit_log(app, default_client):
    emulator = emulator_of(app)
    ctx = Context(config=emulator.quay_config())
    with emulator.store.transaction() as tx:
        for kind, message, when in [
            ("repo_mirror_sync_failed", "auth failed", "2026-03-01T10:00:00"),
            ("repo_mirror_sync_success", "tags synced", "2026-03-02T10:00:00"),
            ("repo_mirror_sync_started", "started", "2026-03-03T10:00:00"),
        ]:
            ctx = Context(config=ctx.config, now=ctx.now.fromisoformat(when))
            audit.record(tx, ctx, "acme/etcd", kind, message=message)
    mirror = default_client.get(f"{PAGE}mirrors").json["mirrors"][0]
    assert mirror["last_sync"] == {
        "kind": "repo_mirror_sync_success",
        "datetime": "2026-03-02T10:00:00Z",
        "message": "tags synced",
    }


def test_setup_cfg_ships_the_page_and_its_assets():
    config = configparser.ConfigParser()
    config.read(Path(__file__).resolve().parent.parent / "setup.cfg")
    patterns = config["options.package_data"]["mockquay"].split()
    package = Path(dashboard.__file__).parent.parent
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    assert package / "admin" / "templates" / "mockquay_dashboard.html" in shipped
    assert {STATIC / "dashboard.js", STATIC / "dashboard.css"} <= shipped


# --- in a real browser --------------------------------------------------------------------


@pytest.fixture
def page(browser, mockquay) -> Iterator[object]:
    """The dashboard of this test's mockquay, open in the browser."""
    browser.get(f"{mockquay.url}{PAGE}")
    yield browser
    browser.get("about:blank")  # stop its polling before the next test resets the server


def test_browser_the_page_shows_a_mirrors_status(page):
    assert wait_for(page, text_of(page, f"{ETCD_ROW} td.sync_status")) == "NEVER_RUN"
    assert wait_for(page, text_of(page, f"{ETCD_ROW} td.sync_start_date")) == (
        "2026-01-01T00:00:00Z"
    )


def test_browser_the_page_runs_without_script_errors(page):
    page.get_log("browser")  # what came before this page
    page.refresh()
    assert text_becomes(page, f"{ETCD_ROW} td.sync_status", "NEVER_RUN") == "NEVER_RUN"
    assert text_becomes(page, "#journal-count", "0 requests") == "0 requests"
    assert [entry for entry in page.get_log("browser") if entry["source"] != "network"] == []


def test_browser_sync_now_goes_through_quays_api_and_changes_the_status(page, mockquay):
    wait_for(page, text_of(page, f"{ETCD_ROW} td.sync_status"))
    click(page, f"{ETCD_ROW} button.sync-now")
    assert text_becomes(page, f"{ETCD_ROW} td.sync_status", "SYNC_NOW") == "SYNC_NOW"
    assert wait_for(page, text_of(page, "#action-result")) == "syncNow acme/etcd: 204"
    (call,) = mockquay.requests(operation="syncNow")
    assert (call["repository"], call["status"]) == ("acme/etcd", 204)


def test_browser_a_refused_sync_shows_quays_answer(page, mockquay):

    wait_for(page, text_of(page, f"{ETCD_ROW} td.sync_status"))
    field = page.find_element(By.ID, "quay-token")
    field.clear()
    field.send_keys("dev-token")
    click(page, f"{ETCD_ROW} button.sync-now")
    assert wait_for(page, text_of(page, "#action-result")).startswith("syncNow acme/etcd: 403")
    assert mockquay.state()["mirrors"][0]["sync_status"] == "NEVER_RUN"
    page.execute_script("localStorage.clear()")


def test_browser_the_journal_filters_by_method(page, mockquay):
    session = mockquay.session()
    session.get("/api/v1/repository/acme/etcd/mirror")
    session.post("/api/v1/repository/acme/etcd/mirror/sync-now")
    assert text_becomes(page, "#journal-count", "2 requests") == "2 requests"

    Select(page.find_element(By.NAME, "method")).select_by_visible_text("POST")
    assert text_becomes(page, "#journal-count", "1 request") == "1 request"
    assert page.find_element(By.CSS_SELECTOR, "#journal tbody td.path").text == (
        "/api/v1/repository/acme/etcd/mirror/sync-now"
    )


def test_browser_the_fault_rules_show_their_counters(page, mockquay):
    mockquay.fault(id="slow-get", match={"operation": "getRepoMirrorConfig"}, status=503)
    mockquay.session().get("/api/v1/repository/acme/etcd/mirror")
    assert text_becomes(page, "#faults tbody td.fired", "1") == "1"
    assert text_of(page, "#faults tbody td.matched")(None) == "1"


def test_browser_the_page_states_the_profile(page):
    assert text_becomes(page, "#profile", "latest") == "latest"
    assert "super_users" in wait_for(page, text_of(page, "#settings"))


def test_browser_the_pages_json_post_passes_the_admin_guard(page, mockquay):
    # As the clock panel posts: JSON, with the Origin header Chromium sets for the page.
    status, body = page.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        fetch("/__mockquay__/reset?to=empty", {
          method: "POST",
          headers: {Accept: "application/json", "Content-Type": "application/json"},
          body: "{}",
        }).then((response) => response.text().then((text) => done([response.status, text])));
        """
    )
    assert (status, json.loads(body)) == (200, {"reset": "empty"})
    assert mockquay.state()["users"] == []


@pytest.fixture
def token_server(token_app: Flask) -> Iterator[str]:
    server = Server(token_app, "127.0.0.1", 0).start()
    try:
        yield server.url
    finally:
        server.stop()


def test_browser_with_an_admin_token_the_page_asks_for_it_then_shows_the_mirrors(
    browser, token_server
):

    browser.get(f"{token_server}{PAGE}")
    try:
        wait_for(browser, lambda _: browser.find_element(By.ID, "admin-token-panel").is_displayed())
        assert not browser.find_element(By.ID, "dashboard").is_displayed()
        browser.find_element(By.ID, "admin-token").send_keys(ADMIN_TOKEN)
        click(browser, "#admin-token-form button[type=submit]")
        assert wait_for(browser, text_of(browser, f"{ETCD_ROW} td.sync_status")) == "NEVER_RUN"
        assert not browser.find_element(By.ID, "admin-token-panel").is_displayed()
    finally:
        browser.execute_script("localStorage.clear()")
        browser.get("about:blank")


class FakeClock:
    """A WSGI layer answering ``/__mockquay__/clock`` as the README describes it, whatever the
    app has, so the page's clock panel is tested against the contract: GET ``{"now", "mode"}``,
    POST ``{"advance": seconds}``."""

    def __init__(self, app: Flask) -> None:
        self.wsgi_app = app.wsgi_app
        self.now = datetime(2026, 1, 1)
        self.advances: list[object] = []

    def __call__(self, environ: dict, start_response):
        if environ["PATH_INFO"] != "/__mockquay__/clock":
            return self.wsgi_app(environ, start_response)
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            seconds = json.loads(environ["wsgi.input"].read(length))["advance"]
            self.advances.append(seconds)
            self.now += timedelta(seconds=seconds)
        body = json.dumps({"now": self.now.isoformat() + "Z", "mode": "manual"}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]


@pytest.fixture
def clock_server() -> Iterator[tuple[str, FakeClock]]:
    app = create_app(Settings(worker="off"))
    clock = FakeClock(app)
    app.wsgi_app = clock
    server = Server(app, "127.0.0.1", 0).start()
    try:
        yield server.url, clock
    finally:
        server.stop()


def test_browser_the_clock_panel_advances_the_clock(browser, clock_server):
    url, clock = clock_server
    browser.get(f"{url}{PAGE}")
    try:
        now = text_becomes(browser, "#clock-now", "2026-01-01T00:00:00Z")
        assert now == "2026-01-01T00:00:00Z"
        assert browser.find_element(By.ID, "clock-mode").text == "(manual)"
        click(browser, '#clock-form button[data-advance="3600"]')
        now = text_becomes(browser, "#clock-now", "2026-01-01T01:00:00Z")
        assert now == "2026-01-01T01:00:00Z"
        assert clock.advances == [3600]
    finally:
        browser.get("about:blank")


def test_browser_the_clock_panel_is_shown_only_when_mockquay_has_a_clock(page, mockquay):
    assert text_becomes(page, f"{ETCD_ROW} td.sync_status", "NEVER_RUN") == "NEVER_RUN"
    has_clock = requests.get(f"{mockquay.url}/__mockquay__/clock").status_code == 200
    assert page.find_element(By.ID, "clock-panel").is_displayed() is has_clock


def test_browser_an_admin_token_in_the_address_fragment_is_used_and_taken_out(
    browser, token_server
):
    browser.get(f"{token_server}{PAGE}#admin_token={ADMIN_TOKEN}")
    try:
        assert text_becomes(browser, f"{ETCD_ROW} td.sync_status", "NEVER_RUN") == "NEVER_RUN"
        assert browser.current_url == f"{token_server}{PAGE}"
    finally:
        browser.execute_script("localStorage.clear()")
        browser.get("about:blank")


def sync_etcd(mockquay, document: dict = PARTIAL_UPSTREAM) -> None:
    """:func:`synced` on the live server: ``document``, sync-now of acme/etcd, 10 s on."""
    mockquay.seed(document)
    assert (
        mockquay.session("admin-token")
        .post("/api/v1/repository/acme/etcd/mirror/sync-now")
        .status_code
        == 204
    )
    mockquay.clock.advance(seconds=10)


def test_browser_a_failed_sync_says_why_in_its_row_and_in_the_mirror_panel(page, mockquay):
    sync_etcd(mockquay)
    message = "'quay.io/coreos/etcd' with tag pattern 'v3.*': PARTIAL SYNC"
    failure = f"2030-01-01T00:00:05.051092Z {message}"
    assert text_becomes(page, f"{ETCD_ROW} td.last_failure", failure) == failure
    assert text_becomes(page, "#last-failure-message", message) == message
    assert rows_become(page, "#failed-tags", ("tag", "stderr"), [
        ("v3.4.0", V3_4_0_ERROR.strip())
    ]) == [("v3.4.0", V3_4_0_ERROR.strip())]  # fmt: skip


def test_browser_a_failed_listing_shows_skopeos_error(page, mockquay):
    sync_etcd(mockquay, {**PARTIAL_UPSTREAM, "mirrors": [ETCD_FROM_NOWHERE]})
    assert wait_for(page, text_of(page, "#last-failure-stderr")).endswith(
        'dial tcp: lookup nowhere.example: no such host"'
    )
    assert page.find_element(By.ID, "no-failure").is_displayed() is False


def test_browser_the_sync_history_shows_the_mirror_log_on_the_clock(page, mockquay):
    sync_etcd(mockquay)
    expected = [
        ("2030-01-01T00:00:05.051092Z", "failed", "\u2014"),
        ("2030-01-01T00:00:05.051092Z", "tag_success", "v3.5.0"),
        ("2030-01-01T00:00:00.791537Z", "tag_failed", "v3.4.0"),
        ("2030-01-01T00:00:00.791537Z", "started", "\u2014"),
    ]
    assert rows_become(page, "#history", ("datetime", "kind", "tag"), expected) == expected
    assert page.find_element(By.ID, "history-count").text == "4 log entries"


def test_browser_the_tags_panel_shows_each_tags_digest_and_start(page, mockquay):
    sync_etcd(mockquay)
    quay = mockquay.session("admin-token").get("/api/v1/repository/acme/etcd/tag/").json()
    assert [tag["start_ts"] for tag in quay["tags"]] == [V3_5_0_START_TS]
    expected = [("v3.5.0", V3_5_0_DIGEST, "2030-01-01T00:00:05Z", "alive")]
    columns = ("name", "manifest_digest", "start", "end")
    assert rows_become(page, "#tags", columns, expected) == expected


def test_browser_details_shows_the_chosen_mirror(page, mockquay):
    mockquay.seed({"mirrors": [{**ETCD_FROM_NOWHERE, "repository": "acme/app"}]})
    wait_for(page, text_of(page, 'tr[data-repository="acme/app"] td.repository'))
    click(page, 'tr[data-repository="acme/app"] button.show')
    assert text_becomes(page, "#mirror-repository", "acme/app") == "acme/app"
    click(page, f"{ETCD_ROW} button.show")
    assert text_becomes(page, "#mirror-repository", "acme/etcd") == "acme/etcd"
    assert "selected" in page.find_element(By.CSS_SELECTOR, ETCD_ROW).get_attribute("class")


def test_browser_the_registries_panel_lists_the_upstream_tags(page, mockquay):
    expected = [
        ("quay.io", "coreos/etcd", "acme/etcd", name)
        for name in ("v3.5.0", "v3.4.0", "v3.3.0", "v2.3.8", "latest")
    ]
    columns = ("host", "upstream_path", "mirrors", "tag")
    assert rows_become(page, "#registries", columns, expected) == expected
    digest = page.find_element(By.CSS_SELECTOR, "#registries tbody td.manifest_digest").text
    assert digest == "sha256:1348b72deee0652952483cfcb050152dbbe35ff1310726fffda5e623bc1f4969"


def test_browser_a_fault_rule_is_removed_with_its_button(page, mockquay):
    mockquay.fault(id="slow-get", match={"operation": "getRepoMirrorConfig"}, status=503)
    mockquay.fault(id="sync-503", match={"operation": "syncNow"}, status=503)
    assert rows_become(page, "#faults", ("id",), [("slow-get",), ("sync-503",)])
    click(page, '#faults tr[data-id="slow-get"] button.remove-fault')
    assert text_becomes(page, "#fault-result", "removed slow-get") == "removed slow-get"
    assert [rule["id"] for rule in mockquay.faults()] == ["sync-503"]
    assert rows_become(page, "#faults", ("id",), [("sync-503",)]) == [("sync-503",)]


def test_browser_a_fault_rule_is_added_from_the_form(page, mockquay):
    wait_for(page, lambda _: page.find_element(By.ID, "no-faults").is_displayed())
    field = page.find_element(By.ID, "fault-rule")
    field.clear()
    field.send_keys('{"id": "get-503", "match": {"operation": "getRepoMirrorConfig"}, '
                    '"status": 503, "times": 2}')  # fmt: skip
    click(page, "#fault-form button[type=submit]")
    assert text_becomes(page, "#fault-result", "added get-503") == "added get-503"
    [rule] = mockquay.faults()
    assert (rule["id"], rule["status"], rule["times"]) == ("get-503", 503, 2)
    assert rows_become(page, "#faults", ("id", "fired"), [("get-503", "0")])


def test_browser_a_refused_fault_rule_shows_the_admin_apis_error(page, mockquay):
    field = wait_for(page, lambda _: page.find_element(By.ID, "fault-rule"))
    field.clear()
    field.send_keys('{"status": 99}')
    click(page, "#fault-form button[type=submit]")
    expected = requests.post(f"{mockquay.url}/__mockquay__/faults", json={"status": 99}).json()
    assert text_becomes(page, "#fault-result", expected["error"]) == expected["error"]
    assert mockquay.faults() == []


def test_browser_the_reset_button_puts_the_fixtures_back(page, mockquay):
    mockquay.session("admin-token").post("/api/v1/repository/acme/etcd/mirror/sync-now")
    mockquay.fault(id="slow-get", match={"operation": "getRepoMirrorConfig"}, status=503)
    assert text_becomes(page, f"{ETCD_ROW} td.sync_status", "SYNC_NOW") == "SYNC_NOW"
    click(page, "#reset")
    page.switch_to.alert.dismiss()
    assert mockquay.state()["mirrors"][0]["sync_status"] == "SYNC_NOW"
    click(page, "#reset")
    page.switch_to.alert.accept()
    expected = "reset to the fixtures"
    assert text_becomes(page, "#reset-result", expected) == expected
    assert text_becomes(page, f"{ETCD_ROW} td.sync_status", "NEVER_RUN") == "NEVER_RUN"
    assert mockquay.faults() == []


def test_browser_the_journal_shows_each_requests_time_on_the_clock(page, mockquay):
    mockquay.seed({"settings": PARTIAL_UPSTREAM["settings"]})
    mockquay.session("admin-token").get("/api/v1/repository/acme/etcd/mirror")
    expected = [("2030-01-01T00:00:00.000Z",)]
    assert rows_become(page, "#journal", ("clock_time",), expected) == expected
    wall = page.find_element(By.CSS_SELECTOR, "#journal td.clock_time").get_attribute("title")
    assert wall.endswith("Z on the wall clock") and not wall.startswith("2030")
