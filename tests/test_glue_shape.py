"""The HA glue's shape: who may import whom, one error map, one kept-item builder."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from homeassistant.config_entries import ConfigEntryAuthFailed
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch import backend, core
from custom_components.mlwatch.const import DOMAIN
from custom_components.mlwatch.core import errors as core_errors
from custom_components.mlwatch.core.errors import MlwatchError
from custom_components.mlwatch.errors import translated
from custom_components.mlwatch.feedback import async_get_dataset
from tests import FakeCamera
from tests.const import CAMERA

COMPONENT = Path(core.__file__).parents[1]
STRINGS = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))


def _imports(module: str) -> set[str]:
    """The package modules `module` imports, lazily or not, as dotted names under the package."""
    tree = ast.parse((COMPONENT / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found |= {node.module} if node.module else {a.name for a in node.names}
    return found


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("review", {"coordinator", "scheduler", "announce"}),
        ("coordinator", {"remote", "remote_flow", "local_flow"}),
        ("scheduler", {"coordinator", "review", "announce"}),
        ("announce", {"coordinator", "scheduler"}),
        ("snapshot", {"coordinator"}),
    ],
)
def test_no_module_reaches_back_up(module: str, forbidden: set[str]) -> None:
    assert not _imports(module) & forbidden


def test_no_test_module_imports_another() -> None:
    # tests/__init__.py and the helper modules beside it are what test modules share.
    tests = Path(__file__).parent
    bad = []
    for path in sorted(tests.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            ours = isinstance(node, ast.ImportFrom) and node.level > 0  # a relative import
            mine = [n for n in names if ours or n.startswith("tests.")]
            bad += [f"{path.name}: {n}" for n in mine if n.rpartition(".")[2].startswith("test_")]
    assert bad == []


def test_the_architecture_page_names_every_module() -> None:
    page = (COMPONENT.parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = [p.name for p in (*COMPONENT.glob("*.py"), *COMPONENT.glob("core/*.py"))]
    assert [m for m in modules if m != "__init__.py" and f"{m}`" not in page] == []


def test_the_coordinator_names_no_concrete_backend() -> None:
    source = (COMPONENT / "coordinator.py").read_text(encoding="utf-8")
    assert "LocalBackend" not in source


def _errors() -> list[type[MlwatchError]]:
    found = [
        obj
        for mod in (core_errors, backend)
        for obj in vars(mod).values()
        if isinstance(obj, type) and issubclass(obj, MlwatchError) and obj is not MlwatchError
    ]
    assert len(found) > 10  # both modules were read
    return found


@pytest.mark.parametrize("kind", _errors(), ids=lambda k: k.__name__)
def test_each_error_translates_under_its_own_key(kind: type[MlwatchError]) -> None:
    err = translated(ConfigEntryAuthFailed, kind("what went wrong"), {"camera": CAMERA})
    assert isinstance(err, ConfigEntryAuthFailed)
    assert err.translation_domain == DOMAIN
    assert err.translation_key == kind.key
    assert err.translation_placeholders == {"camera": CAMERA, "error": "what went wrong"}
    assert kind.key in STRINGS["exceptions"]


def test_a_key_given_wins_and_a_foreign_error_keeps_its_message() -> None:
    err = translated(HomeAssistantError, OSError("disk"), key="camera_error")
    assert (err.translation_key, err.translation_placeholders) == (
        "camera_error",
        {"error": "disk"},
    )
    assert translated(HomeAssistantError, OSError("disk")).translation_key == MlwatchError.key


async def test_a_frame_filed_by_hand_keeps_the_watched_labels_scores(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    # The coffee photo: "cat" is far outside the top 5, but its score is what a trainer needs.
    await hass.services.async_call(
        DOMAIN,
        "review_frame",
        {"camera": CAMERA, "label": "cat", "verdict": "rejected"},
        blocking=True,
        return_response=True,
    )
    store = await async_get_dataset(hass)
    (row,) = await hass.async_add_executor_job(store.rows, CAMERA)
    assert "cat" in json.loads(row["scores"])
