"""Fault rules over real HTTP: each effect, match key and counter, as a client really sees them."""

from __future__ import annotations

import errno
import http.client
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import requests
from support.world import ACME_CREATE_BODY as CREATE

from mockquay.app import create_app
from mockquay.server import THREADS, Server
from mockquay.settings import Settings

ADMIN = {"Authorization": "Bearer admin-token"}
MIRROR = "/api/v1/repository/acme/etcd/mirror"
APP_MIRROR = "/api/v1/repository/acme/app/mirror"
CRASH_PAGE = (
    b"<html>\n  <head>\n    <title>Internal Server Error</title>\n  </head>\n  <body>\n"
    b"    <h1><p>Internal Server Error</p></h1>\n    \n  </body>\n</html>\n"
)


def api_error(status: int, detail: str, error_type: str) -> bytes:
    """Quay's ApiError body, its ``type`` URL on host ``127.0.0.1`` (a test adds the port)."""
    return (
        f'{{"detail": "{detail}", "error_message": "{detail}", "error_type": "{error_type}", '
        f'"title": "{error_type}", "type": "http://127.0.0.1/api/v1/error/{error_type}", '
        f'"status": {status}}}\n'
    ).encode()


@pytest.fixture
def served():
    server = Server(create_app(Settings(worker="off")), "127.0.0.1", 0).start()
    yield server
    server.stop()


def serve(**settings) -> Server:
    return Server(create_app(Settings(worker="off", **settings)), "127.0.0.1", 0).start()


def install(server: Server, *rules: dict) -> list[dict]:
    response = requests.post(f"{server.url}/__mockquay__/faults", json=list(rules))
    assert response.status_code == 201, response.text
    return response.json()["rules"]


def counts(server: Server) -> dict[str, tuple[int, int]]:
    rules = requests.get(f"{server.url}/__mockquay__/faults").json()["rules"]
    return {rule["id"]: (rule["matched"], rule["fired"]) for rule in rules}


def get_mirror(server: Server, **headers: str) -> requests.Response:
    return requests.get(f"{server.url}{MIRROR}", headers={**ADMIN, **headers}, timeout=10)


def raw_request(server: Server, path: str = MIRROR, *headers: str) -> socket.socket:
    """A connection that has sent one GET and not read anything yet."""
    parts = urlsplit(server.url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Authorization: Bearer admin-token"]
    sock.sendall(("\r\n".join([*lines, *headers]) + "\r\n\r\n").encode())
    return sock


def wait_until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def causes(error: BaseException) -> list[BaseException]:
    chain = []
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
        if error is not None and error.args and isinstance(error.args[-1], BaseException):
            chain.append(error.args[-1])
    return chain


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (400, "application/json", api_error(400, "Invalid request", "invalid_request")),
        (401, "application/json", api_error(401, "Requires authentication", "invalid_token")),
        (403, "application/json", api_error(403, "Unauthorized", "insufficient_scope")),
        (404, "application/json", api_error(404, "Not Found", "not_found")),
        (409, "application/json", b'{"message": "A conflict happened while processing the '
         b'request. The resource might have been modified while the request was being '
         b'processed."}\n'),
        (429, "application/json",
         b'{"message": "This user has exceeded an allotted request count. Try again later."}\n'),
        (200, "application/json", b""),
    ],
)  # fmt: skip
def test_status_without_body_answers_quay_shape(served, status, content_type, body):
    install(served, {"id": "shaped", "match": {"operation": "getRepoMirrorConfig"},
                     "status": status})  # fmt: skip
    response = get_mirror(served)
    # Profile latest keeps the Host header's port in the type URL.
    body = body.replace(b"http://127.0.0.1/", f"{served.url}/".encode())
    assert (response.status_code, response.content) == (status, body)
    assert response.headers.get("Content-Type") == content_type
    assert response.headers["X-Mockquay-Fault"] == "shaped"
    assert "X-Mockquay-Emulated" not in response.headers


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_without_body_is_quay_crash_page_marked_emulated(served, status):
    install(served, {"id": "down", "status": status})
    response = get_mirror(served)
    assert (response.status_code, response.content) == (status, CRASH_PAGE)
    assert response.headers["Content-Type"] == "text/html"
    assert response.headers["X-Mockquay-Emulated"] == "fault"
    assert response.headers["X-Mockquay-Fault"] == "down"


