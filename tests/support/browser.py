"""Headless Chromium driven by Selenium, for the pages' browser tests, and waits on its DOM."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

try:
    from selenium import webdriver
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
        TimeoutException,
    )
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # the browser tests skip and say why
    webdriver = None


@contextmanager
def chromium(user_data_dir: Path) -> Iterator[Any]:
    """A headless Chromium; skips the test, saying why, when Chromium or Selenium is missing."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.skip(
            "chromium/chromedriver not installed: apt-get install chromium chromium-driver "
            "to run the browser tests"
        )
    if webdriver is None:
        pytest.skip(
            "chromium/chromedriver not installed: selenium is missing (pip install selenium)"
        )

    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={user_data_dir}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(browser, condition, timeout: float = 15):

    return WebDriverWait(browser, timeout).until(condition)


def text_of(browser, selector: str):
    """A wait condition: the element's text once it exists, else a false value."""

    def condition(_):
        try:
            return browser.find_element(By.CSS_SELECTOR, selector).text or False
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    return condition


def becomes(browser, read, expected, timeout: float = 15):
    """Wait until ``read()`` is ``expected``; the last value read (so asserts show it)."""
    seen = {"value": None}

    def condition(_):
        seen["value"] = read()
        return seen["value"] == expected

    try:
        wait_for(browser, condition, timeout)
    except TimeoutException:
        pass
    return seen["value"]


def text_becomes(browser, selector: str, expected: str, timeout: float = 15) -> str:
    """Wait until the element's text is ``expected``; the last text seen (so asserts show it)."""
    return becomes(browser, lambda: text_of(browser, selector)(None), expected, timeout)


def click(browser, selector: str) -> None:

    browser.find_element(By.CSS_SELECTOR, selector).click()


def rows_become(browser, table: str, columns: tuple[str, ...], expected: list) -> list | None:
    """Wait until the rows of ``table`` read ``expected`` (tuples of the ``columns`` cells'
    text); the last rows seen."""

    def read():
        try:
            return [
                tuple(row.find_element(By.CSS_SELECTOR, f"td.{name}").text for name in columns)
                for row in browser.find_elements(By.CSS_SELECTOR, f"{table} tbody tr")
            ]
        except (NoSuchElementException, StaleElementReferenceException):
            return None

    return becomes(browser, read, expected)
