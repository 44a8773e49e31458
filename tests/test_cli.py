"""The ``mockquay`` command in this process: --version, the admin token, the bind warning."""

from __future__ import annotations

import json

import pytest

from mockquay import __version__, cli
from mockquay.profiles import PROFILES
from mockquay.server import Server


@pytest.fixture
def unbound(monkeypatch):
    """``serve`` runs through without binding a socket or touching this process's logging."""
    monkeypatch.setattr(Server, "prepare", lambda self: None)
    monkeypatch.setattr(Server, "serve", lambda self: None)
    monkeypatch.setattr(cli, "_log_to_stderr", lambda: None)
    monkeypatch.setattr(cli, "raise_descriptor_limit", lambda: None)
    monkeypatch.setattr(cli.signal, "signal", lambda *arguments: None)
    monkeypatch.delenv("MOCKQUAY_ADMIN_TOKEN", raising=False)


def ready_line(capsys) -> tuple[dict, str]:
    out, err = capsys.readouterr()
    return json.loads(out.splitlines()[0]), err


def test_version_names_the_version_and_the_default_profile(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["--version"])
    assert exit.value.code == 0
    assert capsys.readouterr().out == (
        f"mockquay {__version__} (default Quay profile: latest, "
        f"Quay {PROFILES['latest'].releases})\n"
    )


def test_an_empty_admin_token_flag_is_an_error(unbound, capsys):
    assert cli.main(["serve", "--admin-token", ""]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "mockquay: the admin token is empty (--admin-token or MOCKQUAY_ADMIN_TOKEN): give a "
        "token, or leave the option out to run without one\n"
    )


def test_an_empty_admin_token_variable_is_an_error(unbound, monkeypatch, capsys):
    monkeypatch.setenv("MOCKQUAY_ADMIN_TOKEN", "")
    assert cli.main(["serve"]) == 2
    assert capsys.readouterr().err.startswith("mockquay: the admin token is empty")


WARNING = (
    "listening on 0.0.0.0, beyond this machine, without --admin-token: anyone who can reach "
    "it can change or read the whole state"
)


def test_every_interface_without_a_token_warns_on_stderr_and_in_the_ready_line(unbound, capsys):
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8080", "--quiet"]) == 0
    ready, err = ready_line(capsys)
    assert ready == {
        "event": "ready",
        "url": "http://0.0.0.0:8080",
        "profile": "latest",
        "seed": 0,
        "warning": WARNING,
    }
    assert err == f"mockquay: warning: {WARNING}\n"


def test_every_interface_with_a_token_does_not_warn(unbound, capsys):
    arguments = ["serve", "--host", "0.0.0.0", "--port", "8080", "--quiet", "--admin-token", "t"]
    assert cli.main(arguments) == 0
    ready, err = ready_line(capsys)
    assert "warning" not in ready
    assert err == ""


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
def test_loopback_without_a_token_does_not_warn(unbound, capsys, host):
    assert cli.main(["serve", "--host", host, "--port", "8080", "--quiet"]) == 0
    ready, err = ready_line(capsys)
    assert "warning" not in ready
    assert err == ""


def test_hints_show_the_dashboard_swagger_ui_and_a_first_curl(unbound, capsys):
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8080", "--admin-token", "t"]) == 0
    _, err = ready_line(capsys)
    assert err.splitlines() == [
        "mockquay is ready at http://127.0.0.1:8080",
        "  dashboard:  http://127.0.0.1:8080/__mockquay__/ui/",
        "  Swagger UI: http://127.0.0.1:8080/__mockquay__/swagger-ui",
        "  try:        curl -H 'Authorization: Bearer admin-token' "
        "http://127.0.0.1:8080/api/v1/repository/acme/etcd/mirror",
        "  the admin pages and API need the X-Mockquay-Admin-Token header",
    ]


