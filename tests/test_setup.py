"""The README's test command is the one CI runs."""

from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_ci_runs_the_readme_test_command():
    ci_command = ROOT.joinpath(".ci/run").read_text().strip().splitlines()[-1]
    assert f"```\n{ci_command}\n```" in ROOT.joinpath("README.md").read_text()
