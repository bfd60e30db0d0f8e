"""The one facade callers use: `Classifier.classify(image_bytes, roi) -> Result`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from types import ModuleType
from typing import Any

import cv2
import numpy as np

from . import postprocess, preprocess
from .embedding import RECIPE, check_recipe
from .errors import ModelError
from .labels import LabelGroup, align, builtin_groups, load_labels, resolve_groups
from .postprocess import DetectionFilter, Kind
from .result import FULL_FRAME, Detection, Result, Roi, ScoreView, Timings, best_per_label
from .runner import EDGETPU_LIBRARY, Runner

# The closer look of embedding recipe 2: the region's centre, where a doorbell sees its visitor.
CENTRE = Roi(0.15, 0.15, 0.7, 0.7)


@dataclass(frozen=True, slots=True)
class Settings:
    """How to run a model; normalisation None means the model's metadata or a default."""

    device: str = "cpu"
    num_threads: int | None = None
    mean: float | None = None
    std: float | None = None
    top_k: int = 5
    max_pixels: int = preprocess.DEFAULT_MAX_PIXELS
    groups: tuple[LabelGroup, ...] | None = None
    detection_filter: DetectionFilter = field(default_factory=DetectionFilter)
    edgetpu_library: str = EDGETPU_LIBRARY
    # A classifier with an embedding (model, labels) whose embedding of the region a detector's
    # results carry, so a personal model can learn on top of the detector.
    embedder: tuple[Path, Path] | None = None
    # How a frame becomes an embedding (`embedding.RECIPES`); it names the embedding's space.
    embedding_recipe: int = RECIPE


