"""Swagger UI's files, served from the installed ``swagger-ui-bundle`` package.

flask-smorest's page at ``/__mockquay__/swagger-ui`` loads its scripts and styles from here
rather than from a CDN, so it works offline and runs no script from elsewhere on the admin
API's origin.
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from mockquay.admin.blueprint import PREFIX

#: Where the files are served: flask-smorest's ``OPENAPI_SWAGGER_UI_URL``.
ASSETS_URL = f"{PREFIX}/swagger-ui/"

blp = Blueprint("mockquay_swagger_ui", __name__, url_prefix=ASSETS_URL.rstrip("/"))


@blp.route("/<path:filename>", methods=["GET"])
def asset(filename: str) -> Response:
    """One file of the Swagger UI distribution (404 for any other path)."""
    return send_from_directory(os.fspath(swagger_ui_path), filename)
