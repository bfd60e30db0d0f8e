"""A `Result` as JSON and back: what the server sends and the integration's remote backend reads."""

from __future__ import annotations

from typing import Any

import numpy as np

from .postprocess import Detection
from .result import FULL_FRAME, Result, Roi, Timings

# Scores below this are left out: a 1000-class softmax is mostly zeros, and a missing label
# reads as 0 (`Result.score`), which is within this of the truth.
MIN_SENT_SCORE = 1e-4
_DIGITS = 6


def _round(value: float) -> float:
    return round(float(value), _DIGITS)


def result_to_json(result: Result, *, embedding: bool = False) -> dict[str, Any]:
    """The result as plain JSON types; the embedding only when asked for (it is 1280 floats)."""
    data: dict[str, Any] = {
        "top": [{"label": label, "score": _round(score)} for label, score in result.top],
        "scores": {
            label: _round(score)
            for label, score in result.scores.items()
            if score >= MIN_SENT_SCORE
        },
        "groups": {name: _round(score) for name, score in result.groups.items()},
        "detections": [
            {"label": d.label, "score": _round(d.score), "box": [_round(v) for v in d.box]}
            for d in result.detections
        ],
        "frame": {"width": result.frame_size[0], "height": result.frame_size[1]},
        "roi": [result.roi.x, result.roi.y, result.roi.width, result.roi.height],
        "timings": {
            "decode": round(result.timings.decode, 3),
            "preprocess": round(result.timings.preprocess, 3),
            "invoke": round(result.timings.invoke, 3),
            "post": round(result.timings.post, 3),
        },
    }
    if embedding and result.embedding is not None:
        data["embedding"] = np.round(result.embedding.astype(np.float64), _DIGITS).tolist()
    return data


def result_from_json(data: dict[str, Any]) -> Result:
    """Rebuild a `Result` from `result_to_json` output; raises KeyError/TypeError/ValueError."""
    timings = data["timings"]
    emb = data.get("embedding")
    roi = Roi(*(float(v) for v in data["roi"])) if data.get("roi") else FULL_FRAME
    return Result(
        top=[(str(t["label"]), float(t["score"])) for t in data["top"]],
        scores={str(k): float(v) for k, v in data["scores"].items()},
        detections=[
            Detection(
                str(d["label"]),
                float(d["score"]),
                (
                    float(d["box"][0]),
                    float(d["box"][1]),
                    float(d["box"][2]),
                    float(d["box"][3]),
                ),
            )
            for d in data["detections"]
        ],
        embedding=np.asarray(emb, dtype=np.float32) if emb is not None else None,
        timings=Timings(
            decode=float(timings["decode"]),
            preprocess=float(timings["preprocess"]),
            invoke=float(timings["invoke"]),
            post=float(timings["post"]),
        ),
        frame_size=(int(data["frame"]["width"]), int(data["frame"]["height"])),
        roi=roi,
        groups={str(k): float(v) for k, v in data["groups"].items()},
    )
