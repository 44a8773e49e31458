"""What an installed (not editable) mockquay needs: the bundled fixtures and the plugin."""

from __future__ import annotations

import configparser
from pathlib import Path

from mockquay.fixtures.loader import bundled_default

ROOT = Path(__file__).resolve().parent.parent


def setup_cfg() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return config


def test_package_data_ships_the_bundled_default_fixtures():
    patterns = setup_cfg()["options.package_data"]["mockquay"].split()
    package = ROOT / "mockquay"
    shipped = {path for pattern in patterns for path in package.glob(pattern)}
    assert package / "bundled" / "default.yaml" in shipped


def test_bundled_default_is_the_top_level_default_fixture_document():
    assert bundled_default().read_bytes() == (ROOT / "fixtures" / "default.yaml").read_bytes()


def test_entry_points_name_the_cli_and_the_pytest_plugin():
    entry_points = setup_cfg()["options.entry_points"]
    assert entry_points["console_scripts"].strip() == "mockquay = mockquay.cli:main"
    assert entry_points["pytest11"].strip() == "mockquay = mockquay.pytest_plugin"
