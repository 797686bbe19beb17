"""Advice from the knee-risk findings, the rehab routine (data in rehab.toml) and the report entry point `assess`."""

from advisor.domain.advice.advice import ADVICE_ORDER, Advice, Caps
from advisor.domain.advice.rehab import RehabRoutine, rehab_routine
from advisor.domain.advice.report import DISCLAIMER, KneeReport, assess

__all__ = ["ADVICE_ORDER", "DISCLAIMER", "Advice", "Caps", "KneeReport", "RehabRoutine", "assess", "rehab_routine"]
