"""Where each rule comes from, one line each: shown beside every flag and advice item (PRODUCT.md tables).

Kept as data in one place so the wording of a citation is edited once, and a test can check that every code the
engine emits has its source.
"""

from __future__ import annotations

from advisor.domain.risk.model import Flag, Number, Severity

FLAG_SOURCES: dict[str, str] = {
    "session_spike": (
        "Frandsen, Nielsen et al., BJSM 2025;59:1203 — 5,205 runners, 588,071 sessions: a run 10-30 %, 30-100 % "
        "or > 100 % longer than the longest of the previous 30 days had injury hazard ratios 1.64 / 1.52 / 2.28"
    ),
    "weekly_spike": (
        "Gabbett 2016 acute:chronic workload ratio, EWMA form (Williams 2017); weak evidence: Impellizzeri 2021, "
        "and Frandsen 2025 found no association for runners"
    ),
    "downhill_spike": (
        "Gottschall & Kram 2005: running at -9° raises impact and braking forces by 54 % and 73 %; the bent knee "
        "absorbs more"
    ),
    "steep_downhill": (
        "Gottschall & Kram 2005: impact and braking forces rise with the downhill grade (+54 % / +73 % at -9°)"
    ),
    "stairs_spike": "Costigan 2002: stair descent loads the patellofemoral joint far more than level walking",
    "over_pain_threshold": "Pain-monitoring model (Silbernagel 2007): keep load below what provokes pain",
    "pain_reported": (
        "TREK runner rules (La Trobe): pain ≤ 2/10 while running, settled within 60 min, no worse the next morning"
    ),
    "pain_not_improving": "Crossley 2016 patellofemoral pain consensus: pain not improving over weeks needs assessment",
    "red_flag": "Swelling, locking, giving way or pain at rest are not patellofemoral pain: refer (Crossley 2016)",
    "low_cadence": "Lenhart 2014: +10 % step rate lowered peak patellofemoral force by 14 %",
}

ADVICE_SOURCES: dict[str, str] = {
    "see_clinician": (
        "Crossley 2016 consensus; red flags (swelling, locking, giving way, rest pain) need assessment before running"
    ),
    "phase": (
        "Phases of a physio's plan: settle the flare, graded return, then build (Crossley 2016; Silbernagel 2007 "
        "pain-monitoring model; TREK runner rules, La Trobe)"
    ),
    "today": "TREK runner rules (La Trobe): no back-to-back hard days; a rest or cross-training day after pain",
    "cap_weekly_distance": (
        "Pain-monitoring model (Silbernagel 2007); progress by at most 10 % a week, earned by the knee's 24-hour "
        "response"
    ),
    "cap_next_run": (
        "Frandsen, Nielsen et al., BJSM 2025: keep each run within 10 % of the longest run of the last 30 days"
    ),
    "cross_train": (
        "Load management (Crossley 2016; Willy 2019 CPG): swimming, deep-water running and the elliptical keep "
        "fitness with less patellofemoral load"
    ),
    "rest_day": "TREK runner rules (La Trobe) and the pain-monitoring model (Silbernagel 2007)",
    "avoid_downhill_stairs": "Gottschall & Kram 2005 (downhill forces); Costigan 2002 (stairs)",
    "raise_cadence": "Lenhart 2014 (-14 % peak patellofemoral force at +10 % step rate); Heiderscheit 2011",
    "rehab_routine": (
        "Hip and knee strengthening plus stretching: Crossley 2016 consensus, Collins 2018, Willy 2019 clinical "
        "practice guideline"
    ),
    "footwear": "Willy 2019 clinical practice guideline: prefabricated foot orthoses for short-term pain relief",
    "return_to_run": (
        "Graded return guided by the pain-monitoring model (Silbernagel 2007): half volume, every other day, "
        "+10 % per tolerated week"
    ),
}


def make_flag(code: str, severity: Severity, message: str, evidence: dict[str, Number]) -> Flag:
    """A flag with its source attached, so no rule can emit a flag without one."""
    return Flag(code=code, severity=severity, message=message, evidence=evidence, source=FLAG_SOURCES[code])
