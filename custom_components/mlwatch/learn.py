"""One camera's personal models in HA: loaded at setup, used on each frame, retrained by answers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send

from .answers import AnswerVectors
from .const import DATASET_DIR, DOMAIN, SIGNAL_DATASET_UPDATED, SIGNAL_LEARNING_UPDATED
from .core.errors import MlwatchError
from .feedback import async_get_dataset
from .frame import Decision
from .repairs import async_offer_threshold, threshold_issue_id
from .scope import CameraHelper, CameraScope
from .snapshot import LabelLearning

if TYPE_CHECKING:
    from .core.evaluation import Report
    from .core.head import Head, Kind
    from .core.learned import LearnedStore
    from .core.result import Result, Vector

_LOGGER = logging.getLogger(__name__)
# Answers come in bunches (a phone, an automation, the card): one retrain after they settle,
# soon enough that the next frame already uses it.
RETRAIN_COOLDOWN = 0.5
LEARNED_ISSUE = "learned_model_problem"


@dataclass(frozen=True, slots=True)
class LearningSettings:
    """The thresholds a personal model is measured at, and the precision its user aims for."""

    on_threshold: float
    off_threshold: float
    thresholds: Mapping[str, float]  # each watched label's on-threshold
    precision_target: float


@dataclass(frozen=True, slots=True)
class _Loaded:
    head: Head
    report: Report
    version: int | None


class Learner(CameraHelper):
    """Personal models of one camera: what each label's score is, and retraining after answers."""

    def __init__(
        self,
        scope: CameraScope,
        *,
        model_labels: set[str],
        settings: LearningSettings,
        available: bool,
        classify: Callable[[bytes], Awaitable[Result]],
        on_change: Callable[[], None],
    ) -> None:
        """`available` is False where the backend gives no embeddings (DeepStack)."""
        super().__init__(scope)
        self._model_labels = model_labels
        self.settings = settings
        self.available = available
        self._on_change = on_change
        self._heads: dict[str, _Loaded] = {}
        self.answers = AnswerVectors(
            self.hass,
            camera=self.camera,
            embedding_space=self.embedding_space,
            classify=classify,
            taught=lambda label: self.kind(label) == "new",
        )
        self._seen: tuple[int, float, int] | None = None  # the answers the last retrain used
        self._store: LearnedStore | None = None
        self._retraining = asyncio.Lock()
        self._stopped = False
        self._debouncer = Debouncer(
            self.hass,
            _LOGGER,
            cooldown=RETRAIN_COOLDOWN,
            immediate=False,
            function=self.async_retrain,
        )

    @property
    def status(self) -> Mapping[str, LabelLearning]:
        """Every label with a personal model (or answers toward one)."""
        return MappingProxyType(
            {
                label: LabelLearning.from_report(
                    loaded.report, self.kind(label), loaded.version, self._threshold(label)
                )
                for label, loaded in sorted(self._heads.items())
            }
        )

    def _threshold(self, label: str) -> float:
        return self.settings.thresholds.get(label, self.settings.on_threshold)

    def kind(self, label: str) -> Kind:
        """Base when the model (or one of its groups) knows the label, else new (taught)."""
        return "base" if label in self._model_labels else "new"

    def known_labels(self) -> list[str]:
        """What a user can answer with besides a free text: the model's labels and the taught."""
        return sorted({*self._model_labels, *self._heads})

    @callback
    def decide(self, label: str, result: Result) -> Decision:
        """The score the debouncer sees: the personal model's once it is active, else the base."""
        base = result.score(label)
        loaded = self._heads.get(label)
        if loaded is None or result.embedding is None:
            return Decision(base, base)
        try:
            # A server's vector is the standard library's array: Head takes any float sequence.
            vector = cast("Any", result.embedding)
            personal = loaded.head.score(vector, base if loaded.head.kind != "new" else None)
        except (MlwatchError, ValueError) as err:  # another model's vector: the base decides
            _LOGGER.debug("Personal model for %s cannot score this frame: %s", label, err)
            return Decision(base, base)
        if loaded.report.state == "active":
            return Decision(personal, base, personal, "personal")
        return Decision(base, base, personal)  # shadow: both kept, the base decides

    async def async_start(self) -> Callable[[], None]:
        """Load the stored models (off the loop); retrain after answers; returns the unsubscribe."""
        if not self.available:
            return lambda: None
        await self._async_reload(await self._async_store())
        self.async_schedule()  # answers given while it was not running
        return async_dispatcher_connect(self.hass, SIGNAL_DATASET_UPDATED, self.async_schedule)

    @callback
    def async_schedule(self) -> None:
        """An answer came: retrain once the answers settle."""
        if self.available and not self._stopped:
            self.hass.async_create_task(self._debouncer.async_call(), eager_start=True)

    async def async_stop(self) -> None:
        """Start no retrain, and let one under way finish: it needs the backend still open."""
        self._stopped = True
        self._debouncer.async_shutdown()
        async with self._retraining:
            pass

    async def _async_store(self) -> LearnedStore:
        if self._store is None:
            from .core.learned import LearnedStore  # numpy: only where learning runs

            self._store = LearnedStore(Path(self.hass.config.path(DATASET_DIR, "learned")))
        return self._store

    async def async_retrain(self, *, force: bool = False) -> Mapping[str, LabelLearning]:
        """Retrain every label with answers, in the executor; unchanged answers retrain nothing."""
        async with self._retraining:
            if not self.available or self._stopped:
                return self.status
            dataset = await async_get_dataset(self.hass)
            store = await self._async_store()
            rows = await self.answers.async_refresh(dataset)
            last = {label: loaded.head for label, loaded in self._heads.items()}
            vectors = (self.answers.vectors, self.answers.copies)
            job = partial(self._retrain, rows, store, vectors, last, force=force)
            trained = await self.hass.async_add_executor_job(job)
            if trained is not None:
                # From the store, so that a stale file a new version replaced stops being reported.
                await self._async_reload(store)
            return self.status

    def _retrain(
        self,
        rows: list[dict[str, str]],
        store: LearnedStore,
        vectors: tuple[Mapping[str, Any], Mapping[str, Any]],
        last: Mapping[str, Head],
        *,
        force: bool,
    ) -> dict[str, _Loaded] | None:
        """Executor: answers → evaluation → a new version per label; None when nothing changed."""
        # numpy: imported only where learning runs, never on HA OS's remote path without it.
        from .core.answered import answers_for
        from .core.personal import retrain

        # Relit copies computed since count as a change: an old dataset's catch up over retrains.
        copies = sum(1 for c in vectors[1].values() if c)
        seen = (len(rows), max((float(r["time"]) for r in rows), default=0.0), copies)
        if seen == self._seen and not force:
            return None
        self._seen = seen
        embeddings = {r["id"]: v for r in rows if (v := vectors[0].get(r["id"])) is not None}
        labels = set(self.watched) | {r["label"] for r in rows}
        labels |= {r["corrected_label"] for r in rows if r["corrected_label"]}
        out: dict[str, _Loaded] = {}
        for label in sorted(labels):
            kind = self.kind(label)
            answers = answers_for(rows, embeddings, label, kind, vectors[1])
            if not answers:
                continue
            started = time.perf_counter()
            start = last.get(label)  # Newton from the last version: the same optimum, sooner
            if start is not None and start.model_sha256 != self.embedding_space:
                start = None
            head, report = retrain(
                answers,
                label=label,
                kind=kind,
                threshold=self._threshold(label),
                model_sha256=self.embedding_space,
                now=time.time(),
                precision_target=self.settings.precision_target,
                start=start,
            )
            version = store.save(self.camera, head, report)
            _LOGGER.debug(
                "%s %s: %s from %d answers in %.0f ms",
                self.camera,
                label,
                report.state,
                len(answers),
                (time.perf_counter() - started) * 1000,
            )
            out[label] = _Loaded(head, report, version)
        return out

    async def async_rollback(self, label: str) -> int:
        """Go back to the label's previous version."""
        store = await self._async_store()
        async with self._retraining:  # one writer of the store at a time
            version: int = await self.hass.async_add_executor_job(
                store.rollback, self.camera, label
            )
            await self._async_reload(store)
        return version

    async def async_reset(self, label: str) -> None:
        """Forget the label's personal model: the base model decides again."""
        store = await self._async_store()
        async with self._retraining:
            await self.hass.async_add_executor_job(store.reset, self.camera, label)
        self._heads.pop(label, None)
        ir.async_delete_issue(self.hass, DOMAIN, threshold_issue_id(self._entry.entry_id, label))
        self._changed()

    async def _async_reload(self, store: LearnedStore) -> None:
        """The stored models (off the loop); a damaged or stale file is reported, not used."""
        loaded = await self.hass.async_add_executor_job(
            store.load, self.camera, self.embedding_space
        )
        self._heads = {
            label: _Loaded(head, report, version)
            for label, (head, report, version) in loaded.heads.items()
        }
        self._report_problems(loaded.problems)
        self._changed()

    async def async_least_known(
        self, label: str, embeddings: list[Vector], asked: list[Vector], *, novel: bool
    ) -> int | None:
        """Which frame to ask about: the least like any answered or asked (review.LeastKnown)."""
        taught = self.kind(label) == "new"
        # Without learning the grey zone asks, as ever. Far from every answer a base model's score
        # is still informed; only a taught label's is a guess (bench/README.md, asking.py).
        if not self.available or (novel and not taught):
            return None if novel else 0
        # A taught label learns from every answer of the camera; a base label from its own.
        return await self.answers.async_least_known(
            label, embeddings, asked, any_answer=taught, novel=novel
        )

    @callback
    def _changed(self) -> None:
        """The personal models changed: offer better thresholds, publish the new status."""
        for label, status in self.status.items():
            if label in self.watched:
                off = self.settings.off_threshold
                async_offer_threshold(self.hass, self._entry, label, status, off)
        self._on_change()
        async_dispatcher_send(self.hass, SIGNAL_LEARNING_UPDATED, self.camera)

    @callback
    def _report_problems(self, problems: list[str]) -> None:
        """A damaged or stale learned file: the base model decides, and the user is told."""
        issue_id = f"{LEARNED_ISSUE}_{self._entry.entry_id}"
        if not problems:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=LEARNED_ISSUE,
            translation_placeholders={"camera": self.camera, "problems": "; ".join(problems)},
        )
