"""Debian's chromium for the browser tests, driven headless by Playwright, which never downloads a browser here.

Importing this module skips the importing test module when /usr/bin/chromium is missing, except under CI=true,
where .ci/run installs it (`apt-get install chromium`) and a missing browser is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("CI=true but /usr/bin/chromium is missing: .ci/run should have installed it")
    pytest.skip(
        "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)", allow_module_level=True
    )

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
from playwright.sync_api import Browser, sync_playwright  # noqa: E402

__all__ = ["Browser", "chromium_browser"]


@pytest.fixture(name="browser", scope="module")
def chromium_browser() -> Iterator[Browser]:
    """One headless chromium per test module."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
