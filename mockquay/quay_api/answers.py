"""Every answer Quay's API gives, success and error body families (spec section 1.2), byte for byte.

Quay builds its answers with four different serialisers, and clients meet all four:

* Flask-RESTful's ``output_json`` (ApiError bodies, ``{"detail"}`` bodies, Werkzeug errors,
  ``""`` on 201): ``json.dumps`` with default separators plus a newline.
* Flask's ``jsonify`` (``DataModelException``, read-only mode): compact, sorted keys, newline.
* ``util.http.abort`` (CSRF, XHR, anonymous): ``json.dumps``, no newline, ``text/html``.
* gunicorn's error page for an unhandled exception (HTML 500).

In front of them, Quay's bundled nginx answers a body over its ``client_max_body_size`` with
its own page.
"""

from __future__ import annotations

import html
import json

from flask import Response, request
from werkzeug.exceptions import default_exceptions

from mockquay.domain import errors
from mockquay.quay_api.backend import current_backend

EMULATED_HEADER = "X-Mockquay-Emulated"
INTERNAL_ERROR_HEADER = "X-Mockquay-Internal-Error"

_ERROR_TITLES = {
    400: ("invalid_request", None),
    401: ("invalid_token", "Requires authentication"),
    403: ("insufficient_scope", "Unauthorized"),
    404: ("not_found", "Not Found"),
}


def gunicorn_page(reason: str, message: str = "") -> str:
    """gunicorn's HTML error page (``util.write_error``), as Quay's gunicorn answers with it."""
    return (
        f"<html>\n  <head>\n    <title>{reason}</title>\n  </head>\n  <body>\n"
        f"    <h1><p>{reason}</p></h1>\n    {html.escape(message)}\n  </body>\n</html>\n"
    )


_GUNICORN_500 = gunicorn_page("Internal Server Error")


def nginx_page(status: str) -> str:
    """nginx's own error page for ``status`` (e.g. ``"400 Bad Request"``): a page of
    ``ngx_http_special_response.c`` and its tail, lines ended by CRLF."""
    return (
        f"<html>\r\n<head><title>{status}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )


#: nginx's page for a body over ``client_max_body_size`` (1 MiB by default).
_NGINX_413 = nginx_page("413 Request Entity Too Large")


def restful_json(data: object, status: int, headers: dict[str, str] | None = None) -> Response:
    """Flask-RESTful's ``output_json``: ``json.dumps(data) + "\\n"``, ``application/json``."""
    return Response(json.dumps(data) + "\n", status, headers, content_type="application/json")


def flask_jsonify(data: dict, status: int) -> Response:
    """Flask's ``jsonify``: compact, sorted keys, a newline."""
    body = json.dumps(data, separators=(",", ":"), sort_keys=True) + "\n"
    return Response(body, status, content_type="application/json")


def http_abort(status: int, message: str) -> Response:
    """Quay's ``util.http.abort``: ``{"error": ...}`` served as ``text/html; charset=utf-8``."""
    return Response(json.dumps({"error": message}), status, content_type="text/html; charset=utf-8")


def api_error(status: int, detail: str | None = None, error_type: str | None = None) -> Response:
    """An ``ApiException`` body (``endpoints/exception.py``), keys in Quay's order."""
    default_type, default_detail = _ERROR_TITLES.get(status, ("invalid_request", None))
    error_type = error_type or default_type
    detail = detail if detail is not None else default_detail
    body = {
        "detail": detail,
        "error_message": detail,
        "error_type": error_type,
        "title": error_type,
        "type": error_type_url(error_type),
        "status": status,
    }
    return restful_json(body, status)


def error_type_url(error_type: str) -> str:
    """Quay's ``url_for("api.error", error_type=..., _external=True)`` for this request.

    Quay builds it from the Host header it receives: with the port from profile ``latest`` on,
    without it before (see :attr:`~mockquay.profiles.Profile.error_type_url_port`).
    """
    profile = current_backend().quay_config().profile
    host = request.host if profile.error_type_url_port else _host_without_port()
    return f"{request.scheme}://{host}/api/v1/error/{error_type}"


def _host_without_port() -> str:
    """The request's host without its port, as Quay's nginx forwarded it up to 3.17."""
    host = request.host
    if host.startswith("["):
        return host[: host.index("]") + 1]
    return host.split(":")[0]


def werkzeug_error(status: int, description: str | None, headers: dict[str, str] | None = None):
    """A Werkzeug HTTP error raised inside Quay's API, as Flask-RESTful serialises it."""
    return restful_json({"message": description}, status, headers)


def body_too_large() -> Response:
    """nginx's 413: Quay never sees the request, and nginx closes the connection."""
    return Response(_NGINX_413, 413, {"Connection": "close"}, content_type="text/html")


def emulated_crash(reason: str) -> Response:
    """Quay's answer to its own unhandled exception, marked as emulated on purpose."""
    response = Response(_GUNICORN_500, 500, content_type="text/html")
    response.headers[EMULATED_HEADER] = reason
    return response


def internal_error(exception: BaseException) -> Response:
    """mockquay's own bug: the same page, marked so that tests can tell it from Quay's."""
    response = Response(_GUNICORN_500, 500, content_type="text/html")
    response.headers[INTERNAL_ERROR_HEADER] = type(exception).__name__
    return response


def ok(data: object) -> Response:
    """A resource's ``return data`` (status 200), as Flask-RESTful serialises it."""
    return restful_json(data, 200)


def created() -> Response:
    """Quay's ``return "", 201``: the JSON string ``""`` and a newline."""
    return restful_json("", 201)


def no_content() -> Response:
    """Quay's ``return "", 204``: no body, but still labelled ``application/json``."""
    return Response(b"", 204, content_type="application/json")


def answer_for(error: errors.QuayError, *, authenticated: bool) -> Response:
    """The response Quay gives for a domain error."""
    if isinstance(error, errors.NotFound):
        return api_error(404)
    if isinstance(error, errors.Unauthorized):
        return api_error(403 if authenticated else 401)
    if isinstance(error, errors.InvalidRequest):
        return api_error(400, error.detail)
    if isinstance(error, errors.DetailAnswer):
        return restful_json({"detail": error.detail}, error.status)
    if isinstance(error, errors.DataModelException):
        return flask_jsonify({"message": error.message}, 400)
    if isinstance(error, errors.Abort):
        return werkzeug_error(error.status, default_exceptions[error.status].description)
    if isinstance(error, errors.EmulatedCrash):
        return emulated_crash(error.reason)
    raise TypeError(f"no Quay answer for {type(error).__name__}")
