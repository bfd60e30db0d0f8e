"""Translations shipped for custom integrations must match strings.json."""

from __future__ import annotations

import json
from pathlib import Path

COMPONENT = Path(__file__).parent.parent / "custom_components" / "mlwatch"


def test_english_translation_is_strings_json() -> None:
    strings = json.loads((COMPONENT / "strings.json").read_text(encoding="utf-8"))
    english = json.loads((COMPONENT / "translations" / "en.json").read_text(encoding="utf-8"))
    assert english == strings
