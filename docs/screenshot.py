"""Take docs/dashboard.png: the whole dashboard on the bundled fixtures and a second mirror
whose upstream fails one tag, after a few requests and a few minutes of the virtual clock (the
worker syncs both mirrors).

Run ``.venv/bin/python docs/screenshot.py`` with Debian's chromium and chromium-driver installed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from mockquay.testing import MockQuay

OUTPUT = Path(__file__).resolve().parent / "dashboard.png"
SECOND_MIRROR = {
    "mirrors": [
        {
            "repository": "acme/app",
            "external_reference": "ghcr.io/prometheus/node-exporter",
            "sync_interval": 3600,
            "sync_start_date": "2026-12-01T00:00:00Z",
            "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v1.*"]},
            "robot_username": "acme+mirrorbot",
        }
    ],
    "registries": [
        {
            "host": "ghcr.io",
            "tls": "valid",
            "repositories": {
                "prometheus/node-exporter": {
                    "tags": {
                        "v1.8.0": {"architectures": ["amd64", "arm64"], "copy_seconds": 2},
                        "v1.7.0": {"fail": "manifest unknown"},
                    }
                }
            },
        }
    ],
}


def main() -> None:
    with MockQuay() as mockquay, tempfile.TemporaryDirectory() as profile:
        mockquay.seed(SECOND_MIRROR)
        mockquay.fault(id="flaky-get", match={"operation": "getRepoMirrorConfig"}, status=503,
                       times=1)  # fmt: skip
        session = mockquay.session("admin-token")
        session.get("/api/v1/repository/acme/etcd/mirror")
        session.get("/api/v1/repository/acme/etcd/mirror")
        session.post("/api/v1/repository/acme/etcd/mirror/sync-now")
        session.post("/api/v1/repository/acme/app/mirror/sync-now")
        mockquay.session("dev-token").post("/api/v1/repository/acme/app/mirror/sync-now")
        mockquay.clock.advance(minutes=5)
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                         "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                         "--window-size=1280,960", f"--user-data-dir={profile}"):  # fmt: skip
            options.add_argument(argument)
        driver = webdriver.Chrome(
            options=options, service=Service(executable_path=shutil.which("chromedriver"))
        )
        try:
            driver.get(f"{mockquay.url}/__mockquay__/ui/")
            time.sleep(2.5)  # two polls: everything shown
            height = driver.execute_script("return document.documentElement.scrollHeight")
            # The whole page, in a viewport as tall as it.
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False},
            )
            time.sleep(0.5)
            driver.save_screenshot(str(OUTPUT))
        finally:
            driver.quit()
    print(f"{OUTPUT}: {OUTPUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
