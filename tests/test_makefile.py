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


def dry_run(folder: Path, target: str) -> list[str]:
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", target],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MAKEFLAGS": ""},
    )
    return result.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [line for line in lines if " install " in line]


def test_serve_installs_mockquay_without_its_test_extra(checkout: Path):
    lines = dry_run(checkout, "serve")
    assert installs(lines) == [
        ".venv/bin/python -m pip install --quiet --disable-pip-version-check -e ."
    ]
    assert lines[-1] == ".venv/bin/mockquay serve "


def test_test_installs_the_test_extra_then_lints_types_tests_and_checks_the_floors(checkout: Path):
    lines = dry_run(checkout, "test")
    assert installs(lines) == [
        ".venv/bin/python -m pip install --quiet --disable-pip-version-check -e .",
        ".venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'",
        ".venv/bin/uv pip install --quiet --python .venv-floors/bin/python --resolution "
        "lowest-direct -e '.[test]'",
    ]
    assert lines[-5:] == [
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy mockquay",
        ".venv/bin/python -m pytest -n auto ",
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
