"""The pain log in a real browser: Debian's chromium, headless, driven by Playwright, at a phone's 360 px width.

The real server (Uvicorn in a thread on a free loopback port) and a real SQLite database. Playwright never
downloads a browser here: it is pointed at /usr/bin/chromium. Without it the tests skip with the reason, except
under CI=true, where .ci/run installs it and a missing browser is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import Browser, chromium_browser  # noqa: F401  (the `browser` fixture; skips without chromium)

from advisor.config import load_settings
from advisor.web.server import ServerThread

PHONE = {"width": 360, "height": 740}


@pytest.fixture
def server(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{isolated_home / 'advisor.db'}")
    running = ServerThread(load_settings(), "127.0.0.1", 0).start()
    try:
        yield running.url
    finally:
        running.stop()


def test_log_pain_from_a_phone(server: str, browser: Browser, tmp_path: Path) -> None:
    page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(server)
    assert page.locator("h1").first.inner_text().startswith("This week")
    page.get_by_role("link", name="Log knee pain").click()
    page.locator("label.score", has_text="3").first.click()
    page.get_by_label("The next morning").check()
    page.get_by_label("Note").fill("Stairs at work <b>hurt</b>")
    page.get_by_role("button", name="Log pain").click()
    page.wait_for_url("**/pain?logged=1")
    entry = page.locator("#pain-log li").first
    assert "3/10" in entry.inner_text()
    assert "morning" in entry.inner_text()
    assert "Stairs at work <b>hurt</b>" in entry.inner_text()  # shown as the runner typed it, not as markup
    page.screenshot(path=str(tmp_path / "pain-360.png"), full_page=True)
    for path in ("pain", "", "rehab", "activities", "assessed"):
        page.goto(server + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"/{path} scrolls sideways at 360 px ({width} px wide)"
        if path == "":
            page.screenshot(path=str(tmp_path / "week-360.png"), full_page=True)
    assert errors == []  # the CSP blocked nothing the page needs
