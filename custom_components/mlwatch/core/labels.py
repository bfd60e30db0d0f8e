"""Label files in the usual formats, their alignment to model outputs, and label groups."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError

_INDEXED = re.compile(r"^\s*(\d+)[\s:,]+(\S.*?)\s*$")
_BACKGROUND = {"background", "???", "unused", "__background__"}
# In encoded bytes: labels name export folders, and 100 bytes fit every file system's names.
MAX_LABEL_BYTES = 100


def parse_labels(text: str) -> dict[int, str]:
    """Parse `label` per line, or `index label` per line (gaps allowed, as in COCO files)."""
    lines = [line.strip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    matches = [_INDEXED.match(line) for line in lines if line]
    if matches and all(matches):
        return {int(m.group(1)): m.group(2) for m in matches if m}
    return dict(enumerate(lines))


def load_labels(path: Path) -> dict[int, str]:
    """Read and parse a labels file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ModelError(f"Labels file {path} does not exist") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ModelError(f"Labels file {path} cannot be read as UTF-8 text: {err}") from err
    labels = parse_labels(text)
    if not labels:
        raise ModelError(f"Labels file {path} has no labels")
    return labels


def align(labels: Mapping[int, str], outputs: int) -> list[str]:
    """Name each of a classifier's `outputs` scores, handling the 1001-vs-1000 background row."""
    size = max(labels) + 1
    names = [labels.get(i, f"class {i}") for i in range(size)]
    if size == outputs:
        return names
    if size == outputs - 1:
        # Model has a background class at 0 that the file leaves out (TF-slim style, 1001 outputs).
        return ["background", *names]
    if size == outputs + 1 and names[0].lower() in _BACKGROUND:
        return names[1:]
    raise ModelError(
        f"The labels file has {size} labels but the model outputs {outputs} scores; "
        "choose the labels file that belongs to this model"
    )


@dataclass(frozen=True, slots=True)
class LabelGroup:
    """A named set of labels whose scores add up, e.g. `cat` = the five ImageNet cat classes."""

    name: str
    members: tuple[str, ...]


def resolve_groups(groups: Iterable[LabelGroup], names: Sequence[str]) -> dict[str, list[int]]:
    """Map each group to the output indices of its members that this model has."""
    index = {name: i for i, name in enumerate(names)}
    resolved = {g.name: [index[m] for m in g.members if m in index] for g in groups}
    return {name: idx for name, idx in resolved.items() if idx}


# ImageNet-1k class indices (0-based, no background). Stated as index ranges because the
# human-readable names differ between label files while the class order does not.
_IMAGENET_CATS = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat
_IMAGENET_DOGS = range(151, 269)  # the 118 dog breeds, Chihuahua .. Mexican hairless
_IMAGENET_PACKAGES = (478, 549, 636, 692)  # carton, envelope, mailbag, packet


def imagenet_groups(names: Sequence[str]) -> list[LabelGroup]:
    """Built-in groups for an ImageNet-1k label list (1000 names, or 1001 with background)."""
    offset = len(names) - 1000
    if offset not in (0, 1):
        return []

    def pick(indices: Iterable[int]) -> tuple[str, ...]:
        return tuple(names[i + offset] for i in indices)

    return [
        LabelGroup("cat", pick(_IMAGENET_CATS)),
        LabelGroup("dog", pick(_IMAGENET_DOGS)),
        LabelGroup("package", pick(_IMAGENET_PACKAGES)),
    ]


# COCO has no parcel class: parcels are what a user teaches, so the detector has no `package`.
_COCO_GROUPS = (
    LabelGroup("person", ("person",)),
    LabelGroup("vehicle", ("car", "truck", "bus", "motorcycle", "bicycle")),
    LabelGroup(
        "animal",
        ("cat", "dog", "bird", "horse", "sheep", "cow", "bear", "elephant", "zebra", "giraffe"),
    ),
)


def coco_groups(names: Sequence[str]) -> list[LabelGroup]:
    """Built-in groups for a COCO label list; `person` is also a label, so it is no group."""
    present = set(names)
    if "person" not in present or "car" not in present:
        return []
    return [g for g in _COCO_GROUPS if g.name not in present]


def builtin_groups(names: Sequence[str]) -> list[LabelGroup]:
    """The groups mlwatch knows for this label list: ImageNet's, COCO's, or none."""
    return imagenet_groups(names) or coco_groups(names)


def valid_label_name(name: str) -> bool:
    """Whether a label may name a dataset folder: no separators, dots-only or control chars."""
    return (
        name.isprintable()  # first: it refuses lone surrogates, which cannot be encoded
        and 0 < len(name.encode()) <= MAX_LABEL_BYTES
        and name.strip(".") != ""
        and not any(c in name for c in "/\\\0")
    )


# The 80 COCO classes, the labels of DeepStack's and CodeProject.AI's stock detection models.
COCO_LABELS: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip
