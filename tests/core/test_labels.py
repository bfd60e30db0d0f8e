"""Label files, their alignment to outputs, and label groups."""

from __future__ import annotations

from pathlib import Path

import pytest

from custom_components.mlwatch.core.errors import ModelError
from custom_components.mlwatch.core.labels import (
    LabelGroup,
    align,
    imagenet_groups,
    load_labels,
    parse_labels,
    resolve_groups,
    valid_label_name,
)
from devtools import DEFAULT_LABELS


def test_one_label_per_line() -> None:
    assert parse_labels("cat\ndog\n\n") == {0: "cat", 1: "dog"}


@pytest.mark.parametrize(
    "text", ["0 person\n2 car\n", "0  person\n2\tcar", "0: person\n2: car", "0,person\n2,car"]
)
def test_indexed_labels_keep_their_gaps(text: str) -> None:
    assert parse_labels(text) == {0: "person", 2: "car"}


def test_label_names_may_contain_digits_and_spaces() -> None:
    assert parse_labels("3D printer\ntiger cat") == {0: "3D printer", 1: "tiger cat"}


def test_align_exact_background_added_and_background_dropped() -> None:
    labels = {0: "cat", 1: "dog"}
    assert align(labels, 2) == ["cat", "dog"]
    assert align(labels, 3) == ["background", "cat", "dog"]  # 1001-style model, 1000-line file
    assert align({0: "background", 1: "cat", 2: "dog"}, 2) == ["cat", "dog"]
    assert align({0: "a", 2: "c"}, 3) == ["a", "class 1", "c"]


def test_align_mismatch_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="has 2 labels but the model outputs 5 scores"):
        align({0: "cat", 1: "dog"}, 5)


def test_default_labels_and_their_groups() -> None:
    names = align(load_labels(DEFAULT_LABELS), 1000)
    assert names[924] == "guacamole"
    groups = {g.name: g.members for g in imagenet_groups(names)}
    assert groups["cat"] == ("tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat")
    assert len(groups["dog"]) == 118
    assert groups["dog"][0] == "Chihuahua"
    assert groups["dog"][-1] == "Mexican hairless"
    assert set(groups["package"]) == {"carton", "envelope", "mailbag", "packet"}
    # With a background row the same classes sit one further along.
    shifted = {g.name: g.members for g in imagenet_groups(["background", *names])}
    assert shifted == groups
    assert imagenet_groups(["a", "b"]) == []


def test_groups_resolve_to_indices_and_drop_unknown_members() -> None:
    groups = [LabelGroup("pets", ("cat", "dog", "unicorn")), LabelGroup("none", ("unicorn",))]
    assert resolve_groups(groups, ["cat", "car", "dog"]) == {"pets": [0, 2]}


def test_labels_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        load_labels(tmp_path / "missing.txt")
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ModelError, match="has no labels"):
        load_labels(tmp_path / "empty.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ModelError, match="cannot be read as UTF-8"):
        load_labels(tmp_path / "binary.txt")


@pytest.mark.parametrize("name", ["cat", "tiger cat", "guacamole", "a" * 100, "Döner"])
def test_valid_label_names(name: str) -> None:
    assert valid_label_name(name)


@pytest.mark.parametrize("name", ["", "..", ".", "a/b", "..\\x", "a\0b", "x" * 101, "tab\there"])
def test_label_names_that_could_escape_a_folder(name: str) -> None:
    assert not valid_label_name(name)