def test_json_body_and_headers_replace_the_answer(served):
    install(served, {"id": "busy", "status": 503, "body": {"message": "busy"},
                     "headers": {"Retry-After": 2}})  # fmt: skip
    response = get_mirror(served)
    assert (response.status_code, response.content) == (503, b'{"message": "busy"}\n')
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Retry-After"] == "2"
    assert response.headers["X-Mockquay-Fault"] == "busy"


def test_text_body_is_sent_as_is_with_its_content_type(served):
    install(served, {"id": "proxy", "status": 502, "body": "<h1>Bad gateway</h1>",
                     "headers": {"Content-Type": "text/html"}})  # fmt: skip
    response = get_mirror(served)
    assert (response.status_code, response.content) == (502, b"<h1>Bad gateway</h1>")
    assert response.headers["Content-Type"] == "text/html"


def test_delay_alone_gives_the_normal_answer_marked(served):
    normal = get_mirror(served)
    install(served, {"id": "slow", "delay_ms": 1})
    slowed = get_mirror(served)
    assert (slowed.status_code, slowed.content) == (200, normal.content)
    assert slowed.headers["Content-Type"] == "application/json"
    assert slowed.headers["X-Mockquay-Fault"] == "slow"
    assert counts(served) == {"slow": (1, 1)}


def test_delay_longer_than_the_client_timeout_times_it_out(served):
    install(served, {"id": "slow", "delay_ms": 1500})
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{served.url}{MIRROR}", headers=ADMIN, timeout=0.3)


def test_delay_holds_no_lock_other_requests_go_first(served):
    install(served, {"id": "slow", "match": {"method": "GET"}, "delay_ms": 1500})
    finished = []
    delayed = threading.Thread(target=lambda: finished.append(get_mirror(served).status_code))
    delayed.start()
    assert wait_until(lambda: counts(served)["slow"] == (1, 1))
    changed = requests.put(f"{served.url}{MIRROR}", json={"sync_interval": 60}, headers=ADMIN)
    finished.append(changed.status_code)
    delayed.join()
    assert finished == [201, 200]


def test_reset_is_connection_reset_by_peer(served):
    install(served, {"id": "rst", "transport": "reset"})
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        get_mirror(served)
    resets = [e for e in causes(raised.value) if isinstance(e, ConnectionResetError)]
    assert resets and resets[0].errno == errno.ECONNRESET
    assert "Connection reset by peer" in str(raised.value)


def test_reset_on_the_socket_sends_rst():
    server = serve()
    try:
        install(server, {"transport": "reset"})
        sock = raw_request(server)
        with pytest.raises(ConnectionResetError):
            sock.recv(1024)
        sock.close()
    finally:
        server.stop()


def test_close_sends_no_byte_then_fin(served):
    install(served, {"id": "gone", "transport": "close"})
    sock = raw_request(served)
    assert sock.recv(1024) == b""
    sock.close()


def test_close_is_remote_disconnected_for_requests(served):
    install(served, {"id": "gone", "transport": "close"})
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        get_mirror(served)
    assert any(isinstance(e, http.client.RemoteDisconnected) for e in causes(raised.value))


def test_malformed_is_a_broken_chunked_answer(served):
    install(served, {"id": "garbled", "transport": "malformed"})
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get_mirror(served)


def test_malformed_bytes_on_the_socket(served):
    install(served, {"id": "garbled", "transport": "malformed"})
    sock = raw_request(served)
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    sock.close()
    assert received == (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b'X-Mockquay-Fault: garbled\r\n\r\nnot-a-chunk-size\r\n{"detail": '
    )


def test_hang_times_the_client_out(served):
    install(served, {"id": "stuck", "transport": "hang"})
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{served.url}{MIRROR}", headers=ADMIN, timeout=0.5)