class Classifier:
    """A loaded model with its labels, ready to classify camera frames from any thread."""

    def __init__(
        self,
        model_path: Path,
        labels_path: Path,
        settings: Settings | None = None,
        *,
        runtime: ModuleType | None = None,
    ) -> None:
        """Load model and labels; raises the core's typed errors."""
        self.settings = settings = settings or Settings()
        check_recipe(settings.embedding_recipe)
        self.runner = Runner(
            model_path,
            device=settings.device,
            num_threads=settings.num_threads,
            runtime=runtime,
            edgetpu_library=settings.edgetpu_library,
        )
        self.label_map = load_labels(labels_path)
        inp = self.runner.input
        self.size = (inp.shape[2], inp.shape[1])
        self.input_hw = (inp.shape[1], inp.shape[2])
        self.layout = postprocess.detect_layout(
            self.runner.outputs, len(self.label_map), self.input_hw
        )
        if self.layout.kind.finds_boxes:
            self.labels = [self.label_map[i] for i in sorted(self.label_map)]
        else:
            scores_info = self.runner.outputs[self.layout.scores]
            self.labels = align(self.label_map, int(np.prod(scores_info.shape)))
        groups: Iterable[LabelGroup] = (
            settings.groups if settings.groups is not None else builtin_groups(self.labels)
        )
        self.groups = resolve_groups(groups, self.labels)
        # Settings first, then what the model's metadata declares, then the conventions.
        mean: float | tuple[float, ...]
        std: float | tuple[float, ...]
        mean, std = self.runner.declared_normalization or preprocess.default_normalization(
            inp.dtype, inp.scale, inp.zero_point
        )
        self.mean = settings.mean if settings.mean is not None else mean
        self.std = settings.std if settings.std is not None else std
        self._lut = preprocess.input_lut(inp.dtype, inp.scale, inp.zero_point, self.mean, self.std)
        self._index = {name: i for i, name in enumerate(self.labels)}
        self.embedder: Classifier | None = None
        if settings.embedder is not None and self.layout.kind.finds_boxes:
            # On the CPU even beside a detector on a Coral: an Edge TPU holds one model at a time.
            self.embedder = Classifier(
                *settings.embedder,
                Settings(
                    num_threads=settings.num_threads,
                    max_pixels=settings.max_pixels,
                    embedding_recipe=settings.embedding_recipe,
                ),
                runtime=runtime,
            )
            if self.embedder.layout.embedding is None:
                raise ModelError(f"{settings.embedder[0].name} gives no embedding to learn from")

    @property
    def kind(self) -> Kind:
        """Classifier or detector, with or without an embedding."""
        return Kind.DETECTOR_EMBEDDING if self.embedder else self.layout.kind

    def _prepare(self, region: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """Resize a BGR region to the model's input size, as RGB."""
        width, height = self.size
        if region.shape[1] != width or region.shape[0] != height:
            # INTER_AREA is the anti-aliasing resize, but 4x slower at non-integer ratios: reach
            # exactly twice the input size bilinearly (a mild ratio), then box-filter by 2.
            region = cv2.resize(region, (2 * width, 2 * height), interpolation=cv2.INTER_LINEAR)
            region = cv2.resize(region, self.size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(region, cv2.COLOR_BGR2RGB)

    def classify(self, image: bytes, roi: Roi | None = None) -> Result:
        """Classify one JPEG/PNG frame, optionally only the region `roi`."""
        roi = roi or FULL_FRAME
        # A detector sees the whole frame and counts the boxes standing in the region, so a
        # person half outside the region is still seen whole; a classifier sees the region.
        seen = FULL_FRAME if self.layout.kind.finds_boxes else roi
        t0 = perf_counter()
        frame, header = preprocess.decode(
            image, roi=seen, size=self.size, max_pixels=self.settings.max_pixels
        )
        region = preprocess.crop(frame, seen)
        t1 = perf_counter()
        rgb = self._prepare(region)
        t2 = perf_counter()
        raw = self._invoke(rgb)
        t3 = perf_counter()
        result = self._post(raw, roi)
        # The embedding's second look, or the embedder's: timed as post-processing.
        if self.embedder is not None:
            result["embedding"] = self.embedder.embed(preprocess.crop(frame, roi))
        elif self.layout.embedding is not None:
            result["embedding"] = self._closer_look(
                region, result["embedding"], self.layout.embedding
            )
        t4 = perf_counter()
        timings = Timings(
            decode=(t1 - t0) * 1000,
            preprocess=(t2 - t1) * 1000,
            invoke=(t3 - t2) * 1000,
            post=(t4 - t3) * 1000,
        )
        return Result(**result, timings=timings, frame_size=header.size, roi=roi)

    def _invoke(self, rgb: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
        # The table maps pixels to the input's dtype (normalised, quantized) straight into the
        # interpreter's buffer: one pass, no intermediate float image.
        return self.runner.run(lambda tensor: cv2.LUT(rgb, self._lut, dst=tensor))

    def embed(self, region: np.ndarray[Any, Any]) -> np.ndarray[Any, Any] | None:
        """The embedding of a decoded BGR region, for a model that has one."""
        index = self.layout.embedding
        if index is None:
            return None
        whole = self._embedding(self._invoke(self._prepare(region)), index)
        return self._closer_look(region, whole, index)

    def _embedding(self, raw: list[np.ndarray[Any, Any]], index: int) -> np.ndarray[Any, Any]:
        return postprocess.dequantize(raw[index].reshape(-1), self.runner.outputs[index])

    def _closer_look(
        self, region: np.ndarray[Any, Any], whole: np.ndarray[Any, Any], index: int
    ) -> np.ndarray[Any, Any]:
        """The region's embedding as the recipe takes it: recipe 2 averages in its centre's."""
        if self.settings.embedding_recipe == 1:
            return whole
        raw = self._invoke(self._prepare(preprocess.crop(region, CENTRE)))
        centre = self._embedding(raw, index)
        mean: np.ndarray[Any, Any] = (whole + centre) * np.float32(0.5)
        return mean

    def _boxes(self, raw: list[np.ndarray[Any, Any]], roi: Roi) -> list[Detection]:
        """The detector's boxes (relative to the frame) that stand in the region, best first."""
        keep = self.settings.detection_filter
        if self.layout.heads:
            found = postprocess.head_detections(
                raw, self.layout, self.runner.outputs, self.label_map, keep, input_hw=self.input_hw
            )
        else:
            found = postprocess.detections(raw, self.layout, self.label_map, keep)
        if roi != FULL_FRAME:
            found = [d for d in found if roi.holds(d.box)]
        return sorted(found, key=lambda d: -d.score)

    def _post(self, raw: list[np.ndarray[Any, Any]], roi: Roi) -> dict[str, Any]:
        outputs = self.runner.outputs
        if self.layout.kind.finds_boxes:
            found = self._boxes(raw, roi)
            scores = best_per_label(found)
            top = sorted(scores.items(), key=lambda p: -p[1])[: self.settings.top_k]
            # A group is as present as its most confident member: boxes do not add up.
            groups = {
                name: max(scores.get(self.labels[i], 0.0) for i in idx)
                for name, idx in self.groups.items()
            }
            return {
                "top": top,
                "scores": scores,
                "detections": found,
                "embedding": None,
                "groups": groups,
            }
        probs = postprocess.probabilities(
            postprocess.dequantize(raw[self.layout.scores].reshape(-1), outputs[self.layout.scores])
        )
        index = self.layout.embedding
        embedding = None if index is None else self._embedding(raw, index)
        top = [(self.labels[i], s) for i, s in postprocess.top_k(probs, self.settings.top_k)]
        return {
            "top": top,
            "scores": ScoreView(self._index, probs),
            "detections": [],
            "embedding": embedding,
            "groups": postprocess.group_scores(probs, self.groups),
        }
