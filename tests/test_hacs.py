"""What the HACS action checks in the repository itself (the rest is GitHub settings)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_licence_is_the_apache_licence_pyproject_names() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    words = text.split()
    assert words[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in text
    assert "Copyright 2026 The mlwatch authors" in text
    assert "[yyyy]" not in text
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "Apache-2.0"


def test_hacs_json_names_the_integration_and_the_oldest_ha() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert set(hacs) <= {"name", "homeassistant", "render_readme", "content_in_root", "zip_release"}
    assert hacs["name"]
    assert not hacs.get("content_in_root")
    # One integration in custom_components/, as HACS expects for the category.
    assert [
        p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir() and p.name[0] != "_"
    ] == ["mlwatch"]


def test_the_readme_hacs_renders_exists() -> None:
    assert (ROOT / "README.md").read_text(encoding="utf-8").startswith("# mlwatch")
