"""What an installed (not editable) mockquay needs: the bundled fixtures, the dashboard's files
and the plugin, checked in the wheel built from the committed tree."""

from __future__ import annotations

import configparser
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from mockquay.fixtures.loader import bundled_default

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mockquay"


def setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def test_package_data_ships_the_bundled_default_fixtures():
    patterns = setup_cfg()["options.package_data"]["mockquay"].split()
    shipped = {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    assert PACKAGE / "bundled" / "default.yaml" in shipped


def test_no_symlink_inside_the_package():
    """A build that copies only ``mockquay/`` (the Containerfile's) would drop its target."""
    assert [path for path in PACKAGE.rglob("*") if path.is_symlink()] == []


def test_the_top_level_default_fixtures_are_the_packages_file():
    top = ROOT / "fixtures" / "default.yaml"
    assert top.resolve() == bundled_default().resolve() == PACKAGE / "bundled" / "default.yaml"


def test_the_license_is_apache_2_0_and_named_in_the_metadata():
    metadata = setup_cfg()["metadata"]
    assert metadata["license"] == "Apache-2.0"
    assert metadata["license_files"] == "LICENSE"
    lines = (ROOT / "LICENSE").read_text().splitlines()
    assert [line.strip() for line in lines[1:3]] == ["Apache License", "Version 2.0, January 2004"]


def test_entry_points_name_the_cli_and_the_pytest_plugin():
    entry_points = setup_cfg()["options.entry_points"]
    assert entry_points["console_scripts"].strip() == "mockquay = mockquay.cli:main"
    assert entry_points["pytest11"].strip() == "mockquay = mockquay.pytest_plugin"


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of ``git archive HEAD``, built offline with the setuptools of this venv."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no committed tree to build from")
    folder = tmp_path_factory.mktemp("wheel")
    archive = folder / "head.tar"
    subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", "-o", str(archive), "HEAD"],
        check=True,
    )
    source = folder / "source"
    with tarfile.open(archive) as tar:
        tar.extractall(source, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    wheels = folder / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(wheels), str(source)],
        check=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("mockquay-*.whl")
    return wheel


def wheel_files(wheel: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(wheel) as archive:
        return {info.filename: info for info in archive.infolist()}


def test_the_wheel_holds_the_bundled_fixtures_as_a_real_file(built_wheel: Path):
    info = wheel_files(built_wheel)["mockquay/bundled/default.yaml"]
    assert not stat.S_ISLNK(info.external_attr >> 16)
    with zipfile.ZipFile(built_wheel) as archive:
        assert archive.read(info) == bundled_default().read_bytes()


def test_the_wheel_holds_the_dashboards_templates_and_static_files(built_wheel: Path):
    files = wheel_files(built_wheel)
    for folder in ("admin/templates", "admin/static"):
        expected = {f"mockquay/{folder}/{path.name}" for path in (PACKAGE / folder).iterdir()}
        assert expected and expected <= set(files), folder


def test_the_wheel_holds_the_license(built_wheel: Path):
    assert any(name.endswith(".dist-info/LICENSE") for name in wheel_files(built_wheel))


def test_an_install_of_the_wheel_opens_its_bundled_fixtures(built_wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(target), str(built_wheel)],
        check=True,
    )  # fmt: skip
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import mockquay; "
        "from mockquay.fixtures.loader import bundled_default, read_documents; "
        "print(mockquay.__file__); print(bundled_default()); "
        "print(read_documents([bundled_default()])[0][1]['organizations'][0]['name'])"
    )
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(target)],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    package, fixtures, organization = result.stdout.splitlines()
    assert Path(package) == target / "mockquay" / "__init__.py"
    assert Path(fixtures) == target / "mockquay" / "bundled" / "default.yaml"
    assert Path(fixtures).is_file() and not Path(fixtures).is_symlink()
    assert organization == "acme"
