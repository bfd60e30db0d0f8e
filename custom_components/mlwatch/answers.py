"""The embeddings of one camera's answers: read from the dataset, computed again where missing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant

from .core.errors import CorruptEmbeddingError, ImageError, MlwatchError, UnknownItemError

if TYPE_CHECKING:
    from .core.dataset import Dataset
    from .core.result import Result, Vector

_LOGGER = logging.getLogger(__name__)
# Answers without an embedding computed again per retrain: an old dataset catches up over a few.
MAX_COMPUTED_AGAIN = 100
# Answers relit per retrain, newest first (each is a classification per gamma).
MAX_RELIT = 30


class AnswerVectors:
    """Each answer's embedding from this model, cached; changed only on the event loop."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        camera: str,
        embedding_space: str,
        classify: Callable[[bytes], Awaitable[Result]],
        taught: Callable[[str], bool],
    ) -> None:
        """`classify` embeds a stored crop; answers are relit once a `taught` label is answered."""
        self.hass = hass
        self.camera = camera
        self.embedding_space = embedding_space
        self._classify = classify
        self._taught = taught
        self._vectors: dict[str, Any] = {}  # answer id → embedding
        self._copies: dict[str, tuple[Any, ...]] = {}  # answer id → its relit copies' (or none)
        self._damaged: set[str] = set()  # answers whose damaged files were logged
        self._about: dict[str, tuple[str, str]] = {}  # answer id → (label, corrected label)

    @property
    def vectors(self) -> Mapping[str, Any]:
        """A copy to hand to the executor: the loop may add to the cache meanwhile."""
        return MappingProxyType(dict(self._vectors))

    @property
    def copies(self) -> Mapping[str, tuple[Any, ...]]:
        """The answers' relit copies' embeddings, a copy as `vectors`."""
        return MappingProxyType(dict(self._copies))

    async def async_refresh(self, dataset: Dataset) -> list[dict[str, str]]:
        """Read the new answers' embeddings (in the executor), compute the missing; the rows."""
        known = (frozenset(self._vectors), frozenset(self._copies), frozenset(self._damaged))
        rows, found, about, missing = await self.hass.async_add_executor_job(
            _read, dataset, self.camera, self.embedding_space, known
        )
        self._vectors.update(found.vectors)
        self._copies.update(found.copies)
        self._damaged |= found.damaged
        self._about.update(about)
        for item_id in missing.vectors[:MAX_COMPUTED_AGAIN]:
            if not await self._async_compute_again(dataset, item_id):
                break
        if any(self._taught(label) for labels in self._about.values() for label in labels if label):
            for item_id in missing.copies[::-1][:MAX_RELIT]:  # the newest teach the label now
                if item_id in self._vectors and not await self._async_relight(dataset, item_id):
                    break
        return rows

    async def _async_relight(self, dataset: Dataset, item_id: str) -> bool:
        """The answer's crop relit (`relight`), embedded and kept; False if the backend failed."""
        from .core.embedding import pack_all, unpack_all

        try:
            crop = await self.hass.async_add_executor_job(dataset.filed_crop, item_id)
            images = await self.hass.async_add_executor_job(_relit, crop)
            vectors = [(await self._classify(image)).embedding for image in images]
            packed = b""  # unless the model gave every relit crop an embedding
            if not any(v is None for v in vectors):
                packed = pack_all([v for v in vectors if v is not None], self.embedding_space)
                keep = partial(dataset.keep_embedding, item_id, packed, relit=True)
                await self.hass.async_add_executor_job(keep)
        except (ImageError, UnknownItemError) as err:  # no crop to relight: it has no copies
            _LOGGER.debug("No relit copies of answer %s: %s", item_id, err)
            packed = b""
        except MlwatchError as err:  # the backend or the disk: the next retrain tries again
            _LOGGER.debug("Relit copies of answer %s wait: %s", item_id, err)
            return False
        self._copies[item_id] = tuple(unpack_all(packed)[0]) if packed else ()
        return True

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


@dataclass(slots=True)
class _Found:
    """Executor's findings: embeddings by answer id, and the ids of answers without."""

    vectors: dict[str, Any] = field(default_factory=dict)
    copies: dict[str, Any] = field(default_factory=dict)
    damaged: set[str] = field(default_factory=set)  # told once


@dataclass(slots=True)
class _Missing:
    """The ids of answers without a usable embedding, or without relit copies'."""

    vectors: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)


def _read(
    dataset: Dataset, camera: str, embedding_space: str, known: tuple[frozenset[str], ...]
) -> tuple[list[dict[str, str]], _Found, dict[str, tuple[str, str]], _Missing]:
    """Executor: the rows, new answers' embeddings and copies', what they answer, the missing."""
    from .core.embedding import unpack, unpack_all

    found, missing = _Found(), _Missing()
    about: dict[str, tuple[str, str]] = {}
    rows = dataset.rows(camera)
    for row in rows:
        item_id = row["id"]
        about[item_id] = (row["label"], row["corrected_label"])
        for relit, known_ids, found_ids, missing_ids in (
            (False, known[0], found.vectors, missing.vectors),
            (True, known[1], found.copies, missing.copies),
        ):
            if item_id in known_ids:
                continue
            vector: Any = None
            try:
                if (data := dataset.embedding(item_id, relit=relit)) is None:
                    pass
                elif relit:
                    copies, sha = unpack_all(data)
                    vector = tuple(copies) if sha == embedding_space else None
                else:
                    one, sha = unpack(data)
                    vector = one if sha == embedding_space else None
            except CorruptEmbeddingError as err:
                if item_id not in known[2]:
                    what = "relit copies' embeddings" if relit else "embedding"
                    _LOGGER.warning("Answer %s has a damaged %s: %s", item_id, what, err)
                found.damaged.add(item_id)
            if vector is not None:
                found_ids[item_id] = vector
            else:
                missing_ids.append(item_id)  # older, damaged, or another model's
    return rows, found, about, missing


def _relit(crop: bytes) -> list[bytes]:
    """Executor: the crop relit at each gamma; Pillow, imported only where learning runs."""
    from .core.relight import GAMMAS, relit

    return [relit(crop, gamma) for gamma in GAMMAS]


def _least_known(embeddings: list[Vector], vectors: list[Vector], *, novel: bool) -> int | None:
    """Executor: numpy, imported only where learning runs."""
    from .core.answered import DUPLICATE, NOVEL, least_known, nearest

    return least_known(nearest(embeddings, vectors), NOVEL if novel else DUPLICATE)
