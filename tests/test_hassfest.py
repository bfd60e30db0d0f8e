"""What hassfest's GitHub action checks on every manifest.json in the repository, mirrored."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from awesomeversion import AwesomeVersion, AwesomeVersionException, AwesomeVersionStrategy
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from custom_components.mlwatch.const import DOMAIN

ROOT = Path(__file__).parents[1]
COMPONENT = ROOT / "custom_components" / "mlwatch"
# hassfest's services check: registering a service obliges a services.yaml.
RE_REGISTERS = re.compile(
    r"(hass\.services\.(register|async_register))|async_register_entity_service"
    r"|async_register_admin_service"
)
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]


def tracked_manifests() -> list[Path]:
    """What the action's `**/manifest.json` (bash globstar, no dotglob) finds in the checkout."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # .venv, .cache: not in a checkout
        found += [Path(folder) / f for f in files if f == "manifest.json"]
    return sorted(found)


def _valid_version(version: object) -> bool:
    if not isinstance(version, str) or not version:
        return False
    try:
        AwesomeVersion(version, ensure_strategy=VERSION_STRATEGIES)
    except AwesomeVersionException:
        return False
    return True


def manifest_problems(folder: Path) -> list[str]:
    """What hassfest's manifest and services checks reject for one integration folder."""
    manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    problems = [f"missing {k}" for k in ("domain", "name", "documentation") if k not in manifest]
    if manifest.get("domain") != folder.name:
        problems.append("domain does not match the folder name")
    if not isinstance(manifest.get("codeowners"), list):
        problems.append("codeowners is not a list")
    if manifest.get("iot_class") not in IOT_CLASSES:
        problems.append("missing or unknown iot_class")
    if manifest.get("integration_type", "hub") not in INTEGRATION_TYPES:
        problems.append("unknown integration_type")
    if not str(manifest.get("documentation", "")).startswith("https://"):
        problems.append("documentation is not an https URL")
    if not _valid_version(manifest.get("version")):
        problems.append("no valid version (custom integrations need one)")
    keys = list(manifest)
    if keys[:2] != ["domain", "name"] or keys[2:] != sorted(keys[2:]):
        problems.append("keys not sorted: domain, name, then alphabetical")
    registers = any(
        RE_REGISTERS.search(p.read_text(encoding="utf-8")) for p in folder.rglob("*.py")
    )
    if registers and not (folder / "services.yaml").is_file():
        problems.append("registers services but has no services.yaml")
    return problems


def test_the_integration_is_the_only_manifest_in_the_tree() -> None:
    # Test fixtures (the loop-lag probe) are written into a temporary HA config instead.
    assert tracked_manifests() == [COMPONENT / "manifest.json"]


@pytest.mark.parametrize("manifest", tracked_manifests(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_manifest_passes_hassfest(manifest: Path) -> None:
    assert manifest_problems(manifest.parent) == []


def test_the_checks_reject_the_old_loop_lag_fixture(tmp_path: Path) -> None:
    probe = tmp_path / "looplag"
    probe.mkdir()
    (probe / "__init__.py").write_text(
        (ROOT / "tests" / "e2e" / "looplag_probe.py").read_text(encoding="utf-8")
    )
    manifest = {"domain": "looplag", "name": "x", "codeowners": [], "documentation": "https://x"}
    (probe / "manifest.json").write_text(json.dumps({**manifest, "version": "0.0.1"}))
    assert manifest_problems(probe) == [
        "missing or unknown iot_class",
        "registers services but has no services.yaml",
    ]


def test_codeowners_are_github_handles() -> None:
    manifest = json.loads((COMPONENT / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["codeowners"]
    assert all(re.fullmatch(r"@[A-Za-z0-9-]+(/[A-Za-z0-9-]+)?", o) for o in manifest["codeowners"])


async def test_services_yaml_describes_every_registered_service(hass: HomeAssistant) -> None:
    described = yaml.safe_load((COMPONENT / "services.yaml").read_text(encoding="utf-8"))
    assert await async_setup_component(hass, DOMAIN, {})
    registered = set(hass.services.async_services_for_domain(DOMAIN))
    assert {"classify", "scan", "export_dataset"} <= registered
    assert registered == set(described)
