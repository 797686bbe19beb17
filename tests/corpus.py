"""Locate the shared sample FIT corpus (real files from other decoders' test suites) and read its INDEX.tsv.

The corpus is not part of the repository: tests read it in place from `$ADVISOR_FIT_CORPUS`, else from
`../shared/fit-samples` next to the project root, and skip with `requires_corpus` when neither exists, so a fresh
clone's suite still runs on the files `tests/fitgen.py` writes.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path | None:
    """The corpus directory (one holding INDEX.tsv), or None when it is not available."""
    configured = os.environ.get("ADVISOR_FIT_CORPUS")
    candidate = Path(configured) if configured else PROJECT_ROOT.parent / "shared" / "fit-samples"
    return candidate if (candidate / "INDEX.tsv").is_file() else None


def corpus_rows() -> list[dict[str, str]]:
    """INDEX.tsv rows as dicts keyed by its header (file, sport, n_record, fitparse_status, ...); [] without it."""
    root = corpus_dir()
    if root is None:
        return []
    with (root / "INDEX.tsv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def corpus_file(row: dict[str, str]) -> Path:
    """The path of an INDEX row's file (requires the corpus)."""
    root = corpus_dir()
    assert root is not None, "corpus not available"
    return root / row["file"]


NO_CORPUS = "FIT sample corpus not found: set ADVISOR_FIT_CORPUS or provide ../shared/fit-samples/INDEX.tsv"
requires_corpus = pytest.mark.skipif(corpus_dir() is None, reason=NO_CORPUS)
