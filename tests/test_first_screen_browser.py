"""The runner's first screens in a real browser (issue 19): the web page and the weekly mail at a phone's 360 px.

A runner with ten weeks of runs, one long run and a painful one, opens `/` on a phone held upright (360 × 800):
before scrolling they see the phase, today, and both caps with their reasons — the caps box ends above 800 px —
and nothing is wider than the screen. The weekly mail, opened on the same phone, starts with this week's advice,
then last week, then the chart, and is under 1,500 px tall. With `units = "mi"` no kilometre or metre figure is
left on any of these pages or in the mail. Debian's chromium, headless (as tests/test_web_browser.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from browser import Browser, chromium_browser  # noqa: F401  (the `browser` fixture; skips without chromium)
from fitgen import track_from_segments, write_activity
from playwright.sync_api import Page

from advisor.bootstrap import Runtime
from advisor.config import load_settings
from advisor.render.summary import render_summary, standalone_html
from advisor.services.importing import import_paths
from advisor.services.knee import PainInput, log_pain
from advisor.services.summary import build_summary, week_just_ended
from advisor.web.server import ServerThread

PHONE = {"width": 360, "height": 800}
DESK = {"width": 1280, "height": 800}
MAIL_MAX_PX = 1500


KM_FIGURE = re.compile(r"\d\s?km\b|/km\b|km/h")
METRE_FIGURE = re.compile(r"\d\s?m\b(?!/)")


def ten_weeks(folder: Path, today: date) -> list[Path]:
    """Runs every other day for ten weeks: 6 km with a 60 m descent, a 12 km long run five days ago."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for back in range(70, 0, -2):
        day = today - timedelta(days=back)
        km = 12.0 if back == 6 else 6.0
        half = km * 500
        points = track_from_segments([(half, 0.02), (half, -0.02)], speed=3.0, interval_s=5.0, noise_m=0.1, seed=back)
        path = folder / f"{day.isoformat()}.fit"
        write_activity(path, points, start=datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC), utc_offset_s=0)
        paths.append(path)
    return paths


