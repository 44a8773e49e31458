"""The Swagger UI page loads only mockquay's own copies of its files, from swagger-ui-bundle."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from swagger_ui_bundle import swagger_ui_path

PAGE = "/__mockquay__/swagger-ui"
ASSETS = "/__mockquay__/swagger-ui/"


def referenced(page: bytes) -> list[str]:
    """Every ``src`` and ``href`` of the page."""
    return re.findall(r'(?:src|href)="([^"]*)"', page.decode())


def test_the_page_references_only_files_mockquay_serves(client: FlaskClient) -> None:
    response = client.get(PAGE)
    assert response.status_code == 200
    assert sorted(referenced(response.data)) == [
        ASSETS + "swagger-ui-bundle.js",
        ASSETS + "swagger-ui-standalone-preset.js",
        ASSETS + "swagger-ui.css",
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
