"""The embeddings of one camera's answers: read from the dataset, computed again where missing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant

from .core.errors import CorruptEmbeddingError, MlwatchError

if TYPE_CHECKING:
    from .core.dataset import Dataset
    from .core.result import Result, Vector

_LOGGER = logging.getLogger(__name__)
# Answers without an embedding computed again per retrain: an old dataset catches up over a few.
MAX_COMPUTED_AGAIN = 100


class AnswerVectors:
    """Each answer's embedding from this model, cached; changed only on the event loop."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        camera: str,
        embedding_space: str,
        classify: Callable[[bytes], Awaitable[Result]],
    ) -> None:
        """`classify` gives the embedding of a stored crop that has none."""
        self.hass = hass
        self.camera = camera
        self.embedding_space = embedding_space
        self._classify = classify
        self._vectors: dict[str, Any] = {}  # answer id → embedding
        self._about: dict[str, tuple[str, str]] = {}  # answer id → (label, corrected label)

    @property
    def vectors(self) -> Mapping[str, Any]:
        """A copy to hand to the executor: the loop may add to the cache meanwhile."""
        return MappingProxyType(dict(self._vectors))

    async def async_refresh(self, dataset: Dataset) -> list[dict[str, str]]:
        """Read the new answers' embeddings (in the executor), compute the missing; the rows."""
        rows, found, about, missing = await self.hass.async_add_executor_job(
            _read, dataset, self.camera, self.embedding_space, frozenset(self._vectors)
        )
        self._vectors.update(found)
        self._about.update(about)
        for item_id in missing[:MAX_COMPUTED_AGAIN]:
            if not await self._async_compute_again(dataset, item_id):
                break
        return rows

    async def _async_compute_again(self, dataset: Dataset, item_id: str) -> bool:
        """The embedding of an answer from the crop the model saw; False if this model has none."""
        from .core.embedding import pack, unpack

        try:
            crop = await self.hass.async_add_executor_job(dataset.filed_crop, item_id)
            result = await self._classify(crop)
            if result.embedding is None:
                return False
            packed = pack(result.embedding, self.embedding_space)
            await self.hass.async_add_executor_job(dataset.keep_embedding, item_id, packed)
        except MlwatchError as err:
            _LOGGER.debug("No embedding for answer %s: %s", item_id, err)
            return True
        self._vectors[item_id] = unpack(packed)[0]  # as stored: int8 precision
        return True

    async def async_least_known(
        self,
        label: str,
        embeddings: Sequence[Vector],
        asked: Sequence[Vector],
        *,
        any_answer: bool,
        novel: bool,
    ) -> int | None:
        """The frame least like one answered about `label` (or any) or asked, if new enough.

        New enough: no near-duplicate of one; with `novel`, unlike every one.
        """
        vectors = [
            v for i, v in self._vectors.items() if any_answer or label in self._about.get(i, ())
        ]
        vectors.extend(asked)
        if not vectors:
            return 0 if embeddings else None
        return await self.hass.async_add_executor_job(
            partial(_least_known, list(embeddings), vectors, novel=novel)
        )


def _read(
    dataset: Dataset, camera: str, embedding_space: str, known: frozenset[str]
) -> tuple[list[dict[str, str]], dict[str, Any], dict[str, tuple[str, str]], list[str]]:
    """Executor: the rows, new answers' embeddings, what they answer, the ids without one."""
    from .core.embedding import unpack

    found: dict[str, Any] = {}
    about: dict[str, tuple[str, str]] = {}
    missing = []
    rows = dataset.rows(camera)
    for row in rows:
        item_id = row["id"]
        about[item_id] = (row["label"], row["corrected_label"])
        if item_id in known:
            continue
        try:
            data = dataset.embedding(item_id)
            vector, sha = unpack(data) if data is not None else (None, "")
        except CorruptEmbeddingError as err:
            _LOGGER.warning("Answer %s has a damaged embedding: %s", item_id, err)
            vector, sha = None, ""
        if vector is not None and sha == embedding_space:
            found[item_id] = vector
        else:
            missing.append(item_id)  # older than embeddings, damaged, or another model's
    return rows, found, about, missing


def _least_known(embeddings: list[Vector], vectors: list[Vector], *, novel: bool) -> int | None:
    """Executor: numpy, imported only where learning runs."""
    from .core.answered import DUPLICATE, NOVEL, least_known, nearest

    return least_known(nearest(embeddings, vectors), NOVEL if novel else DUPLICATE)
