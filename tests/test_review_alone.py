"""Reviews work from what they are given: no coordinator, just a frame and the open episodes."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import DOMAIN, EVENT_REVIEW_REQUESTED
from custom_components.mlwatch.core.answered import DUPLICATE, NOVEL, least_known, nearest
from custom_components.mlwatch.core.result import Result, Timings
from custom_components.mlwatch.feedback import async_get_dataset, async_load_link_secret
from custom_components.mlwatch.frame import Decision, Frame
from custom_components.mlwatch.review import LeastKnown, Reviews, ReviewSettings
from custom_components.mlwatch.scope import CameraScope
from custom_components.mlwatch.snapshot import ReviewStats
from tests.const import CAMERA, EMPTY
from tests.core.conftest import snapshot as jpeg

if TYPE_CHECKING:
    from custom_components.mlwatch.core.result import Vector

SETTINGS = ReviewSettings(ask=True, low=0.3, high={"cat": 0.8}, per_day=5, days=7, mb=100)


def _frame(image: bytes, cat: float) -> Frame:
    result = Result(
        top=[("tabby", cat)],
        scores={"tabby": cat},
        detections=[],
        embedding=None,
        timings=Timings(1, 1, 1, 1),
        frame_size=(64, 48),
        groups={"cat": cat},
    )
    return Frame(image, result, dt_util.utcnow())


async def _nothing_known(
    label: str, embeddings: list[Vector], asked: list[Vector], *, novel: bool
) -> int | None:
    del label, embeddings, asked, novel
    return 0


async def test_a_grey_frame_asks_once_and_the_stats_change_reaches_the_owner(
    hass: HomeAssistant,
) -> None:
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    await async_load_link_secret(hass)  # what the integration's setup does first
    changes: list[ReviewStats] = []
    reviews = Reviews(
        CameraScope(hass, entry, CAMERA, ["cat"], "abc123"),
        settings=SETTINGS,
        least_known=_nothing_known,
        on_change=lambda: changes.append(reviews.stats),
    )
    asked: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_REVIEW_REQUESTED, asked.append)
    unsubscribe = reviews.async_start()
    image = await hass.async_add_executor_job(jpeg, EMPTY, (64, 48))
    reviews.async_burst_started()
    reviews.async_frame(_frame(image, 0.5), active={"cat": object()})  # an episode is open
    reviews.async_frame(_frame(image, 0.9), active={})  # sure, not grey
    reviews.async_frame(_frame(image, 0.5), active={})
    reviews.async_frame(_frame(image, 0.5), active={})  # not more doubtful than the first
    await hass.async_block_till_done(wait_background_tasks=True)
    assert asked == []  # a burst asks at its end
    reviews.async_burst_ended({})
    await hass.async_block_till_done(wait_background_tasks=True)
    (event,) = asked
    assert (event.data["label"], event.data["score"]) == ("cat", 0.5)
    assert event.data["config_entry_id"] == entry.entry_id
    store = await async_get_dataset(hass)
    (pending,) = await hass.async_add_executor_job(store.unreviewed, CAMERA)
    assert (pending.model_sha256, pending.scores["cat"]) == ("abc123", 0.5)
    assert changes[-1].pending == 1  # the kept frame was counted and the owner told
    unsubscribe()


def _decided(image: bytes, score: float, personal: float | None) -> Frame:
    frame = _frame(image, score)
    decision = Decision(score, score, personal, "base")
    return replace(frame, decisions=MappingProxyType({"cat": decision}))


async def _reviews_and_questions(
    hass: HomeAssistant, least_known: LeastKnown = _nothing_known
) -> tuple[Reviews, list[Event[dict[str, Any]]], bytes]:
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    await async_load_link_secret(hass)  # what the integration's setup does first
    reviews = Reviews(
        CameraScope(hass, entry, CAMERA, ["cat"], "ab" * 32),
        settings=SETTINGS,
        least_known=least_known,
        on_change=lambda: None,
    )
    asked: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_REVIEW_REQUESTED, asked.append)
    return reviews, asked, await hass.async_add_executor_job(jpeg, EMPTY, (64, 48))


async def test_a_burst_asks_about_its_least_certain_frame(hass: HomeAssistant) -> None:
    reviews, asked, image = await _reviews_and_questions(hass)
    reviews.async_burst_started()
    for score in (0.32, 0.71, 0.46, 0.62, 0.35):
        reviews.async_frame(_frame(image, score), active={})
    reviews.async_burst_ended({})
    # The personal model's doubt ranks, where there is one: 0.51 is its least sure frame.
    reviews.async_burst_started()
    reviews.async_frame(_decided(image, 0.48, 0.05), active={})
    reviews.async_frame(_decided(image, 0.35, 0.51), active={})
    reviews.async_frame(_decided(image, 0.6, 0.9), active={})
    reviews.async_burst_ended({})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sorted(e.data["score"] for e in asked) == [0.35, 0.46]


async def test_a_label_that_fired_during_the_burst_is_not_asked(hass: HomeAssistant) -> None:
    reviews, asked, image = await _reviews_and_questions(hass)
    reviews.async_burst_started()
    reviews.async_frame(_frame(image, 0.5), active={})
    reviews.async_frame(_frame(image, 0.95), active={"cat": object()})  # Confirm / Reject asks
    reviews.async_burst_ended({"cat": object()})
    reviews.async_frame(_frame(image, 0.4), active={})  # a periodic frame asks at once
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["score"] for e in asked] == [0.4]


def _shown(image: bytes, cat: float, *embedding: float) -> Frame:
    frame = _frame(image, cat)
    return replace(frame, result=replace(frame.result, embedding=np.asarray(embedding)))


async def test_a_burst_with_no_grey_frame_asks_about_what_no_answer_showed(
    hass: HomeAssistant,
) -> None:
    answered: list[Vector] = [np.array([1.0, 0.0, 0.0])]  # the empty mat, answered once
    kinds: list[bool] = []  # whether each question looked for a novel frame

    async def like_the_learner(
        label: str, embeddings: list[Vector], asked: list[Vector], *, novel: bool
    ) -> int | None:
        del label
        kinds.append(novel)
        return least_known(nearest(embeddings, answered + asked), NOVEL if novel else DUPLICATE)

    reviews, asked, image = await _reviews_and_questions(hass, like_the_learner)
    # Sure it is no cat, on frames like the answered one, but one frame shows what none did.
    reviews.async_burst_started()
    reviews.async_frame(_shown(image, 0.05, 1.0, 0.02, 0.0), active={})
    reviews.async_frame(_shown(image, 0.12, 0.1, 1.0, 0.0), active={})
    reviews.async_frame(_shown(image, 0.02, 0.99, 0.0, 0.05), active={})
    reviews.async_burst_ended({})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["score"] for e in asked] == [0.12]
    # Frames like the answered or the asked one: nothing to learn, nothing asked.
    reviews.async_burst_started()
    reviews.async_frame(_shown(image, 0.05, 0.98, 0.05, 0.0), active={})
    reviews.async_frame(_shown(image, 0.11, 0.12, 1.0, 0.01), active={})
    reviews.async_burst_ended({})
    # A burst in which the cat fired asks Confirm / Reject instead, however new its frames.
    reviews.async_burst_started()
    reviews.async_frame(_shown(image, 0.1, 0.0, 0.0, 1.0), active={})
    reviews.async_frame(_shown(image, 0.95, 0.0, 0.1, 1.0), active={"cat": object()})
    reviews.async_burst_ended({})
    # A grey-zone frame is asked about unless it nearly is a known one, not for being new.
    reviews.async_burst_started()
    reviews.async_frame(_shown(image, 0.05, 0.0, 0.0, 1.0), active={})
    reviews.async_frame(_shown(image, 0.5, 0.97, 0.2, 0.0), active={})
    reviews.async_burst_ended({})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["score"] for e in asked] == [0.12, 0.5]
    assert kinds == [True, True, False]
