"""The README's first command is what a new runner pastes: it must show `status` even when one file fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from fitgen import write_activity

README = Path(__file__).parents[1] / "README.md"


def first_command() -> str:
    block = re.search(r"```sh\n(.*?)\n```", README.read_text(), re.S)
    assert block is not None
    return block.group(1).strip()


def test_first_command_shows_status_when_one_file_of_the_folder_fails(tmp_path: Path) -> None:
    command = first_command()
    _install, sep, run = command.partition("-e . && ")
    assert sep, "the README's first command installs, then imports and shows the status"
    assert "advisor import PATH..." in run and "advisor status" in run
    folder = tmp_path / "runs"
    folder.mkdir()
    write_activity(folder / "good.fit")
    (folder / "broken.fit").write_bytes(write_activity(None)[:200])
    advisor = f"{sys.executable} -m advisor"
    script = run.replace(".venv/bin/advisor", advisor).replace("PATH...", str(folder))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")} | {"ADVISOR_HOME": str(tmp_path / "h")}
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert "1 failed" in done.stdout + done.stderr  # the import did fail for one file...
    assert "Knee report for" in done.stdout  # ...and the status still came
