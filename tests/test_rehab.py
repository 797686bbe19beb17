"""The rehab log and its progression, the clinician's assessment, and `advisor routine`, through the real CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta

from scenarios import DEFAULTS, pain

from advisor.domain.advice.rehab import rehab_progress
from advisor.domain.risk.model import RehabSession
from advisor.domain.risk.pain import pain_events

M0 = date(2026, 3, 2)  # a Monday


def sessions(week: int, n: int, **kw) -> list[RehabSession]:
    """`n` strength sessions on Monday, Wednesday, Friday... of `week`."""
    return [RehabSession(day=M0 + timedelta(weeks=week, days=2 * i), **kw) for i in range(n)]


def progress(log, entries=(), as_of=None):
    as_of = as_of or M0 + timedelta(weeks=6, days=6)
    return rehab_progress(log, pain_events(list(entries), DEFAULTS), as_of, DEFAULTS)


def test_two_qualifying_weeks_earn_the_next_step_and_pain_drops_one():
    # Weeks 0-1 with 3 sessions each: step 2; weeks 2-3 likewise: step 3, the last step.
    log = [*sessions(0, 3), *sessions(1, 3), *sessions(2, 3), *sessions(3, 3)]
    assert progress(log, as_of=M0 + timedelta(weeks=1, days=6)).step == 2
    assert progress(log, as_of=M0 + timedelta(weeks=3, days=6)).step == 3
    # A week of only 2 sessions does not qualify and breaks the run of qualifying weeks.
    gap = [*sessions(0, 3), *sessions(1, 2), *sessions(2, 3)]
    assert progress(gap, as_of=M0 + timedelta(weeks=2, days=6)).step == 1
    # A pain event of 5/10 in week 4 drops a step; so does 3/10 during the routine itself.
    drop = [pain(M0 + timedelta(weeks=4, days=1), 5)]
    assert progress(log, drop, as_of=M0 + timedelta(weeks=4, days=6)).step == 2
    sore = [*log, RehabSession(day=M0 + timedelta(weeks=4), pain=3)]
    p = progress(sore, as_of=M0 + timedelta(weeks=4, days=6))
    assert p.step == 2 and "3/10 during the routine" in p.last_change
    # A pain event of 3/10 (under 5) does not drop, but the week with it does not qualify either.
    mild = [pain(M0 + timedelta(weeks=1, days=1), 3)]
    assert progress(log, mild, as_of=M0 + timedelta(weeks=1, days=6)).step == 1


def test_a_red_flag_drops_to_step_1_and_a_clearance_resumes_one_below():
    """PRODUCT.md: a red-flag report drops the progression to step 1; after a clearance it resumes one step below
    where it stood. Step 3 earned by week 3; swelling in week 4: step 1; cleared in week 5: step 2."""
    log = [*sessions(0, 3), *sessions(1, 3), *sessions(2, 3), *sessions(3, 3)]
    flag, clear = M0 + timedelta(weeks=4, days=1), M0 + timedelta(weeks=5, days=2)

    def at(day: date):
        return rehab_progress(log, [], day, DEFAULTS, [flag], [clear])

    assert at(M0 + timedelta(weeks=3, days=6)).step == 3
    dropped = at(M0 + timedelta(weeks=4, days=6))
    assert dropped.step == 1 and "red flag" in dropped.last_change
    resumed = at(M0 + timedelta(weeks=5, days=6))
    assert resumed.step == 2 and "clearance" in resumed.last_change


def test_this_weeks_sessions_against_the_targets():
    log = [RehabSession(day=M0, strength=True, mobility=True), RehabSession(day=M0 + timedelta(days=1), strength=False)]
    log.append(RehabSession(day=M0 + timedelta(days=1), strength=True, mobility=False))
    p = progress(log, as_of=M0 + timedelta(days=2))
    assert (p.strength_sessions_this_week, p.strength_target) == (2, 3)
    assert (p.mobility_days_this_week, p.mobility_target) == (2, 7)


def test_rehab_log_and_list_through_the_cli(cli) -> None:
    assert cli("rehab", "log", "--date", "2026-05-04").exit_code == 0  # both parts by default
    done = cli("rehab", "log", "--date", "2026-05-05", "--strength", "--band", "--pain", "3")
    assert done.exit_code == 0 and "hurt more than 2/10" in done.stdout
    listed = json.loads(cli("rehab", "list", "--json").stdout)["rehab"]
    assert [(r["date"], r["strength"], r["mobility"], r["band"], r["pain"]) for r in listed] == [
        ("2026-05-04", True, True, False, None),
        ("2026-05-05", True, False, True, 3),
    ]
    report = json.loads(cli("status", "--as-of", "2026-05-06", "--json").stdout)
    assert report["rehab_progress"]["strength_sessions_this_week"] == 2
    assert report["rehab_progress"]["mobility_days_this_week"] == 1
    for bad in (("--pain", "11"), ("--date", "2099-01-01")):
        result = cli("rehab", "log", *bad)
        assert result.exit_code == 2 and result.stderr.startswith("advisor: ")
    assert len(json.loads(cli("rehab", "list", "--json").stdout)["rehab"]) == 2  # nothing stored by a bad call


def test_pain_assessed_needs_a_decision_and_ends_a_pause(cli) -> None:
    assert cli("pain", "assessed").exit_code == 2
    cli("pain", "log", "--score", "2", "--date", "2026-05-04", "--swelling")
    paused = json.loads(cli("status", "--as-of", "2026-05-05", "--json").stdout)
    assert paused["paused"] is True and paused["advice"][0]["numbers"]["urgent"] is True
    waiting = cli("pain", "assessed", "--not-cleared", "--date", "2026-05-06", "--note", "scan booked")
    assert waiting.exit_code == 0 and "stays paused" in waiting.stdout
    report = json.loads(cli("status", "--as-of", "2026-05-07", "--json").stdout)
    assert report["paused"] is True and report["advice"][0]["numbers"]["reasons"] == "awaiting_clearance"
    assert cli("pain", "assessed", "--cleared", "--date", "2026-05-08").exit_code == 0
    cleared = json.loads(cli("status", "--as-of", "2026-05-08", "--json").stdout)
    assert cleared["paused"] is False and "red_flag" not in [f["code"] for f in cleared["flags"]]


def test_routine_prints_every_move_and_the_progression_steps(cli) -> None:
    page = cli("routine").stdout
    for expected in (
        "Clamshell",
        "Straight leg raise",
        "Figure-four",
        "Step 1",
        "wall sit",
        "Step 2",
        "band",
        "Step 3",
        "Partial squat",
        "Step-down",
        "why:",
    ):
        assert expected in page, expected