@pytest.fixture(params=["km", "mi"])
def runner(request: pytest.FixtureRequest, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv("ADVISOR_DATABASE__URL", f"sqlite:///{isolated_home / 'advisor.db'}")
    monkeypatch.setenv("ADVISOR_PROFILE__UNITS", request.param)
    rt = Runtime(load_settings())
    today = rt.settings.today()
    summary = import_paths(rt.import_context("file"), ten_weeks(isolated_home / "runs", today))
    assert all(r.status == "imported" for r in summary.results)
    log_pain(rt.db, rt.athlete_id, PainInput(score=3, when="after", day=today - timedelta(days=6)), today)
    log_pain(rt.db, rt.athlete_id, PainInput(score=1, when="morning", day=today - timedelta(days=5)), today)
    yield rt
    rt.close()


@pytest.fixture
def server(runner: Runtime) -> Iterator[str]:
    running = ServerThread(runner.settings, "127.0.0.1", 0).start()
    try:
        yield running.url
    finally:
        running.stop()


def too_wide(page: Page, width: int) -> list[str]:
    """Visible elements reaching past the viewport's right edge, and the page's own sideways scroll."""
    found = page.evaluate(
        """(width) => [...document.querySelectorAll('body *')].filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.right > width + 0.5;
        }).map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 40))""",
        width,
    )
    if page.evaluate("document.documentElement.scrollWidth") > width:
        found.append("the page scrolls sideways")
    return found


def broken_words(page: Page) -> list[str]:
    """Words of the page's main text that the browser split over two lines (a value wrapped mid-token)."""
    return page.evaluate(
        """() => {
            const broken = [];
            const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const re = /\\S+/g;
                for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
                    const range = document.createRange();
                    range.setStart(node, m.index);
                    range.setEnd(node, m.index + m[0].length);
                    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
                    if (tops.size > 1) broken.push(m[0]);
                }
            }
            return broken;
        }"""
    )


def top(page: Page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["y"]  # type: ignore[index]


def test_the_week_page_shows_phase_today_and_both_caps_before_scrolling(
    runner: Runtime, server: str, browser: Browser, tmp_path: Path
) -> None:
    units = runner.settings.profile.units
    for viewport in (PHONE, DESK):
        page = browser.new_page(viewport=viewport, device_scale_factor=2, is_mobile=viewport is PHONE)
        page.goto(server)
        page.screenshot(path=str(tmp_path / f"week-{viewport['width']}-{units}.png"), full_page=True)
        assert top(page, "#phase") < top(page, "#caps") < top(page, "#flags"), "phase and today, caps, flags"
        weekly = page.locator("#cap_weekly_distance")
        box = weekly.bounding_box()
        assert box is not None and box["y"] + box["height"] <= viewport["height"], "the weekly cap is on screen"
        longest = page.locator("#cap_next_run").bounding_box()
        assert longest is not None and longest["y"] + longest["height"] <= viewport["height"]
        assert " — " in weekly.inner_text() and " — " in page.locator("#cap_next_run").inner_text(), "reasons"
        end = runner.settings.today() + timedelta(days=6)
        assert f"Next 7 days, to {end:%a} {end.day} {end:%b}" in page.locator("#caps").inner_text()
        assert too_wide(page, viewport["width"]) == []
        page.close()


def test_the_pain_page_and_a_run_fit_a_phone_and_a_desk_in_either_unit(
    runner: Runtime, server: str, browser: Browser, tmp_path: Path
) -> None:
    """`/pain` and one run's page at 360 × 800 and 1280 × 800: nothing wider than the screen, no value broken
    mid-token, and the pain form's first score within reach without scrolling."""
    units = runner.settings.profile.units
    for viewport in (PHONE, DESK):
        page = browser.new_page(viewport=viewport, device_scale_factor=2, is_mobile=viewport is PHONE)
        page.goto(server + "activities")
        run = str(page.locator("a[href^='/activities/']").first.get_attribute("href")).lstrip("/")
        for path in ("pain", run):
            page.goto(server + path)
            name = path.replace("/", "-")
            page.screenshot(path=str(tmp_path / f"{name}-{viewport['width']}-{units}.png"), full_page=True)
            assert too_wide(page, viewport["width"]) == [], (path, viewport)
            assert broken_words(page) == [], (path, viewport)
        page.goto(server + "pain")
        assert top(page, "label.score") < viewport["height"], "the scores are on the first screen"
        page.close()


@pytest.mark.parametrize("runner", ["mi"], indirect=True)
def test_no_kilometre_or_metre_figure_on_a_page_of_a_runner_in_miles(
    runner: Runtime, server: str, browser: Browser
) -> None:
    page = browser.new_page(viewport=PHONE, is_mobile=True)
    page.goto(server + "activities")
    first = page.locator("a[href^='/activities/']").first.get_attribute("href")
    for path in ("", "activities", str(first).lstrip("/"), "pain", "rehab"):
        page.goto(server + path)
        assert broken_words(page) == [], f"/{path} wraps a value mid-token at 360 px"
        text = page.locator("main").inner_text()
        assert not KM_FIGURE.search(text), f"/{path}: {KM_FIGURE.search(text)!r} in {text[:2000]}"
        assert not METRE_FIGURE.search(text), f"/{path}: {METRE_FIGURE.search(text)!r} in {text[:2000]}"
        assert too_wide(page, PHONE["width"]) == [], path


def test_the_weekly_mail_on_a_phone_this_week_first_and_under_1500_px(
    runner: Runtime, browser: Browser, tmp_path: Path
) -> None:
    today = runner.settings.today()
    rendered = build_summary(runner, render_summary, week_just_ended(today), today)
    page = browser.new_page(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page.set_content(standalone_html(rendered))
    page.wait_for_function("document.images[0].complete")
    units = runner.settings.profile.units
    page.screenshot(path=str(tmp_path / f"mail-360-{units}.png"), full_page=True)
    title = page.locator("h1").inner_text()
    monday = date.fromisoformat(rendered.view.start.isoformat())
    assert title == f"Your knee, week of {monday:%a} {monday.day} {monday:%b}"
    assert top(page, "#this-week") < top(page, "#distance") < top(page, "img"), "this week, last week, the chart"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= MAIL_MAX_PX, f"the mail is {height} px tall at 360 px"
    assert too_wide(page, PHONE["width"]) == []
    if units == "mi":
        for text in (page.locator("body").inner_text(), rendered.text):
            body = text.split("Sources")[0]
            assert not KM_FIGURE.search(body), KM_FIGURE.search(body)
            assert not METRE_FIGURE.search(body), METRE_FIGURE.search(body)
