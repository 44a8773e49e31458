"""The container recipe: the Containerfile read as the builder reads it, and its entrypoint run.

Building and running the image takes a container engine and a minute, so the suite does not:
``container/smoke.sh`` (``make container-smoke``) does, with podman or docker. What is checked
here without an engine: the instructions (base, user, port, health check, entrypoint,
environment), the build context, and the entrypoint and health check commands themselves, run in
a subprocess with the image's environment (127.0.0.1 and a free port instead of 0.0.0.0:8080,
temporary files for ``/fixtures`` and the token file).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
CONTAINERFILE = ROOT / "Containerfile"
TOKEN = "container-secret"
HEALTH_SCRIPT = "/usr/local/bin/mockquay-healthcheck"


def instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` in order, with continuation lines joined."""
    logical, current = [], ""
    for line in CONTAINERFILE.read_text().splitlines():
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1].strip()) for text in logical]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last_from:]


def image_environment() -> dict[str, str]:
    """The ``ENV`` of the final stage, as the builder sets it."""
    environment = {}
    for name, arguments in final_stage():
        if name == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                environment[key] = value
    return environment


def exec_form(arguments: str) -> list[str]:
    """The JSON array of an exec-form ``CMD``/``ENTRYPOINT`` (options before it dropped)."""
    return json.loads(arguments[arguments.index("[") :])


def build_arguments() -> dict[str, str]:
    """The defaults of the ``ARG`` lines before the first ``FROM``."""
    steps = instructions()
    first_from = [name for name, _ in steps].index("FROM")
    return dict(arguments.split("=", 1) for name, arguments in steps[:first_from] if name == "ARG")


def test_both_stages_start_from_the_base_image_argument():
    """container/smoke.sh builds on a local base: ``--build-arg PYTHON_IMAGE=...``."""
    bases = [arguments.split()[0] for name, arguments in instructions() if name == "FROM"]
    assert bases == ["${PYTHON_IMAGE}", "${PYTHON_IMAGE}"]


def test_the_base_image_defaults_to_a_slim_python_image():
    base = build_arguments()["PYTHON_IMAGE"]
    assert base.rsplit("/", 1)[-1].startswith("python:") and base.endswith("-slim")


def test_the_final_stage_copies_the_environment_the_first_built_and_installs_nothing():
    """A wheel folder copied in and deleted by a later RUN would stay in the image's layers."""
    copies = [arguments for name, arguments in final_stage() if name == "COPY"]
    assert "--from=build /opt/mockquay /opt/mockquay" in copies
    assert not [
        arguments for name, arguments in final_stage() if name == "RUN" and "pip" in arguments
    ]
    assert image_environment()["PATH"].startswith("/opt/mockquay/bin:")


def test_the_build_stage_installs_into_an_environment_without_pip():
    (build_run,) = [arguments for name, arguments in instructions() if name == "RUN"][:1]
    assert build_run.startswith("python -m venv --without-pip /opt/mockquay ")
    assert "pip --python /opt/mockquay/bin/python install --no-cache-dir ." in build_run


def test_the_server_runs_as_a_non_root_user():
    users = [arguments for name, arguments in final_stage() if name == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_exposes_port_8080():
    assert ("EXPOSE", "8080") in final_stage()


def test_the_environment_binds_every_interface_with_fixtures_from_slash_fixtures():
    environment = image_environment()
    assert environment["MOCKQUAY_HOST"] == "0.0.0.0"
    assert environment["MOCKQUAY_PORT"] == "8080"
    assert environment["MOCKQUAY_FIXTURES"] == "/fixtures"
    assert environment["MOCKQUAY_ALLOWED_HOSTS"] == "*"
    assert environment["MOCKQUAY_ADMIN_TOKEN_FILE"] == "/tmp/mockquay-admin-token"
    assert "MOCKQUAY_ADMIN_TOKEN" not in environment


def test_the_image_fixtures_folder_holds_the_bundled_default_from_the_package():
    assert ("COPY", "mockquay/bundled/default.yaml /fixtures/default.yaml") in final_stage()


def test_the_build_stage_copies_the_license_the_package_metadata_names():
    (first, *_) = [arguments for name, arguments in instructions() if name == "COPY"]
    assert first.split() == ["setup.cfg", "pyproject.toml", "README.md", "LICENSE", "./"]


def test_the_health_check_runs_the_container_health_script():
    (arguments,) = [arguments for name, arguments in final_stage() if name == "HEALTHCHECK"]
    assert exec_form(arguments) == ["python", HEALTH_SCRIPT]
    assert ("COPY", f"container/healthcheck.py {HEALTH_SCRIPT}") in final_stage()


def test_the_entrypoint_is_the_container_script():
    (arguments,) = [arguments for name, arguments in final_stage() if name == "ENTRYPOINT"]
    assert exec_form(arguments) == ["/bin/sh", "/usr/local/bin/mockquay-entrypoint"]
    assert ("COPY", "container/entrypoint.sh /usr/local/bin/mockquay-entrypoint") in final_stage()


def test_every_copied_source_exists_and_is_in_the_build_context():
    ignored = [
        line
        for line in (ROOT / ".containerignore").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    for name, arguments in instructions():
        if name != "COPY" or arguments.startswith("--from"):
            continue
        for source in arguments.split()[:-1]:
            assert (ROOT / source).exists(), source
            assert source.split("/")[0] not in ignored, source


def test_no_copied_source_is_or_holds_a_symlink():
    """A builder copies a symlink as a link: one pointing outside what it copies dangles."""
    for name, arguments in instructions():
        if name != "COPY" or arguments.startswith("--from"):
            continue
        for source in arguments.split()[:-1]:
            path = ROOT / source
            inside = path.rglob("*") if path.is_dir() else ()
            assert [p for p in (path, *inside) if p.is_symlink()] == [], source


def test_containerignore_and_dockerignore_are_the_same():
    assert (ROOT / ".containerignore").read_text() == (ROOT / ".dockerignore").read_text()


def container_environment(fixtures: Path, **overrides: str) -> dict[str, str]:
    """The image's environment on this machine: loopback, ``fixtures`` for /fixtures, and a
    token file beside it."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("MOCKQUAY_")
    }
    environment.update(image_environment())
    environment.update(
        MOCKQUAY_HOST="127.0.0.1",
        MOCKQUAY_FIXTURES=str(fixtures),
        MOCKQUAY_ADMIN_TOKEN_FILE=str(fixtures.parent / "admin-token"),
    )
    environment["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environment["PATH"]
    environment.update(overrides)
    return environment


@pytest.fixture
def fixtures_folder(tmp_path: Path) -> Path:
    """A folder laid out as the image's ``/fixtures``."""
    folder = tmp_path / "fixtures"
    folder.mkdir()
    shutil.copy(ROOT / "mockquay" / "bundled" / "default.yaml", folder / "default.yaml")
    return folder


def run_entrypoint(environment: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        ["/bin/sh", str(ROOT / "container" / "entrypoint.sh"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


def run_health_check(environment: dict[str, str]) -> int:
    """The ``HEALTHCHECK`` command, its script taken from ``container/``."""
    script = str(ROOT / "container" / "healthcheck.py")
    return subprocess.run(
        [sys.executable, script], env=environment, capture_output=True, timeout=30
    ).returncode


@contextlib.contextmanager
def serving(environment: dict[str, str]):
    """The entrypoint serving with ``environment``: its URL, environment and process."""
    process = run_entrypoint(environment)
    line = process.stdout.readline()
    if not line:
        raise AssertionError(f"no ready line; stderr: {process.stderr.read()}")
    url = json.loads(line)["url"]
    try:
        yield url, {**environment, "MOCKQUAY_PORT": url.rsplit(":", 1)[1]}, process
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


@pytest.fixture
def served_container(fixtures_folder: Path):
    """The entrypoint serving with the image's environment and an admin token."""
    with serving(container_environment(fixtures_folder, MOCKQUAY_ADMIN_TOKEN=TOKEN)) as served:
        yield served[:2]


def test_the_entrypoint_answers_health_with_the_admin_token(served_container):
    url, _ = served_container
    answer = requests.get(f"{url}/__mockquay__/health", headers={"X-Mockquay-Admin-Token": TOKEN})
    assert answer.status_code == 200
    assert answer.json()["ready"] is True


def test_the_entrypoint_refuses_admin_requests_without_the_token(served_container):
    url, _ = served_container
    assert requests.get(f"{url}/__mockquay__/health").status_code == 401


def test_the_entrypoint_serves_the_fixtures_folder(served_container):
    url, _ = served_container
    state = requests.get(f"{url}/__mockquay__/state", headers={"X-Mockquay-Admin-Token": TOKEN})
    assert [mirror["repository"] for mirror in state.json()["mirrors"]] == ["acme/etcd"]


def test_the_health_check_passes_with_the_containers_token(served_container):
    _, environment = served_container
    assert run_health_check(environment) == 0


def test_the_health_check_fails_with_another_token(served_container):
    _, environment = served_container
    assert run_health_check({**environment, "MOCKQUAY_ADMIN_TOKEN": "wrong"}) != 0


def test_without_an_admin_token_the_entrypoint_makes_one_up_and_answers_the_first_curl(
    fixtures_folder: Path,
):
    """``docker run -p 8080:8080 IMAGE``: the README's first curl answers; the admin API needs
    the token printed on stderr, which the health check reads from the token file."""
    environment = container_environment(fixtures_folder)
    with serving(environment) as (url, environment, process):
        notice = process.stderr.readline()
        prefix = "mockquay: no MOCKQUAY_ADMIN_TOKEN given, so the admin API's token is "
        assert notice.startswith(prefix)
        token = notice[len(prefix) :].split()[0]
        assert len(token) == 24
        token_file = Path(environment["MOCKQUAY_ADMIN_TOKEN_FILE"])
        assert token_file.read_text() == f"{token}\n"
        assert token_file.stat().st_mode & 0o077 == 0
        mirror = requests.get(
            f"{url}/api/v1/repository/acme/etcd/mirror",
            headers={"Authorization": "Bearer admin-token"},
        )
        assert mirror.status_code == 200
        assert mirror.json()["external_reference"] == "quay.io/coreos/etcd"
        health = f"{url}/__mockquay__/health"
        assert requests.get(health).status_code == 401
        assert requests.get(health, headers={"X-Mockquay-Admin-Token": token}).status_code == 200
        assert run_health_check(environment) == 0


def test_an_empty_admin_token_is_refused_by_mockquay(fixtures_folder: Path):
    process = run_entrypoint(container_environment(fixtures_folder, MOCKQUAY_ADMIN_TOKEN=""))
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert stdout == ""
    assert stderr.startswith("mockquay: the admin token is empty")


def test_the_health_check_fails_when_nothing_listens(fixtures_folder: Path):
    environment = container_environment(fixtures_folder, MOCKQUAY_ADMIN_TOKEN=TOKEN)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        environment["MOCKQUAY_PORT"] = str(unused.getsockname()[1])
    assert run_health_check(environment) == 1


def readme_container_section() -> str:
    """The container page the README links (docs/container.md)."""
    return (ROOT / "docs" / "container.md").read_text()


def test_the_readme_builds_with_podman_in_docker_format():
    """podman's default OCI format has no HEALTHCHECK; ``--format docker`` keeps it."""
    assert "podman build --format docker -t mockquay -f Containerfile ." in (
        readme_container_section()
    )


def test_the_readmes_podman_health_cmd_is_the_images_health_check():
    (arguments,) = [arguments for name, arguments in final_stage() if name == "HEALTHCHECK"]
    command = " ".join(exec_form(arguments))
    assert f"--health-cmd '{command}'" in readme_container_section()
