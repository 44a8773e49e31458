"""Take docs/dashboard.png: the dashboard on the bundled fixtures after a few requests.

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
            "external_reference": "quay.io/prometheus/node-exporter",
            "sync_interval": 3600,
            "sync_start_date": "2026-12-01T00:00:00Z",
            "root_rule": {"rule_kind": "tag_glob_csv", "rule_value": ["v1.*"]},
            "robot_username": "acme+mirrorbot",
            "sync_status": "FAIL",
            "sync_retries_remaining": 1,
        }
    ]
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
        mockquay.session("dev-token").post("/api/v1/repository/acme/app/mirror/sync-now")
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
            driver.save_screenshot(str(OUTPUT))
        finally:
            driver.quit()
    print(f"{OUTPUT}: {OUTPUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
