"""What hacs.json and the README claim about Home Assistant versions is what CI runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).parents[1]


def ci_versions() -> dict[str, str]:
    """Each scripts/setup profile's Home Assistant version ('' is the default, oldest one)."""
    setup = (REPO / "scripts" / "setup").read_text()
    default = re.search(r"^profile=\S+ ha=(\S+) ", setup, re.MULTILINE)
    assert default is not None
    versions = {"": default[1]}
    versions |= dict(re.findall(r"^\s+(--[a-z-]+)\) profile=\S+ ha=(\S+) ", setup, re.MULTILINE))
    return versions


def test_ci_runs_the_oldest_newest_and_live_releases() -> None:
    assert set(ci_versions()) == {"", "--newest-ha", "--live-ha"}
    test = (REPO / "scripts" / "test").read_text()
    assert "scripts/setup --live-ha" in test
    assert "scripts/test --newest-ha" in (REPO / ".ci" / "run").read_text()


def test_hacs_minimum_is_the_oldest_release_ci_tests() -> None:
    hacs = json.loads((REPO / "hacs.json").read_text())
    assert hacs["homeassistant"] == ci_versions()[""]


def test_readme_names_every_release_ci_tests() -> None:
    line = next(
        line for line in (REPO / "README.md").read_text().splitlines() if "tested with" in line
    )
    versions = ci_versions()
    assert f"Home Assistant {versions['']} and newer" in line
    for version in versions.values():
        assert version in line
    for constraints in (REPO / "requirements").glob("constraints-ha*.txt"):
        assert constraints.stem.removeprefix("constraints-ha") in line