def test_hang_never_ties_up_the_server(served):
    install(served, {"id": "stuck", "match": {"path": MIRROR}, "transport": "hang"})
    hung = []
    for number in range(1, THREADS + 9):
        hung.append(raw_request(served))
        assert wait_until(lambda n=number: served.hung_connections == n)
    response = requests.get(f"{served.url}/api/v1/repository/acme/app", headers=ADMIN, timeout=5)
    assert response.status_code == 200
    for sock in hung:
        sock.close()


def test_hang_is_released_when_the_client_closes(served):
    install(served, {"transport": "hang"})
    sock = raw_request(served)
    assert wait_until(lambda: served.hung_connections == 1)
    sock.close()
    assert wait_until(lambda: served.hung_connections == 0)


def test_hang_is_released_when_the_server_stops():
    server = serve()
    install(server, {"transport": "hang"})
    sock = raw_request(server)
    assert wait_until(lambda: server.hung_connections == 1)
    server.stop()
    assert sock.recv(1024) == b""
    sock.close()


def test_phase_before_changes_nothing(served):
    install(served, {"id": "busy", "match": {"operation": "createRepoMirrorConfig"},
                     "status": 503})  # fmt: skip
    created = requests.post(f"{served.url}{APP_MIRROR}", json=CREATE, headers=ADMIN)
    assert created.status_code == 503
    assert requests.get(f"{served.url}{APP_MIRROR}", headers=ADMIN).status_code == 404


def test_phase_after_status_commits_then_replaces_the_answer(served):
    install(served, {"id": "lost", "match": {"operation": "createRepoMirrorConfig"},
                     "status": 503, "phase": "after"})  # fmt: skip
    created = requests.post(f"{served.url}{APP_MIRROR}", json=CREATE, headers=ADMIN)
    assert (created.status_code, created.headers["X-Mockquay-Fault"]) == (503, "lost")
    view = requests.get(f"{served.url}{APP_MIRROR}", headers=ADMIN)
    assert view.status_code == 200
    assert view.json()["external_reference"] == "quay.io/coreos/etcd"


def test_phase_after_reset_commits_then_loses_the_answer(served):
    install(served, {"id": "lost", "match": {"operation": "createRepoMirrorConfig"},
                     "transport": "reset", "phase": "after", "times": 1})  # fmt: skip
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(f"{served.url}{APP_MIRROR}", json=CREATE, headers=ADMIN)
    state = requests.get(f"{served.url}/__mockquay__/state").json()
    assert [m["repository"] for m in state["mirrors"]] == ["acme/app", "acme/etcd"]
    again = requests.post(f"{served.url}{APP_MIRROR}", json=CREATE, headers=ADMIN)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("match", "faulted"),
    [
        ({"operation": "syncNow"}, ["sync-now"]),
        ({"method": "PUT"}, ["put"]),
        ({"repository": "acme/e*"}, ["get", "put", "sync-now"]),
        ({"repository": "acme/app"}, ["app"]),
        ({"path": "/api/v1/repository/*/sync-now"}, ["sync-now"]),
        ({}, ["get", "put", "sync-now", "app"]),
    ],
)
def test_match_keys_pick_the_requests(served, match, faulted):
    install(served, {"id": "picky", "match": match, "status": 418})
    calls = {
        "get": lambda: requests.get(f"{served.url}{MIRROR}", headers=ADMIN),
        "put": lambda: requests.put(f"{served.url}{MIRROR}", json={"sync_interval": 60},
                                    headers=ADMIN),
        "sync-now": lambda: requests.post(f"{served.url}{MIRROR}/sync-now", headers=ADMIN),
        "app": lambda: requests.get(f"{served.url}/api/v1/repository/acme/app", headers=ADMIN),
    }  # fmt: skip
    statuses = {name: call().status_code for name, call in calls.items()}
    assert [name for name, status in statuses.items() if status == 418] == faulted
    assert counts(served) == {"picky": (len(faulted), len(faulted))}


def test_the_admin_api_is_never_faulted(served):
    install(served, {"id": "everything", "status": 500})
    assert requests.get(f"{served.url}/__mockquay__/health").status_code == 200
    assert get_mirror(served).status_code == 500
    assert counts(served) == {"everything": (1, 1)}


