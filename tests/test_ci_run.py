"""``.ci/run``: installs the dashboard's browser when it can, and always runs ``make test``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bin_folder(tmp_path: Path) -> Path:
    """A PATH with the few tools ``.ci/run`` needs, a ``make`` that records its arguments, and
    neither chromium nor apt-get."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("bash", "dirname", "id", "cat"):
        os.symlink(shutil.which(tool), folder / tool)
    stub(folder, "make", f'echo "make $*" >> {tmp_path / "calls"}')
    return folder


def stub(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!{shutil.which('bash')}\n{script}\n")
    path.chmod(0o755)


def run_ci(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [shutil.which("bash"), str(ROOT / ".ci" / "run")],
        env={"PATH": str(folder)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def calls(folder: Path) -> list[str]:
    return (folder.parent / "calls").read_text().splitlines()


def test_without_apt_get_it_says_the_browser_tests_skip_and_runs_make_test(bin_folder):
    result = run_ci(bin_folder)
    assert result.returncode == 0
    assert result.stderr == ".ci/run: no apt-get; the dashboard's browser tests will skip\n"
    assert calls(bin_folder) == ["make test"]


def test_when_apt_get_fails_it_says_so_and_runs_make_test(bin_folder):
    stub(bin_folder, "apt-get", f'echo "apt-get $*" >> {bin_folder.parent / "calls"}; exit 100')
    result = run_ci(bin_folder)
    assert result.returncode == 0
    assert result.stderr == (
        ".ci/run: could not install chromium; the dashboard's browser tests will skip\n"
    )
    assert calls(bin_folder) == ["apt-get update -qq", "make test"]


def test_it_installs_chromium_and_its_driver_with_apt_get(bin_folder):
    stub(bin_folder, "apt-get", f'echo "apt-get $*" >> {bin_folder.parent / "calls"}')
    result = run_ci(bin_folder)
    assert result.returncode == 0
    assert result.stderr == ""
    assert calls(bin_folder) == [
        "apt-get update -qq",
        "apt-get install -y -qq chromium chromium-driver",
        "make test",
    ]


def test_with_chromium_installed_it_only_runs_make_test(bin_folder):
    stub(bin_folder, "apt-get", f'echo "apt-get $*" >> {bin_folder.parent / "calls"}')
    stub(bin_folder, "chromium", "true")
    stub(bin_folder, "chromedriver", "true")
    assert run_ci(bin_folder).returncode == 0
    assert calls(bin_folder) == ["make test"]


def test_a_failing_make_test_fails_the_run(bin_folder):
    stub(bin_folder, "make", "exit 2")
    assert run_ci(bin_folder).returncode == 2