def test_hints_without_a_mirror_point_curl_at_health(unbound, capsys, tmp_path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("users: [{username: alice}]\n")
    assert cli.main(["serve", "--port", "8080", "--fixtures", str(empty)]) == 0
    _, err = ready_line(capsys)
    assert err.splitlines()[-1] == "  try:        curl http://127.0.0.1:8080/__mockquay__/health"


def refusal(argv: list[str], capsys) -> tuple[int, str, str]:
    """``mockquay ARGV``'s exit code, stdout and stderr, argparse's exits included."""
    try:
        code = cli.main(argv)
    except SystemExit as exit:
        code = exit.code
    out, err = capsys.readouterr()
    return code, out, err


def usage_error(command: str, message: str) -> str:
    return f"{command}: error: {message} (see {command} --help)\n"


@pytest.mark.parametrize(
    "argv, environment, err",
    [
        (["serve", "--port", "99999"], {}, "mockquay: port 99999 is outside 0-65535 (--port or "
         "MOCKQUAY_PORT)\n"),
        (["serve", "--port", "-1"], {}, "mockquay: port -1 is outside 0-65535 (--port or "
         "MOCKQUAY_PORT)\n"),
        (["serve"], {"MOCKQUAY_PORT": "65536"}, "mockquay: port 65536 is outside 0-65535 "
         "(--port or MOCKQUAY_PORT)\n"),
        (["serve"], {"MOCKQUAY_PORT": "http"}, "mockquay: MOCKQUAY_PORT must be an integer, not "
         "'http'\n"),
        (["serve"], {"MOCKQUAY_SEED": "1.5"}, "mockquay: MOCKQUAY_SEED must be an integer, not "
         "'1.5'\n"),
        (["serve"], {"MOCKQUAY_JOURNAL_SIZE": "-1"}, "mockquay: MOCKQUAY_JOURNAL_SIZE is -1: it "
         "cannot be negative\n"),
        (["serve"], {"MOCKQUAY_AUDIT_LOG_SIZE": "many"}, "mockquay: MOCKQUAY_AUDIT_LOG_SIZE must "
         "be an integer, not 'many'\n"),
        (["serve"], {"MOCKQUAY_CLOCK": "fast"}, "mockquay: unknown clock mode 'fast' (known: "
         "real, manual)\n"),
        (["serve"], {"MOCKQUAY_WORKER": "on"}, "mockquay: unknown worker mode 'on' (known: auto, "
         "manual, off)\n"),
        (["serve", "--allowed-host", ""], {}, "mockquay: an allowed host is empty "
         "(--allowed-host or MOCKQUAY_ALLOWED_HOSTS): give a host name, or '*' for any\n"),
        (["serve", "--port", "http"], {}, usage_error(
            "mockquay serve", "argument --port: invalid int value: 'http'")),
        (["serve", "--seed", "x"], {}, usage_error(
            "mockquay serve", "argument --seed: invalid int value: 'x'")),
        (["serve", "--port"], {}, usage_error(
            "mockquay serve", "argument --port: expected one argument")),
        (["serve", "--nope"], {}, usage_error("mockquay", "unrecognized arguments: --nope")),
        (["check-fixtures"], {}, usage_error(
            "mockquay check-fixtures", "the following arguments are required: PATH")),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)  # fmt: skip
def test_a_bad_value_is_one_line_on_stderr_and_exit_2(
    unbound, monkeypatch, capsys, argv, environment, err
):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert refusal(argv, capsys) == (2, "", err)


@pytest.mark.parametrize(
    "argv, command, start",
    [
        (["serve", "--clock", "fast"], "mockquay serve",
         "argument --clock: invalid choice: 'fast'"),
        (["serve", "--worker", "on"], "mockquay serve", "argument --worker: invalid choice: 'on'"),
        (["serve", "--log-format", "xml"], "mockquay serve",
         "argument --log-format: invalid choice: 'xml'"),
        (["serf"], "mockquay", "argument command: invalid choice: 'serf'"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)  # fmt: skip
def test_a_value_outside_a_flags_choices_is_one_line_naming_them_and_exit_2(
    unbound, capsys, argv, command, start
):
    """The list of choices is argparse's wording, which differs between Python releases."""
    code, out, err = refusal(argv, capsys)
    assert (code, out) == (2, "")
    assert err.startswith(f"{command}: error: {start} (choose from ")
    assert err.endswith(f" (see {command} --help)\n") and err.count("\n") == 1


def test_a_data_path_that_cannot_be_read_is_one_line_and_exit_2(unbound, capsys, tmp_path):
    assert refusal(["serve", "--data", str(tmp_path)], capsys) == (
        2,
        "",
        f"mockquay: --data {tmp_path} cannot be read: Is a directory\n",
    )


def test_a_missing_faults_file_is_one_line_and_exit_2(unbound, capsys, tmp_path):
    missing = tmp_path / "faults.yaml"
    assert refusal(["serve", "--faults", str(missing)], capsys) == (
        2,
        "",
        f"mockquay: {missing}: cannot read: [Errno 2] No such file or directory: '{missing}'\n",
    )