def test_times_faults_the_first_answers_then_quay_answers(served):
    install(served, {"id": "busy", "match": {"operation": "syncNow"}, "status": 503,
                     "headers": {"Retry-After": "1"}, "times": 2})  # fmt: skip
    answers = [requests.post(f"{served.url}{MIRROR}/sync-now", headers=ADMIN) for _ in range(3)]
    assert [(a.status_code, a.headers.get("Retry-After")) for a in answers] == [
        (503, "1"),
        (503, "1"),
        (204, None),
    ]
    assert counts(served) == {"busy": (3, 2)}


def test_after_skips_the_first_matches(served):
    install(served, {"id": "later", "status": 503, "after": 2})
    assert [get_mirror(served).status_code for _ in range(4)] == [200, 200, 503, 503]
    assert counts(served) == {"later": (4, 2)}


def test_times_five_under_fifty_concurrent_requests_fires_five_times(served):
    install(served, {"id": "five", "status": 503, "times": 5})
    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(lambda _: get_mirror(served).status_code, range(50)))
    assert sorted(statuses) == [200] * 45 + [503] * 5
    assert counts(served) == {"five": (50, 5)}


def fire_pattern(seed: int) -> list[bool]:
    server = serve(seed=seed)
    try:
        install(server, {"id": "flaky", "status": 503, "probability": 0.5})
        return [get_mirror(server).status_code == 503 for _ in range(24)]
    finally:
        server.stop()


def test_same_seed_gives_the_same_faults_across_runs_and_another_seed_others():
    first, second, other = fire_pattern(7), fire_pattern(7), fire_pattern(8)
    assert first == second
    assert first != other
    assert 0 < sum(first) < 24


def test_first_answer_wins_and_delays_add_up(served):
    install(
        served,
        {"id": "slow", "delay_ms": 1},
        {"id": "busy", "status": 503},
        {"id": "gone", "status": 404},
    )
    response = get_mirror(served)
    assert (response.status_code, response.headers["X-Mockquay-Fault"]) == (503, "busy")
    assert counts(served) == {"slow": (1, 1), "busy": (1, 1), "gone": (1, 0)}


def test_one_off_header_answers_status_with_headers(served):
    response = get_mirror(served, **{"X-Mockquay-Fault": "status=503; retry-after=2"})
    assert (response.status_code, response.content) == (503, CRASH_PAGE)
    assert response.headers["Retry-After"] == "2"
    assert response.headers["X-Mockquay-Fault"] == "request"


def test_one_off_header_resets_the_connection(served):
    with pytest.raises(requests.exceptions.ConnectionError) as raised:
        get_mirror(served, **{"X-Mockquay-Fault": "transport=reset"})
    assert "Connection reset by peer" in str(raised.value)


def test_one_off_header_wins_over_rules_which_do_not_count_it(served):
    install(served, {"id": "rule", "status": 404})
    response = get_mirror(served, **{"X-Mockquay-Fault": "status=409"})
    assert (response.status_code, response.headers["X-Mockquay-Fault"]) == (409, "request")
    assert counts(served) == {"rule": (0, 0)}


def test_invalid_one_off_header_is_refused_naming_the_field(served):
    response = get_mirror(served, **{"X-Mockquay-Fault": "status=5xx"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid X-Mockquay-Fault header: status: must be an integer from 200 to 599",
        "field": "status",
    }


def test_one_off_header_on_the_admin_api_is_ignored(served):
    response = requests.get(
        f"{served.url}/__mockquay__/health", headers={"X-Mockquay-Fault": "transport=reset"}
    )
    assert response.status_code == 200


def test_the_journal_records_which_rule_faulted(served):
    install(served, {"id": "rst", "transport": "reset"})
    with pytest.raises(requests.exceptions.ConnectionError):
        get_mirror(served)
    (entry,) = requests.get(f"{served.url}/__mockquay__/requests").json()["requests"]
    assert (entry["operation"], entry["status"], entry["fault"]) == (
        "getRepoMirrorConfig",
        None,
        "rst",
    )
