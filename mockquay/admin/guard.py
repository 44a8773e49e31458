"""What every request under ``/__mockquay__`` must pass before its handler and token check.

The admin API can reset, replace and read the whole state, so a web page the developer happens
to visit must not reach it:

* **Host.** Only loopback host names (``localhost``, ``127.0.0.0/8``, ``[::1]``) and the
  ``allowed_hosts`` setting are answered, so a DNS-rebinding page, whose requests carry its own
  host name, is refused.
* **Origin.** A browser request from another origin (``Origin``) or another site
  (``Sec-Fetch-Site: cross-site`` or ``same-site``) is refused; mockquay's own pages (the
  Swagger UI, the dashboard) send their own origin. A browser sends one of the two on every
  cross-site POST; a script (curl, requests) sends neither and is answered.
* **No simple POST from a browser.** A page may POST a form or ``text/plain`` body cross-site
  without asking first, so a browser's POST of one (with ``Origin`` or ``Sec-Fetch-*``) also
  needs an ``X-Mockquay-...`` or ``X-Requested-With`` header. PUT, PATCH and DELETE always ask
  first, and mockquay never answers that preflight with CORS headers.
* **Body.** A JSON body must be Unicode text: a lone surrogate (``"\\ud800"``) could be neither
  stored under a key nor sent back.

The one-off ``X-Mockquay-Fault`` header is an admin control too (:func:`fault_header_refusal`).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from flask import Response, request

from mockquay.admin.blueprint import PREFIX, error_response, require_admin_token
from mockquay.document_fields import LONE_SURROGATE
from mockquay.extension import current_emulator

#: The admin API's answer to a JSON body too deeply nested to parse or apply.
TOO_DEEP = "the JSON body is nested too deeply"
#: The header mockquay's own clients (``mockquay.testing``, the pytest plugin) send.
CLIENT_HEADER = "X-Mockquay-Client"
ANY_HOST = "*"
#: The ``Sec-Fetch-Site`` values of a request made by a page of another site.
OTHER_SITES = ("cross-site", "same-site")
#: The content types a page may POST cross-site without a CORS preflight.
SIMPLE_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


def check_admin_request() -> Response | None:
    """``before_request`` hook of the app: the refusal of an admin request, or None."""
    if not request.path.startswith(PREFIX):
        return None
    return _host_refusal() or _origin_refusal() or _simple_post_refusal() or _body_refusal()


def fault_header_refusal() -> Response | None:
    """The refusal of a request with ``X-Mockquay-Fault``, which only an admin may send."""
    return _host_refusal() or _origin_refusal() or require_admin_token()


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether a request's ``Host`` (with or without port) is loopback or in ``allowed``."""
    name = _host_name(host)
    if name == "localhost" or ANY_HOST in allowed:
        return True
    if name in (entry.lower().rstrip(".") for entry in allowed):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_name(host: str) -> str:
    """``host`` without port and brackets, lower case: ``[::1]:8080`` gives ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        host = host.partition(":")[0]
    return host.rstrip(".")


def _host_refusal() -> Response | None:
    allowed = current_emulator().settings.allowed_hosts
    if host_allowed(request.host, allowed):
        return None
    name = _host_name(request.host)
    shown = repr(name) if name else "an empty or invalid Host header"
    return error_response(
        403,
        f"the admin API answers loopback host names only, not {shown}: allow it with "
        "--allowed-host or MOCKQUAY_ALLOWED_HOSTS",
    )


def _origin_refusal() -> Response | None:
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
        return error_response(403, f"the admin API refuses requests from another origin ({origin})")
    site = request.headers.get("Sec-Fetch-Site", "").lower()
    if site in OTHER_SITES:
        return error_response(
            403, f"the admin API refuses requests from another site (Sec-Fetch-Site: {site})"
        )
    return None


def _simple_post_refusal() -> Response | None:
    if request.method != "POST" or request.mimetype not in SIMPLE_TYPES:
        return None
    names = [name.lower() for name in request.headers.keys()]
    if not any(name == "origin" or name.startswith("sec-fetch-") for name in names):
        return None
    if "x-requested-with" in names or any(name.startswith("x-mockquay-") for name in names):
        return None
    return error_response(
        403,
        "a browser's form or text/plain POST to the admin API needs an X-Mockquay-... or "
        "X-Requested-With header, which a web page cannot send cross-site",
    )


def _body_refusal() -> Response | None:
    # A RecursionError from parsing reaches the app's error handler, which answers TOO_DEEP.
    if request.is_json and _holds_lone_surrogate(request.get_json(silent=True)):
        return error_response(400, "the JSON body holds a lone surrogate (\\ud800)")
    return None


def _holds_lone_surrogate(value: Any) -> bool:
    """Whether a key or string anywhere in the JSON value ``value`` holds a lone surrogate."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
