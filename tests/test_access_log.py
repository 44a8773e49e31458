"""The access log: one line per request served, in the common log format or JSON."""

from __future__ import annotations

import http.client
import json
import re
import sys
import threading
import time

import pytest
import requests

from mockquay.access_log import AccessLog, StderrPump
from mockquay.app import create_app
from mockquay.redaction import redacted_query
from mockquay.server import Server
from mockquay.settings import Settings

ADMIN = {"Authorization": "Bearer admin-token"}
MIRROR = "/api/v1/repository/acme/etcd/mirror"
COMMON = re.compile(
    r"^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "
    r'"(?P<request>(?:[^"\\]|\\.)*)" '
    r"(?P<status>\S+) (?P<size>\S+) (?P<operation>\S+) (?P<fault>\S+)\n$"
)


def served_with_log(log_format: str):
    """A server whose access log lines are kept in its ``lines``."""
    lines: list[str] = []
    log = AccessLog(log_format, lines.append)
    server = Server(create_app(Settings()), "127.0.0.1", 0, access_log=log).start()
    server.lines = lines
    yield server
    server.stop()


@pytest.fixture(params=["common", "json"])
def logged(request):
    yield from served_with_log(request.param)


@pytest.fixture
def common():
    yield from served_with_log("common")


@pytest.fixture
def json_lines():
    yield from served_with_log("json")


def logged_lines(server: Server, count: int = 1) -> list[str]:
    """The server's lines, once there are ``count`` (a line is written after its answer)."""
    deadline = time.monotonic() + 5
    while len(server.lines) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.lines


def fields(server: Server) -> re.Match:
    assert len(logged_lines(server)) == 1, server.lines
    match = COMMON.match(server.lines[0])
    assert match, server.lines[0]
    return match


def test_common_line_names_request_status_size_and_operation(common):
    response = requests.get(common.url + MIRROR, headers=ADMIN)
    match = fields(common)
    assert match["request"] == f"GET {MIRROR} HTTP/1.1"
    assert (match["status"], match["size"]) == ("200", str(len(response.content)))
    assert (match["operation"], match["fault"]) == ("getRepoMirrorConfig", "-")


def test_common_line_names_the_fault_rule(common):
    requests.post(
        common.url + MIRROR + "/sync-now",
        headers={**ADMIN, "X-Mockquay-Fault": "status=503"},
    )
    match = fields(common)
    assert (match["status"], match["operation"], match["fault"]) == ("503", "syncNow", "request")


def test_a_broken_connection_has_no_status(common):
    with pytest.raises(requests.ConnectionError):
        requests.get(common.url + MIRROR, headers={**ADMIN, "X-Mockquay-Fault": "transport=reset"})
    match = fields(common)
    assert (match["status"], match["size"], match["fault"]) == ("-", "-", "request")


def test_admin_requests_have_no_operation(common):
    requests.get(common.url + "/__mockquay__/health")
    match = fields(common)
    assert (match["request"], match["status"], match["operation"]) == (
        "GET /__mockquay__/health HTTP/1.1",
        "200",
        "-",
    )


def test_passwords_and_tokens_in_the_query_are_redacted(logged):
    query = "password=hunter2&pass%77ord=hunter3&access_token=abc&token=def&page=2"
    requests.get(f"{logged.url}{MIRROR}?{query}", headers=ADMIN)
    (line,) = logged_lines(logged)
    for secret in ("hunter2", "hunter3", "abc", "def", "admin-token"):
        assert secret not in line
    assert line.count("<redacted>") == 4
    assert "&page=2" in line


def test_quotes_and_controls_in_the_path_are_escaped(common):
    connection = http.client.HTTPConnection(common.url.removeprefix("http://"))
    connection.request("GET", '/api/v1/x"y%0a')
    connection.getresponse().read()
    connection.close()
    assert fields(common)["request"] == 'GET /api/v1/x\\"y%0a HTTP/1.1'


def test_json_line_has_every_field(json_lines):
    requests.post(
        json_lines.url + MIRROR + "/sync-now",
        headers={**ADMIN, "X-Mockquay-Fault": "status=503"},
    )
    (line,) = logged_lines(json_lines)
    record = json.loads(line)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record.pop("time"))
    assert isinstance(record.pop("duration"), float)
    assert record.pop("size") > 0
    assert record == {
        "remote": "127.0.0.1",
        "method": "POST",
        "path": MIRROR + "/sync-now",
        "query": "",
        "status": 503,
        "operation": "syncNow",
        "repository": "acme/etcd",
        "fault": "request",
    }


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown access log format 'xml'"):
        AccessLog("xml")


@pytest.mark.parametrize(
    ("query", "redacted"),
    [
        ("", ""),
        ("a=1", "a=1"),
        ("Password=x", "Password=<redacted>"),
        ("my_token=x&b", "my_token=<redacted>&b"),
        ("external_registry_pass%77ord=x", "external_registry_pass%77ord=<redacted>"),
        ("token", "token"),
    ],
)
def test_redacted_query(query, redacted):
    assert redacted_query(query) == redacted


def test_a_stderr_nobody_reads_drops_lines_instead_of_stalling(monkeypatch):
    blocked = threading.Event()
    release = threading.Event()
    written: list[str] = []

    class FullPipe:
        def write(self, line: str) -> None:
            blocked.set()
            release.wait(10)
            written.append(line)

        def flush(self) -> None:
            pass

    monkeypatch.setattr(sys, "stderr", FullPipe())
    monkeypatch.setattr(StderrPump, "QUEUE_LINES", 2)
    pump = StderrPump()
    pump("first\n")
    blocked.wait(10)
    for n in range(5):
        pump(f"line {n}\n")
    release.set()
    pump.close()
    assert written == [
        "first\n",
        "line 0\n",
        "line 1\nmockquay: 3 access log lines dropped: stderr was not read\n",
    ]
