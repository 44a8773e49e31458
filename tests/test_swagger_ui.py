"""The Swagger UI page loads only mockquay's own copies of its files, from swagger-ui-bundle, and
its "Try it out" calls Quay's API as Quay's UI does (in a real headless Chromium)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from support.browser import click, text_of, wait_for
from support.world import ACME_CREATE_BODY
from swagger_ui_bundle import swagger_ui_path

from mockquay.admin import swagger_ui

try:
    from selenium.webdriver.common.by import By
except ImportError:  # the browser fixture skips, saying why
    pass

PAGE = "/__mockquay__/swagger-ui"
ASSETS = "/__mockquay__/swagger-ui/"
INIT_SCRIPT = ASSETS + "mockquay/swagger-ui-init.js"
AUTH_INPUT = "input[aria-label=auth-bearer-value]"
#: Sets a React-controlled field's text as typing would: the value, then an ``input`` event.
SET_TEXT = """
const [field, text] = arguments;
Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set.call(field, text);
field.dispatchEvent(new Event("input", {bubbles: true}));
"""


def referenced(page: bytes) -> list[str]:
    """Every ``src`` and ``href`` of the page."""
    return re.findall(r'(?:src|href)="([^"]*)"', page.decode())


def test_the_page_references_only_files_mockquay_serves(client: FlaskClient) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200
    assert sorted(referenced(response.data)) == [
        INIT_SCRIPT,
        ASSETS + "swagger-ui-bundle.js",
        ASSETS + "swagger-ui.css",
        "data:,",  # no icon, so the browser does not ask for /favicon.ico
    ]
    assert b"http://" not in response.data and b"https://" not in response.data


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
    ],
)
def test_each_file_is_the_installed_packages_copy(
    client: FlaskClient, name: str, content_type: str
) -> None:
    response = client.get(ASSETS + name)
    assert (response.status_code, response.content_type) == (200, content_type)
    assert response.data == (Path(swagger_ui_path) / name).read_bytes()


@pytest.mark.parametrize("name", ["nothing.js", "../admin.py", "%2e%2e/guard.py"])
def test_no_other_file_is_served(client: FlaskClient, name: str) -> None:
    response = client.get(ASSETS + name)
    assert response.status_code == 404
    assert response.content_type == "application/json"


def test_the_files_are_not_part_of_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/__mockquay__/openapi.json").get_json()["paths"]
    assert not [path for path in paths if path.startswith(ASSETS)]


def test_the_page_runs_only_its_own_files(client: FlaskClient) -> None:
    policy = client.get(PAGE).headers["Content-Security-Policy"]
    assert policy == swagger_ui.CONTENT_SECURITY_POLICY
    for directive in ("default-src 'self'", "script-src 'self'", "connect-src 'self'"):
        assert directive in policy


def test_the_pages_script_is_the_packaged_file(client: FlaskClient) -> None:
    response = client.get(INIT_SCRIPT)
    assert (response.status_code, response.content_type) == (200, "text/javascript; charset=utf-8")
    assert (
        response.data
        == (Path(swagger_ui.__file__).parent / "static" / "swagger-ui-init.js").read_bytes()
    )


def authorize(browser: Any, token: str) -> None:
    """Give Swagger UI's Authorize dialog a token for the ``bearer`` scheme."""
    click(browser, "button.authorize")
    wait_for(browser, lambda _: browser.find_elements(By.CSS_SELECTOR, AUTH_INPUT))
    field = browser.find_element(By.CSS_SELECTOR, AUTH_INPUT)
    field.send_keys(token)
    field.find_element(By.XPATH, "./ancestor::form").find_element(
        By.CSS_SELECTOR, "button[type=submit]"
    ).click()
    click(browser, "button.close-modal")


def try_out(browser: Any, operation_id: str, repository: str, body: dict | None = None) -> str:
    """Run one operation with Swagger UI's "Try it out"; the status code the page shows."""
    block = f"#operations-mirror-{operation_id}"
    click(browser, f"{block} .opblock-summary")
    wait_for(browser, lambda _: browser.find_elements(By.CSS_SELECTOR, f"{block} .try-out__btn"))
    click(browser, f"{block} .try-out__btn")
    field = browser.find_element(By.CSS_SELECTOR, f'{block} tr[data-param-name="repository"] input')
    field.send_keys(repository)
    if body is not None:
        text = browser.find_element(By.CSS_SELECTOR, f"{block} textarea.body-param__text")
        # Typed key by key, React redraws the page for each one: seconds per body.
        browser.execute_script(SET_TEXT, text, json.dumps(body))
    click(browser, f"{block} button.execute")
    status = wait_for(
        browser, text_of(browser, f"{block} .live-responses-table tbody td.response-col_status")
    )
    click(browser, f"{block} .opblock-summary")
    return status


def open_page(browser: Any, mockquay: Any) -> None:
    browser.get(f"{mockquay.url}{PAGE}")
    wait_for(browser, lambda _: browser.find_elements(By.CSS_SELECTOR, ".opblock"))


def test_browser_the_page_runs_without_script_or_policy_errors(browser: Any, mockquay: Any) -> None:
    browser.get_log("browser")  # what came before this page
    open_page(browser, mockquay)
    assert browser.find_element(By.CSS_SELECTOR, "button.authorize").is_displayed()
    assert browser.get_log("browser") == []


def test_browser_try_it_out_succeeds_for_each_mirror_operation(browser: Any, mockquay: Any) -> None:
    """The page sends the token given to Authorize and ``X-Requested-With: XMLHttpRequest``,
    without which Quay's ``require_xhr_from_browser`` answers Chromium's GET with 400
    (``endpoints/decorators.py``, spec section 1 row 2)."""
    open_page(browser, mockquay)
    authorize(browser, "admin-token")
    shown = [
        try_out(browser, "getRepoMirrorConfig", "acme/etcd"),
        try_out(browser, "changeRepoMirrorConfig", "acme/etcd", {"sync_interval": 7200}),
        try_out(browser, "syncNow", "acme/etcd"),
        try_out(browser, "syncCancel", "acme/etcd"),
        try_out(browser, "createRepoMirrorConfig", "acme/app", ACME_CREATE_BODY),
    ]
    assert shown == ["200", "201", "204", "204", "201"]
    mirrors = {mirror["repository"]: mirror for mirror in mockquay.state()["mirrors"]}
    assert mirrors["acme/etcd"]["sync_interval"] == 7200
    assert mirrors["acme/app"]["external_reference"] == "quay.io/coreos/etcd"
