"""mlwatch's and DeepStack's JSON, as the server writes it and the remote backend reads it."""

# Plain Python: the remote backend reads both where numpy is missing (HA OS).

from __future__ import annotations

from array import array
from typing import Any

from .result import FULL_FRAME, Detection, Result, Roi, Timings, best_per_label

# Scores below this are left out: a 1000-class softmax is mostly zeros, and a missing label
# reads as 0 (`Result.score`), which is within this of the truth.
MIN_SENT_SCORE = 1e-4
_DIGITS = 6
DEEPSTACK_TOP = 5  # labels a DeepStack answer's result ranks


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
        data["embedding"] = [round(float(v), _DIGITS) for v in result.embedding]
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
        embedding=_embedding(emb) if emb is not None else None,
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


def _embedding(values: list[float]) -> array[float]:
    # A float32 array of the standard library: HA OS's remote path has no numpy for mlwatch.
    return array("f", (float(v) for v in values))


def deepstack_to_json(
    result: Result, *, min_confidence: float, process_ms: float
) -> dict[str, Any]:
    """DeepStack's `/v1/vision/detection` answer: boxes in pixels of the whole frame."""
    width, height = result.frame_size
    predictions = [
        {
            "label": d.label,
            "confidence": round(d.score, 4),
            "x_min": round(d.box[0] * width),
            "y_min": round(d.box[1] * height),
            "x_max": round(d.box[2] * width),
            "y_max": round(d.box[3] * height),
        }
        for d in result.detections
        if d.score >= min_confidence
    ]
    return {
        "success": True,
        "predictions": predictions,
        "count": len(predictions),
        "inferenceMs": round(result.timings.invoke),
        "processMs": round(process_ms),
        "moduleId": "mlwatch",
        "code": 200,
    }


def deepstack_error(message: str, status: int) -> dict[str, Any]:
    """DeepStack's error answer."""
    return {"success": False, "error": message, "code": status}


def deepstack_from_json(
    body: dict[str, Any], frame_size: tuple[int, int], roi: Roi, *, elapsed_ms: float
) -> Result:
    """A DeepStack answer as a result: the boxes standing in `roi`; raises like above.

    DeepStack answers in pixels and does not say the frame's size: the caller read it.
    """
    found = sorted(_deepstack_detections(body, frame_size, roi), key=lambda d: -d.score)
    scores = best_per_label(found)
    return Result(
        top=sorted(scores.items(), key=lambda s: -s[1])[:DEEPSTACK_TOP],
        scores=scores,
        detections=found,
        embedding=None,
        timings=Timings(0.0, 0.0, float(body.get("inferenceMs", 0)), elapsed_ms),
        frame_size=frame_size,
        roi=roi,
    )


def _deepstack_detections(
    body: dict[str, Any], frame_size: tuple[int, int], roi: Roi
) -> list[Detection]:
    """DeepStack predictions standing in the region, with boxes relative to the frame."""
    width, height = frame_size

    def unit(pixels: float, size: int) -> float:
        return min(max(pixels / size, 0.0), 1.0)

    found = []
    for p in body.get("predictions", []):
        box = (
            unit(p["x_min"], width),
            unit(p["y_min"], height),
            unit(p["x_max"], width),
            unit(p["y_max"], height),
        )
        if roi.holds(box):
            found.append(Detection(str(p["label"]), float(p["confidence"]), box))
    return found
