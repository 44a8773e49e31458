"""The dashboard's organization mirrors: their data over Flask's test client, and the panel in a
real headless Chromium (skipped, saying why, when none is installed). The rows are those of
Quay's ``getOrgMirrorConfig`` and ``listOrgMirrorRepositories`` (``endpoints/api/org_mirror.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.browser import becomes, rows_become, text_becomes

from mockquay.extension import emulator_of

try:
    from selenium.webdriver.common.by import By
except ImportError:  # the browser fixture skips, saying why
    pass

PAGE = "/__mockquay__/ui/"
ORG_MIRRORS = "/__mockquay__/dashboard/org-mirrors"
#: An organization ``mirrored`` whose org mirror found ``app`` (synced, its local repository
#: there) and ``old`` (gone from the source).
MIRRORED = {
    "organizations": [{"name": "mirrored"}],
    "robots": [{"name": "mirrored+bot"}],
    "repositories": [{"name": "mirrored/app", "state": "ORG_MIRROR"}],
    "org_mirrors": [
        {
            "organization": "mirrored",
            "external_registry_type": "harbor",
            "external_registry_url": "https://harbor.example.com",
            "external_namespace": "library",
            "robot_username": "mirrored+bot",
            "visibility": "public",
            "sync_interval": 3600,
            "sync_start_date": "2026-01-01T01:00:00Z",
            "sync_status": "SUCCESS",
            "repository_filters": ["app*", "old"],
            "repositories": [
                {
                    "name": "app",
                    "sync_status": "SUCCESS",
                    "discovery_date": "2026-01-01T00:00:00Z",
                    "last_sync_date": "2026-01-01T00:00:04Z",
                },
                {
                    "name": "old",
                    "sync_status": "SKIP",
                    "sync_retries_remaining": 0,
                    "status_message": "Repository no longer in source registry",
                    "discovery_date": "2026-01-01T00:00:00Z",
                },
            ],
        }
    ],
}


def test_org_mirrors_is_empty_without_configs(default_client):
    response = default_client.get(ORG_MIRRORS)
    assert (response.status_code, response.get_json()) == (200, {"org_mirrors": []})


def test_org_mirrors_lists_each_config_and_its_discovered_repositories(app, default_client):
    emulator_of(app).seed(MIRRORED)
    assert default_client.get(ORG_MIRRORS).get_json() == {
        "org_mirrors": [
            {
                "organization": "mirrored",
                "is_enabled": True,
                "external_registry_type": "harbor",
                "external_registry_url": "https://harbor.example.com",
                "external_namespace": "library",
                "repository_filters": ["app*", "old"],
                "robot_username": "mirrored+bot",
                "visibility": "public",
                "sync_interval": 3600,
                "sync_start_date": "2026-01-01T01:00:00Z",
                "sync_expiration_date": None,
                "sync_status": "SUCCESS",
                "sync_retries_remaining": 3,
                "repositories": [
                    {
                        "name": "app",
                        "sync_status": "SUCCESS",
                        "discovery_date": "2026-01-01T00:00:00Z",
                        "last_sync_date": "2026-01-01T00:00:04Z",
                        "status_message": None,
                        "quay_repository": "mirrored/app",
                    },
                    {
                        "name": "old",
                        "sync_status": "SKIP",
                        "discovery_date": "2026-01-01T00:00:00Z",
                        "last_sync_date": None,
                        "status_message": "Repository no longer in source registry",
                        "quay_repository": None,
                    },
                ],
            }
        ]
    }


def test_the_page_gives_its_script_the_org_mirrors_url(default_client):
    assert f'data-org-mirrors-url="{ORG_MIRRORS}"' in default_client.get(PAGE).text


# --- in a real browser --------------------------------------------------------------------


@pytest.fixture
def page(browser, mockquay) -> Iterator[object]:
    mockquay.seed(MIRRORED)
    browser.get(f"{mockquay.url}{PAGE}")
    yield browser
    browser.get("about:blank")  # stop its polling before the next test resets the server


def test_browser_the_page_shows_each_org_mirror(page):
    columns = ("organization", "source", "repository_filters", "sync_status", "repositories")
    expected = [
        (
            "mirrored",
            "harbor https://harbor.example.com / library",
            "app*, old",
            "SUCCESS",
            "1 SKIP, 1 SUCCESS",
        )
    ]
    assert rows_become(page, "#org-mirrors", columns, expected) == expected


def test_browser_the_page_shows_the_discovered_repositories(page):
    columns = ("name", "sync_status", "status_message", "last_sync_date", "quay_repository")
    expected = [
        ("app", "SUCCESS", "\u2014", "2026-01-01T00:00:04Z", "mirrored/app"),
        ("old", "SKIP", "Repository no longer in source registry", "\u2014", "\u2014"),
    ]
    assert rows_become(page, "#org-mirror-repositories", columns, expected) == expected


def test_browser_the_no_org_mirrors_line_goes_once_one_exists(browser, mockquay):
    browser.get(f"{mockquay.url}{PAGE}")
    try:
        shown = text_becomes(browser, "#no-org-mirrors", "No organization mirrors.")
        assert shown == "No organization mirrors."
        mockquay.seed(MIRRORED)
        assert (
            becomes(
                browser,
                lambda: browser.find_element(By.ID, "no-org-mirrors").is_displayed(),
                False,
            )
            is False
        )
    finally:
        browser.get("about:blank")
