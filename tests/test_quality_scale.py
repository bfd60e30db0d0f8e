"""quality_scale.yaml says only what the code does."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[1]
COMPONENT = ROOT / "custom_components" / "mlwatch"
PLATFORMS = ("binary_sensor", "event", "image", "sensor")
# HA's exceptions that the UI shows; each raise must name its translation.
HA_ERRORS = {
    "ConfigEntryAuthFailed",
    "ConfigEntryError",
    "ConfigEntryNotReady",
    "FrameDroppedError",
    "HomeAssistantError",
    "ServiceValidationError",
    "UpdateFailed",
}


def _rules() -> dict[str, dict[str, str]]:
    rules = yaml.safe_load((COMPONENT / "quality_scale.yaml").read_text(encoding="utf-8"))["rules"]
    return {k: v if isinstance(v, dict) else {"status": v} for k, v in rules.items()}


def _source(name: str | None = None) -> str:
    paths = [COMPONENT / f"{name}.py"] if name else sorted(COMPONENT.rglob("*.py"))
    return "\n".join(p.read_text(encoding="utf-8") for p in paths)


def _manifest() -> dict[str, Any]:
    return json.loads((COMPONENT / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _untranslated_raises(root: Path = COMPONENT) -> list[str]:
    """HA errors constructed without a translation_key, as module:line."""
    return [
        f"{path.name}:{node.lineno}"
        for path in sorted(root.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in HA_ERRORS
        and not any(kw.arg == "translation_key" for kw in node.keywords)
    ]


def _pinned(requirement: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.\-+]*", requirement) is not None


def _runtime_requirements() -> list[str]:
    tree = ast.parse(_source("const"))
    for node in tree.body:
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == "RUNTIME_REQUIREMENTS"
            and node.value is not None
        ):
            return list(ast.literal_eval(node.value))
    return []


def _coverage_floor() -> float:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return float(pyproject["tool"]["coverage"]["report"]["fail_under"])


# What each rule marked done needs to be true of the code.
DONE_MEANS: dict[str, Callable[[], bool]] = {
    "brands": lambda: (
        (COMPONENT / "brand" / "icon.png").is_file()
        and (COMPONENT / "brand" / "logo.png").is_file()
    ),
    "integration-owner": lambda: bool(_manifest()["codeowners"]),
    "inject-websession": lambda: (
        "async_get_clientsession(hass)" in _source() and "ClientSession(" not in _source()
    ),
    "config-flow": lambda: _manifest().get("config_flow") is True,
    "unique-config-entry": lambda: "_abort_if_unique_id_configured()" in _source("config_flow"),
    "reauthentication-flow": lambda: "async def async_step_reauth" in _source("config_flow"),
    "reconfiguration-flow": lambda: "async def async_step_reconfigure" in _source("config_flow"),
    "runtime-data": lambda: "entry.runtime_data" in _source(),
    "has-entity-name": lambda: "_attr_has_entity_name = True" in _source("entity"),
    "parallel-updates": lambda: all("\nPARALLEL_UPDATES = " in _source(p) for p in PLATFORMS),
    "entity-disabled-by-default": lambda: "entity_registry_enabled_default=False" in _source(),
    "entity-category": lambda: "EntityCategory.DIAGNOSTIC" in _source(),
    "diagnostics": lambda: "async_get_config_entry_diagnostics" in _source("diagnostics"),
    "repair-issues": lambda: "ir.async_create_issue(" in _source(),
    "icon-translations": (COMPONENT / "icons.json").is_file,
    "exception-translations": lambda: _untranslated_raises() == [],
    "dependency-transparency": lambda: (
        all(map(_pinned, _manifest()["requirements"]))
        and bool(_runtime_requirements())
        and all(map(_pinned, _runtime_requirements()))
    ),
    "test-coverage": lambda: _coverage_floor() >= 95,  # the rule's own threshold
}


def test_statuses_are_known_and_nothing_is_left_to_do() -> None:
    rules = _rules()
    assert {r["status"] for r in rules.values()} <= {"done", "exempt"}
    assert [
        name for name, r in rules.items() if r["status"] == "exempt" and not r.get("comment")
    ] == []


@pytest.mark.parametrize("rule", sorted(DONE_MEANS))
def test_a_rule_marked_done_is_done(rule: str) -> None:
    assert _rules()[rule]["status"] == "done"
    assert DONE_MEANS[rule]()


def test_the_checks_can_tell_a_false_claim(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        'raise HomeAssistantError("boom")\n'
        'raise ServiceValidationError(translation_domain="mlwatch", translation_key="no_target")\n'
    )
    assert _untranslated_raises(tmp_path) == ["bad.py:1"]
    assert not _pinned("ai-edge-litert>=2.3")
    assert _pinned("opencv-python-headless==5.0.0.93")


def test_older_ha_showing_a_placeholder_icon_is_said() -> None:
    assert "placeholder" in _rules()["brands"]["comment"]


def test_every_action_and_entity_has_an_icon() -> None:
    from tests.translation_keys import used_keys

    icons = json.loads((COMPONENT / "icons.json").read_text())
    actions = yaml.safe_load((COMPONENT / "services.yaml").read_text())
    assert sorted(set(actions) - set(icons["services"])) == []
    entities = {
        (section.removeprefix("entity."), key)
        for section, key in used_keys()
        if section.startswith("entity.")
    }
    assert entities  # the scan found the entity classes
    missing = [(p, k) for p, k in sorted(entities) if k not in icons["entity"].get(p, {})]
    assert missing == []
