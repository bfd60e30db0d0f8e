"""What the user's verdict rows say about one label, and whether a frame was already answered."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .head import Kind, number, unit_rows
from .learning import Answer


def _true_label(row: Mapping[str, str]) -> str | None:
    """What the frame shows by the answer, or None when the answer only says what it is not."""
    if row["corrected_label"]:
        return row["corrected_label"]
    return row["label"] if row["verdict"] == "confirmed" else None


def answers_for(
    rows: Iterable[Mapping[str, str]],
    embeddings: Mapping[str, np.ndarray[Any, Any]],
    label: str,
    kind: Kind = "new",
    copies: Mapping[str, Sequence[np.ndarray[Any, Any]]] | None = None,
) -> list[Answer]:
    """The answers verdict rows give about `label`, oldest first.

    A row names what the frame shows when it was confirmed (its label) or corrected (the
    correction). That is a positive for `label` if it is `label`, else a negative (a frame
    confirmed as something else). A rejection of `label` is a negative. A rejection of another
    label without a correction says nothing about `label` and is skipped, as is a row without
    an embedding, with unreadable scores or time, or whose embedding's size differs from the
    first one's. base_score is the row's score for `label` (None when the model has none).
    A base label (`kind`) learns only from rows that name it: a frame confirmed as Miso is no
    evidence against "cat", which the base model already scores. A taught label's answers carry
    their frame's relit `copies` (by row id) where they have them, of the embedding's size.
    """
    out: list[Answer] = []
    size: int | None = None
    for row in rows:
        vector = embeddings.get(row.get("id", ""))
        if vector is None:
            continue
        if kind == "base" and label not in (row["label"], row["corrected_label"]):
            continue
        shown = _true_label(row)
        if shown == label:
            positive = True
        elif row["label"] == label or shown is not None:
            positive = False
        else:
            continue
        try:
            scores = json.loads(row["scores"])
            score = scores.get(label) if isinstance(scores, dict) else None
            when = float(row["time"])
        except ValueError:
            continue
        embedding = np.ravel(np.asarray(vector, dtype=np.float32))
        if not (number(score) or score is None) or not math.isfinite(when):
            continue
        if size is None:
            size = embedding.size
        if embedding.size != size or not np.isfinite(embedding).all():
            continue
        base = None if score is None else float(score)
        relit = _copies(copies, row.get("id", ""), size) if kind == "new" else ()
        out.append(Answer(embedding, base, positive, when, relit))
    return sorted(out, key=lambda a: a.time)


def _copies(
    copies: Mapping[str, Sequence[np.ndarray[Any, Any]]] | None, item_id: str, size: int
) -> tuple[np.ndarray[Any, Any], ...]:
    """An answer's relit copies as float32 vectors; none if any is of another size or not finite."""
    out = tuple(np.ravel(np.asarray(c, dtype=np.float32)) for c in (copies or {}).get(item_id, ()))
    return out if all(c.size == size and np.isfinite(c).all() for c in out) else ()


# A question about a frame this close to an answered one would teach nothing.
DUPLICATE = 0.98
# A frame whose nearest answered frame is further than this is one the personal model has not seen
# the like of, so its score there is a guess however sure it looks (bench/README.md, asking.py).
NOVEL = 0.9


def nearest(
    embeddings: np.ndarray[Any, Any] | Sequence[np.ndarray[Any, Any] | Sequence[float]],
    answered: np.ndarray[Any, Any] | Sequence[np.ndarray[Any, Any] | Sequence[float]],
) -> list[float]:
    """Each frame's highest cosine to a frame of `answered` (-1 where nothing was answered)."""
    frames = unit_rows(np.atleast_2d(np.asarray(embeddings, dtype=np.float64)))
    if not len(answered):
        return [-1.0] * len(frames)
    similarity = frames @ unit_rows(np.atleast_2d(np.asarray(answered))).T
    return [float(v) for v in similarity.max(axis=1)]


def near_duplicate(
    embedding: np.ndarray[Any, Any] | Sequence[float],
    answered: np.ndarray[Any, Any] | Sequence[np.ndarray[Any, Any] | Sequence[float]],
    cosine: float = DUPLICATE,
) -> bool:
    """Whether `embedding` is nearly the same frame as one already answered (rows of `answered`)."""
    return nearest(np.ravel(embedding), answered)[0] >= cosine


def least_known(near: Sequence[float], cosine: float = NOVEL) -> int | None:
    """Of frames' `nearest` cosines, the frame least like any answered, if none is as close."""
    if not len(near):
        return None
    index = int(np.argmin(near))
    return index if near[index] < cosine else None
