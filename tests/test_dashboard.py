"""The dashboard page ``/__mockquay__/ui/``: its HTML and data over Flask's test client, and the
page itself in a real headless Chromium (skipped, saying why, when none is installed)."""

from __future__ import annotations

import configparser
import json
import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from flask import Flask

from mockquay.admin import dashboard
from mockquay.app import create_app
from mockquay.domain import audit
from mockquay.domain.context import Context
from mockquay.extension import emulator_of
from mockquay.server import Server
from mockquay.settings import Settings

try:
    from selenium import webdriver
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError:  # the browser tests skip and say why
    webdriver = None

PAGE = "/__mockquay__/ui/"
ADMIN_TOKEN = "dashboard-secret"
STATIC = Path(dashboard.__file__).parent / "static"
ETCD_ROW = 'tr[data-repository="acme/etcd"]'


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
            }
        ]
    }


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


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Headless Chromium driven by Selenium; skips when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        pytest.skip(
            "chromium/chromedriver not installed: apt-get install chromium chromium-driver "
            "to run the dashboard's browser tests"
        )
    if webdriver is None:
        pytest.skip(
            "chromium/chromedriver not installed: selenium is missing (pip install selenium)"
        )

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(browser, condition, timeout: float = 15):

    return WebDriverWait(browser, timeout).until(condition)


def text_of(browser, selector: str):
    """A wait condition: the element's text once it exists, else a false value."""

    def condition(_):
        try:
            return browser.find_element(By.CSS_SELECTOR, selector).text or False
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    return condition


def text_becomes(browser, selector: str, expected: str, timeout: float = 15) -> str:
    """Wait until the element's text is ``expected``; the last text seen (so asserts show it)."""

    seen = {"text": None}

    def condition(_):
        seen["text"] = text_of(browser, selector)(_)
        return seen["text"] == expected

    try:
        wait_for(browser, condition, timeout)
    except TimeoutException:
        pass
    return seen["text"]


@pytest.fixture
def page(browser, mockquay) -> Iterator[object]:
    """The dashboard of this test's mockquay, open in the browser."""
    browser.get(f"{mockquay.url}{PAGE}")
    yield browser
    browser.get("about:blank")  # stop its polling before the next test resets the server


def click(browser, selector: str) -> None:

    browser.find_element(By.CSS_SELECTOR, selector).click()


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
