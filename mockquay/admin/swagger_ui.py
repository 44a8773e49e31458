"""The Swagger UI page, ``/__mockquay__/swagger-ui``, and its files.

The page loads Swagger UI's scripts and styles from the installed ``swagger-ui-bundle`` package
rather than from a CDN, so it works offline and runs no script from elsewhere on the admin
API's origin. Its own script (``static/swagger-ui-init.js``) sends Quay's
``X-Requested-With: XMLHttpRequest`` on every call, as Quay's UI does; Swagger UI's Authorize
button takes a Quay token for the ``bearer`` scheme of the document.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Response, render_template, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

from mockquay.admin.blueprint import PREFIX

#: Where Swagger UI's files are served: flask-smorest's ``OPENAPI_SWAGGER_UI_URL``.
ASSETS_URL = f"{PREFIX}/swagger-ui/"

#: The page's script, the one file of this directory it loads.
INIT_SCRIPT = "swagger-ui-init.js"
_STATIC = Path(__file__).parent / "static"

#: The page loads nothing from elsewhere and runs no inline script; Swagger UI's icons are
#: ``data:`` images.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)

blp = Blueprint(
    "mockquay_swagger_ui", __name__, url_prefix=ASSETS_URL.rstrip("/"), template_folder="templates"
)


def page() -> Response:
    """The Swagger UI page on ``/__mockquay__/openapi.json``, served by flask-smorest's route."""
    response = Response(
        render_template("mockquay_swagger_ui.html", openapi_url=url_for("api-docs.openapi_json")),
        mimetype="text/html",
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@blp.route(f"/mockquay/{INIT_SCRIPT}", methods=["GET"])
def init_script() -> Response:
    """The page's script, which starts Swagger UI."""
    return send_from_directory(os.fspath(_STATIC), INIT_SCRIPT)


@blp.route("/<path:filename>", methods=["GET"])
def asset(filename: str) -> Response:
    """One file of the Swagger UI distribution (404 for any other path)."""
    return send_from_directory(os.fspath(swagger_ui_path), filename)
