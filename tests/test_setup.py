"""The README's test command is the one CI runs; the wheel carries the licences."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_ci_runs_the_readme_test_command():
    (ci_command,) = [line for line in ROOT.joinpath(".ci/run").read_text().splitlines() if "-m pytest" in line]
    assert f"```\n{ci_command}\n```" in ROOT.joinpath("README.md").read_text()


@pytest.mark.slow
def test_the_wheel_ships_the_licence_and_the_tokenizer_with_its_licence_and_notice(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("aitelephone-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "engine/providers/offline/data"
    assert {f"{data}/minilm-tokenizer.json", f"{data}/LICENSE-minilm-tokenizer.txt"} <= names
    assert f"{data}/NOTICE-minilm-tokenizer.txt" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert "MIT License" in ROOT.joinpath("LICENSE").read_text()
    assert "Apache License" in ROOT.joinpath(data, "LICENSE-minilm-tokenizer.txt").read_text()
