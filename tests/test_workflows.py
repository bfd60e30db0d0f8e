"""The GitHub workflows run hassfest, HACS and `.ci/run`, and nothing CI does lives only there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"


def _workflow(name: str) -> dict[str, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_validate_runs_hassfest_and_hacs_on_every_change() -> None:
    workflow = _workflow("validate.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    uses = [step.get("uses") for step in _steps(workflow)]
    assert "home-assistant/actions/hassfest@master" in uses
    assert "hacs/action@main" in uses
    hacs = next(step for step in _steps(workflow) if step.get("uses") == "hacs/action@main")
    # No `ignore:` the brand images are in the integration now.
    assert hacs["with"] == {"category": "integration"}


def test_ci_runs_dot_ci_run_and_only_it() -> None:
    workflow = _workflow("ci.yml")
    assert {"push", "pull_request"} <= set(workflow["on"])
    (job,) = workflow["jobs"].values()
    # scripts/in-forky needs root with mount and chroot; scripts/test installs Debian's chromium.
    assert job["container"]["image"].startswith("debian:")
    assert "--privileged" in job["container"]["options"]
    runs = [step["run"].strip() for step in job["steps"] if "run" in step]
    assert runs[-1] == "bash .ci/run"
    # Anything else is host packages; the checks themselves stay in .ci/run and scripts/.
    assert all(r.startswith("apt-get") for r in runs[:-1])
    assert (ROOT / ".ci" / "run").is_file()


def test_the_ci_host_has_what_the_scripts_call() -> None:
    (job,) = _workflow("ci.yml")["jobs"].values()
    packages = " ".join(step["run"] for step in job["steps"] if "run" in step).split()
    for needed in ("git", "python3-venv", "debootstrap", "ca-certificates"):
        assert needed in packages, needed
