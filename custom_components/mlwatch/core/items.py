"""A kept frame's record and the checks on its id and label: what the dataset files."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .errors import CorruptItemError, InvalidLabelError, UnknownItemError
from .labels import MAX_LABEL_BYTES, valid_label_name
from .verdicts import ID_PATTERN


@dataclass(frozen=True, slots=True)
class PendingItem:
    """A detection (or a review request) waiting for the user's verdict."""

    id: str
    camera: str
    label: str
    source: str  # "detection", "review" or "manual"
    scores: dict[str, float]
    model_sha256: str  # its embedding's space (`embedding.space`): the model and the recipe
    time: float = field(default_factory=time.time)
    decided_by: str = "base"  # which model's score asked: "base" or "personal"
    personal: float | None = None  # the personal model's score for `label`, when it has one


def new_id() -> str:
    """An id for a detection or review: 32 hex digits, safe as a file name."""
    return uuid.uuid4().hex


def check_id(item_id: str) -> str:
    """`item_id` if it is one of ours (32 hex digits), else `UnknownItemError`."""
    if not ID_PATTERN.fullmatch(item_id):
        raise UnknownItemError(f"{item_id!r} is not a detection id")
    return item_id


def check_label(label: str) -> str:
    """Refuse labels that could leave the dataset folder or are not printable."""
    if not valid_label_name(label):
        raise InvalidLabelError(
            f"{label!r} cannot be a label: no '/', '\\', '..' or control characters, "
            f"1-{MAX_LABEL_BYTES} bytes in UTF-8"
        )
    return label


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def pending_item(item_id: str, fields: Any) -> PendingItem:  # parsed JSON
    """Check a meta.json's fields; an old or damaged one is a typed error, not a TypeError."""
    try:
        item = PendingItem(**fields)
    except TypeError as err:
        raise CorruptItemError(f"Pending detection {item_id} has unknown fields: {err}") from err
    texts = (item.id, item.camera, item.label, item.source, item.model_sha256)
    if not (
        item.id == item_id
        and all(isinstance(t, str) for t in texts)
        and isinstance(item.scores, dict)
        and all(isinstance(k, str) and _number(v) for k, v in item.scores.items())
        and _number(item.time)
        and item.decided_by in ("base", "personal")
        and (item.personal is None or _number(item.personal))
    ):
        raise CorruptItemError(f"Pending detection {item_id} has invalid fields")
    return item
