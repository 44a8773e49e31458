"""The Makefile, dry-run (``make -n``) in a copy without virtual environments: what ``serve``
installs, what ``test`` runs, and the floors check of the declared dependency ranges."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files the Makefile's rules depend on, in a fresh folder."""
    for name in ("Makefile", "setup.cfg", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def make(folder: Path, *arguments: str) -> subprocess.CompletedProcess:
    """``make ARGUMENTS`` in ``folder``, out of reach of a ``make`` (and its ``ARGS``) running
    this suite."""
    outer = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "ARGS")
    return subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        env={name: value for name, value in os.environ.items() if name not in outer},
    )


def dry_run(folder: Path, target: str) -> list[str]:
    result = make(folder, "-n", target)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [line for line in lines if " install " in line]


def test_serve_installs_mockquay_alone_with_pip(checkout: Path):
    assert dry_run(checkout, "serve") == [
        "python3 -m venv .venv",
        ".venv/bin/python -m pip install --quiet --disable-pip-version-check -e .",
        "touch .venv/.installed-serve",
        ".venv/bin/mockquay serve ",
    ]


def test_test_installs_the_test_extra_with_uv_then_checks_and_builds_the_floors_venv(
    checkout: Path,
):
    assert dry_run(checkout, "test") == [
        "python3 -m venv .venv",
        ".venv/bin/python -m pip install --quiet --disable-pip-version-check uv",
        ".venv/bin/uv pip install --quiet --compile-bytecode --python .venv/bin/python "
        "-e '.[test]'",
        "touch .venv/.installed-test",
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy mockquay",
        ".venv/bin/python -m pytest -n auto ",
        "rm -rf .venv-floors",
        ".venv/bin/uv venv --quiet --python .venv/bin/python .venv-floors",
        ".venv/bin/uv pip install --quiet --python .venv-floors/bin/python --resolution "
        "lowest-direct -e '.[test]'",
        "touch .venv-floors/.installed",
        ".venv-floors/bin/python -m pytest -q -p no:warnings tests/test_fixtures.py "
        "tests/test_conformance_get.py tests/test_cli.py",
    ]


def test_the_floors_venv_is_rebuilt_only_when_setup_cfg_changes(checkout: Path):
    for stamp in (".venv/.installed-serve", ".venv/.installed-test", ".venv-floors/.installed"):
        (checkout / stamp).parent.mkdir(exist_ok=True)
        (checkout / stamp).touch()
    assert installs(dry_run(checkout, "floors")) == []
    later = (checkout / ".venv-floors/.installed").stat().st_mtime + 10
    os.utime(checkout / "setup.cfg", (later, later))
    assert len(installs(dry_run(checkout, "floors"))) == 3


def test_uv_is_in_the_test_extra_and_the_floors_venv_is_ignored():
    assert "uv>=" in (ROOT / "setup.cfg").read_text()
    assert ".venv-floors/" in (ROOT / ".gitignore").read_text().splitlines()
    assert ".venv-floors" in (ROOT / ".containerignore").read_text().splitlines()


def stub(path: Path, script: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!{shutil.which("bash")}\necho "{path.name} $*" >> calls\n{script}\n')
    path.chmod(0o755)


def wait_for(name: str) -> str:
    """A shell line that waits up to 20 s for the file ``name``, failing if it never comes."""
    return f"for _ in $(seq 200); do test -e {name} && break; sleep 0.1; done; test -e {name}"


@pytest.fixture
def installed(checkout: Path) -> Path:
    """The checkout with the test venv installed (tools that record their calls, a pytest that
    waits for the floors install to start) and the floors venv to build."""
    stub(checkout / ".venv/bin/python", "touch suite-running; " + wait_for("floors-installing"))
    for tool in ("ruff", "mypy"):
        stub(checkout / f".venv/bin/{tool}", "")
    later = (checkout / "setup.cfg").stat().st_mtime + 10
    for stamp in (".venv/.installed-serve", ".venv/.installed-test"):
        (checkout / stamp).touch()
        os.utime(checkout / stamp, (later, later))
    return checkout


def floors_uv(checkout: Path, status: int) -> None:
    """The test venv's uv: ``venv`` makes a floors venv whose python records its calls; ``pip``
    says it started, waits for the suite to start, then exits with ``status``."""
    stub(checkout / "floors/python", "")
    stub(
        checkout / ".venv/bin/uv",
        'if [ "$1" = venv ]; then mkdir -p .venv-floors/bin; cp floors/python .venv-floors/bin\n'
        "fi\n"
        f'if [ "$1" = pip ]; then touch floors-installing; {wait_for("suite-running")} '
        f"|| exit 3; exit {status}; fi",
    )


def test_test_builds_the_floors_venv_while_the_suite_runs(installed: Path):
    floors_uv(installed, 0)
    result = make(installed, "test")
    assert result.returncode == 0, result.stdout + result.stderr
    calls = (installed / "calls").read_text().splitlines()
    assert sorted(calls[:-1]) == sorted(
        [
            "ruff check .",
            "ruff format --check .",
            "mypy mockquay",
            "python -m pytest -n auto",
            "uv venv --quiet --python .venv/bin/python .venv-floors",
            "uv pip install --quiet --python .venv-floors/bin/python --resolution lowest-direct "
            "-e .[test]",
        ]
    )
    assert calls[-1] == (
        "python -m pytest -q -p no:warnings tests/test_fixtures.py tests/test_conformance_get.py "
        "tests/test_cli.py"
    )


def test_a_failed_floors_install_fails_test_without_the_floors_smoke(installed: Path):
    floors_uv(installed, 1)
    result = make(installed, "test")
    assert result.returncode != 0
    calls = (installed / "calls").read_text().splitlines()
    assert "python -m pytest -n auto" in calls
    assert not [call for call in calls if "tests/test_fixtures.py" in call]
    assert not (installed / ".venv-floors/.installed").exists()
