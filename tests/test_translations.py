"""Translation files: what hassfest checks on them, and that every key the code uses exists."""

from __future__ import annotations

import copy
import json
import re
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.helpers import config_validation as cv

from custom_components.mlwatch.validation import vol
from tests.translation_keys import COMPONENT, missing_keys, used_keys

STRINGS = COMPONENT / "strings.json"
ENGLISH = COMPONENT / "translations" / "en.json"

# The other value checks of hassfest's translations.py (script/hassfest in HA core); its HTML
# check is `cv.string_with_no_html`, imported above so that it cannot drift from HA's.
RE_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
# Sections whose keys hassfest checks with its translation-key rule.
KEYED_SECTIONS = ("entity", "selector", "services", "exceptions", "issues")


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _leaves(tree: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from _leaves(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def hassfest_problems(value: str) -> list[str]:
    """What hassfest's translation_value_validator would reject in one string."""
    problems = []
    try:
        cv.string_with_no_html(value)
    except vol.Invalid:
        problems.append("HTML")
    if RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(value):
        problems.append("placeholder in single quotes")
    if any(f and not f.isidentifier() for _, f, _, _ in string.Formatter().parse(value)):
        problems.append("placeholder that is not an identifier")
    if RE_COMBINED_REFERENCE.search(value):
        problems.append("combined reference")
    if value != value.strip():
        problems.append("leading or trailing space")
    if RE_URL.search(value):
        problems.append("URL")
    return problems


def test_english_translation_is_strings_json() -> None:
    assert _load(ENGLISH) == _load(STRINGS)


@pytest.mark.parametrize("path", [STRINGS, ENGLISH], ids=["strings.json", "en.json"])
def test_strings_pass_hassfest_value_checks(path: Path) -> None:
    bad = {key: p for key, value in _leaves(_load(path)) if (p := hassfest_problems(value))}
    assert bad == {}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("Inside <config>/mlwatch", "HTML"),
        ("The model (/v1/vision/custom/<name>)", "HTML"),
        ("Open 'x {camera}' now", None),
        ("Open '{camera}' now", "placeholder in single quotes"),
        ("See https://example.com/docs", "URL"),
        ("For example http://192.168.1.20:8780", None),
        (" padded", "leading or trailing space"),
        ("{not-an-identifier}", "placeholder that is not an identifier"),
        ("a < b and 2 > 1", None),
    ],
)
def test_hassfest_value_checks_catch_what_hassfest_rejects(value: str, problem: str | None) -> None:
    assert hassfest_problems(value) == ([problem] if problem else [])


def test_keys_are_hassfest_translation_keys() -> None:
    strings = _load(STRINGS)
    bad = []
    for section in KEYED_SECTIONS:
        for path, _ in _leaves(strings.get(section, {})):
            # `state_attributes.event_type` etc. are HA's own attribute names, not our keys.
            parts = [p for p in path.split(".") if p not in {"state_attributes", "event_type"}]
            bad += [path for p in parts if not RE_TRANSLATION_KEY.match(p)]
    assert bad == []


def test_every_data_description_describes_a_field() -> None:
    # hassfest: "data_description key ... is not in data".
    strings = _load(STRINGS)
    steps = {**strings["config"]["step"], **strings["options"]["step"]}
    bad = {
        step: sorted(set(info.get("data_description", {})) - set(info.get("data", {})))
        for step, info in steps.items()
    }
    assert {step: keys for step, keys in bad.items() if keys} == {}


def test_every_translation_key_used_in_code_exists() -> None:
    assert missing_keys(_load(STRINGS)) == []


def test_the_key_scan_sees_the_code() -> None:
    used = used_keys()
    # One of each kind the scan must find, so an empty scan cannot pass the test above.
    for expected in [
        ("config.error", "server_busy"),
        ("config.error", "invalid_url"),
        ("config.error", "cannot_read_camera"),
        ("config.abort", "already_configured"),
        ("config.abort", "reauth_successful"),
        ("issues.better_threshold.fix_flow.abort", "entry_removed"),
        ("options.error", "k_above_n"),
        ("exceptions", "no_target"),
        ("exceptions", "server_busy"),
        ("exceptions", "unknown_detection"),
        ("issues", "edgetpu_missing"),
        ("issues", "disk_full"),
        ("selector", "device"),
        ("entity.sensor", "top_label"),
        ("entity.binary_sensor", "watched"),
        ("entity.event", "detection"),
        ("entity.image", "detection_image"),
        ("services", "export_dataset"),
        ("services.export_dataset.fields", "path"),
    ]:
        assert expected in used, expected


@pytest.mark.parametrize(
    "path",
    [
        "config.error.server_busy",
        "config.error.invalid_url",
        "config.abort.already_configured",
        "options.error.k_above_n",
        "exceptions.no_target",
        "exceptions.invalid_image",
        "issues.disk_full",
        "selector.device",
        "entity.sensor.top_label",
        "services.scan",
        "services.review_frame.fields.verdict",
    ],
)
def test_a_missing_key_is_reported(path: str) -> None:
    broken = copy.deepcopy(_load(STRINGS))
    *parents, leaf = path.split(".")
    node = broken
    for part in parents:
        node = node[part]
    del node[leaf]
    section, _, key = path.rpartition(".")
    assert any(m.startswith(f"{section}: {key} ") for m in missing_keys(broken)), path
