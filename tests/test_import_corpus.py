"""Every real sample file goes through `advisor import` and ends imported, duplicate, skipped or failed — never a
traceback — and INDEX.tsv's own description of each file says which."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from corpus import corpus_dir, corpus_rows

pytestmark = pytest.mark.skipif(
    corpus_dir() is None,
    reason="FIT sample corpus not found: set ADVISOR_FIT_CORPUS or provide ../shared/fit-samples/INDEX.tsv",
)

BROKEN_ON_PURPOSE = {
    "python-fitparse/activity-activity-filecrc.fit": "bad CRC",
    "python-fitparse/activity-filecrc.fit": "bad CRC",
    "python-fitparse/activity-settings-corruptheader.fit": "corrupt header",
    "python-fitparse/activity-settings-nodata.fit": "truncated",
    "python-fitparse/activity-unexpected-eof.fit": "truncated",
    "python-fitparse/nick.fit": "truncated",
    "python-fitparse/strava-android-app-201.10-b1218918.fit": "invalid local message type",
}
EMPTY_ACTIVITIES = {
    # An SDK example of developer fields: three records without a timestamp and no session, so there is no run
    # to place in time. It is skipped with that reason rather than stored as a zero-length activity.
    "python-fitparse/DeveloperData.fit",
}


@pytest.fixture(scope="module")
def corpus_import(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The whole corpus imported once into SQLite through the real command; results keyed by corpus path."""
    from typer.testing import CliRunner

    from advisor.cli import cli_app

    app = cli_app()

    home = tmp_path_factory.mktemp("corpus-home")
    root = corpus_dir()
    assert root is not None
    result = CliRunner().invoke(
        app, ["import", str(root), "--json"], env={"ADVISOR_HOME": str(home)}, catch_exceptions=False
    )
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    return {str(Path(f["name"]).relative_to(root)): f for f in document["files"]}


def test_every_indexed_file_has_a_result(corpus_import: dict[str, dict]) -> None:
    indexed = {row["file"] for row in corpus_rows()}
    assert indexed <= set(corpus_import)
    others = {name: corpus_import[name] for name in set(corpus_import) - indexed}
    assert "INDEX.tsv" in others  # the corpus's own documents are listed, as any non-activity file in a folder
    assert all(f["status"] == "skipped" and f["detail"] == "not an activity file" for f in others.values()), others


@pytest.mark.parametrize("row", corpus_rows() if corpus_dir() else [], ids=lambda r: r["file"])
def test_file_ends_as_its_index_row_says(row: dict[str, str], corpus_import: dict[str, dict]) -> None:
    result = corpus_import[row["file"]]
    file_type = row["file_type"]
    if row["file"] in BROKEN_ON_PURPOSE:
        assert result["status"] == "failed"
        assert BROKEN_ON_PURPOSE[row["file"]] in result["detail"]
        assert "\n" not in result["detail"] and "Traceback" not in result["detail"]
    elif row["file"] in EMPTY_ACTIVITIES:
        assert result["status"] == "skipped" and "nothing to measure" in result["detail"]
    elif not file_type.startswith("activity"):
        assert result["status"] == "skipped"
        assert file_type in result["detail"]
    else:
        assert result["status"] in ("imported", "duplicate"), result
        if result["status"] == "duplicate":
            # Two files of one activity (the same ride on two devices, or a chained copy): the first one stored wins.
            assert "same activity as" in result["detail"] or "same content" in result["detail"]


def test_duplicates_in_the_corpus_are_really_the_same_activity(corpus_import: dict[str, dict], cli) -> None:
    """Each file reported as a duplicate is a readable activity that imports on its own into an empty database: it
    was set aside only because the corpus holds another copy of that activity, not because it could not be read."""
    root = corpus_dir()
    duplicates = [name for name, r in corpus_import.items() if r["status"] == "duplicate"]
    for name in duplicates:
        result = cli("import", str(root / name), "--json")
        assert result.exit_code == 0
        assert json.loads(result.stdout)["files"][0]["status"] == "imported"


def test_garmin_style_zip_of_the_corpus_gives_the_same_results(tmp_path: Path, cli) -> None:
    """The same files inside a zip inside a zip (Garmin's bulk export layout) end the same way."""
    root = corpus_dir()
    assert root is not None
    rows = [row for row in corpus_rows() if int(row["size"]) < 100_000]  # the small ones keep this test quick
    inner = tmp_path / "UploadedFiles_0-_Part1.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        for row in rows:
            archive.write(root / row["file"], row["file"].replace("/", "_"))
    outer = tmp_path / "export.zip"
    with zipfile.ZipFile(outer, "w") as archive:
        archive.write(inner, "DI_CONNECT/DI-Connect-Uploaded-Files/" + inner.name)
        archive.writestr("DI_CONNECT/DI-Connect-Fitness/summary.json", "{}")
    result = cli("import", str(outer), "--json")
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert len(document["files"]) == len(rows)
    failed = {f["name"].rsplit("!", 1)[1] for f in document["files"] if f["status"] == "failed"}
    assert failed == {row["file"].replace("/", "_") for row in rows if row["file"] in BROKEN_ON_PURPOSE}
