"""It learns from every answer: personal models trained on the box, real model, real photos."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.mlwatch import answers as answers_module
from custom_components.mlwatch.const import (
    ATTR_CONFIG_ENTRY_ID,
    ATTR_LABEL,
    ATTR_VERDICT,
    CONF_LABEL_THRESHOLDS,
    CONF_ON_THRESHOLD,
    DATASET_DIR,
    DOMAIN,
    EVENT_DETECTION,
    SERVICE_RESET,
    SERVICE_RETRAIN,
    SERVICE_ROLLBACK,
    SERVICE_TEACH,
)
from custom_components.mlwatch.core import embedding, personal
from custom_components.mlwatch.core.errors import RuntimeUnavailableError
from custom_components.mlwatch.feedback import async_get_dataset
from custom_components.mlwatch.repairs import MIN_CHANGE, threshold_issue_id
from tests import FakeCamera, burst, label_choices, on_form, settle_answers, state
from tests.const import CAMERA
from tests.teaching import MISO, call, cats, others, taught, teach, watch_miso

# Retrains wait for the answers to settle on HA's clock: frozen, so that only `settle` moves it.
pytestmark = pytest.mark.usefixtures("freezer")
SENSOR = "sensor.front_door_miso_personal_model"


def learned_root(hass: HomeAssistant) -> Path:
    return Path(hass.config.path(DATASET_DIR, "learned"))


async def test_a_new_label_taught_by_example_is_recognised_and_decides(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    await taught(hass, fake_camera, loaded)
    status = (await call(hass, SERVICE_RETRAIN, config_entry_id=loaded.entry_id))[MISO]
    assert (status["state"], status["kind"]) == ("active", "new")
    assert (status["positives"], status["negatives"]) == (4, 4)
    assert status["personal_f1"] == 1.0  # on held-out answers (leave-one-out)
    assert status["base_f1"] is None  # the model has no Miso
    # Watchable now: the options offer it, and a detection of Miso is the personal model's.
    flow = await hass.config_entries.options.async_init(loaded.entry_id)
    assert label_choices(flow)[0] == MISO
    await watch_miso(hass, loaded)
    events: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_DETECTION, events.append)
    fake_camera.play(cats(10, 11, 12) + others(10, 11, 12, 13, 14, 15))  # held-out frames
    await burst(hass, loaded)
    miso = [e.data for e in events if e.data["label"] == MISO]
    assert len(miso) == 1
    assert miso[0]["decided_by"] == "personal"
    assert miso[0]["personal_score"] >= 0.6
    assert miso[0]["base_score"] == 0.0
    # The question the card shows says so too.
    kept = (await async_get_dataset(hass)).pending(miso[0]["detection_id"])
    assert (kept.decided_by, kept.personal) == ("personal", miso[0]["personal_score"])
    # And not on the other photos: a burst of those alone fires no Miso.
    events.clear()
    fake_camera.play(others(20, 21, 22, 23, 24, 25))
    await burst(hass, loaded)
    assert [e for e in events if e.data["label"] == MISO] == []
    sensor = state(hass, SENSOR)
    assert sensor.state == "100.0"
    assert sensor.attributes["state"] == "active"
    assert (sensor.attributes["positives"], sensor.attributes["negatives"]) == (4, 4)


async def test_a_new_label_shows_its_progress_before_it_is_watched(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    assert hass.states.get(SENSOR) is None  # nothing taught yet, nothing to show
    await teach(hass, fake_camera, loaded, cats(0), yes=True)
    await settle_answers(hass)
    first = state(hass, SENSOR)  # one answer in: its sensor, though Miso is not watched
    assert first.state == "unknown"
    assert first.attributes["state"] == "learning"
    assert (first.attributes["positives"], first.attributes["negatives"]) == (1, 0)
    await teach(hass, fake_camera, loaded, cats(1, 2), yes=True)
    await teach(hass, fake_camera, loaded, others(0, 1, 2), yes=False)
    await settle_answers(hass)
    ready = state(hass, SENSOR)  # the same entity, now with the minimum of each kind
    assert (ready.attributes["positives"], ready.attributes["negatives"]) == (3, 3)
    assert ready.attributes["state"] == "active"
    assert float(ready.state) > 0
    sensors = [s for s in hass.states.async_entity_ids("sensor") if s.endswith("_personal_model")]
    assert sorted(sensors) == ["sensor.front_door_cat_personal_model", SENSOR]


async def test_a_base_label_learns_in_shadow_until_it_beats_the_base(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    # The base model is right about these cats: a personal model cannot beat it, so it shadows.
    events: list[Event[dict[str, Any]]] = []
    hass.bus.async_listen(EVENT_DETECTION, events.append)
    for frames in (cats(0, 1, 2), cats(3, 4, 5)):
        fake_camera.play([*frames, *others(0, 1, 2, 3)])
        await burst(hass, loaded)
    for event in events:
        await call(hass, "confirm_detection", detection_id=event.data["detection_id"])
    for frame in others(4, 5):
        fake_camera.play([frame])
        await call(
            hass, "review_frame", config_entry_id=loaded.entry_id, label="cat", verdict="rejected"
        )
    await settle_answers(hass)
    status = loaded.runtime_data.data.learning["cat"]
    assert status.kind == "base"
    assert status.state == "shadow"
    assert status.base_f1 == 1.0
    # The evaluation chose the form: the head trained is of it, and the label stays a base one.
    stored = loaded.runtime_data.learner._heads["cat"]
    assert stored.head.kind == stored.report.head_kind == status.report["head_kind"]
    events.clear()
    fake_camera.play([*cats(6, 7), *others(6, 7, 8, 9)])
    await burst(hass, loaded)
    (detected,) = events
    assert detected.data["decided_by"] == "base"
    assert detected.data["personal_score"] is not None  # computed and kept beside the base
    assert detected.data["base_score"] == detected.data["best_score"]


async def test_a_hundred_concurrent_answers_lose_nothing_and_retrain_once(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    fake_camera.play(cats(1, 2) + others(1, 2, 3, 4))
    await burst(hass, loaded)
    last = loaded.runtime_data.data.last_detection
    assert last is not None
    # One pending detection, taught a hundred times at once (a phone, automations, the card).
    await asyncio.gather(
        *(
            call(
                hass,
                SERVICE_TEACH,
                detection_id=last.event.detection_id,
                label=MISO,
                verdict="confirmed" if i % 2 else "rejected",
            )
            for i in range(100)
        )
    )
    await settle_answers(hass)
    status = loaded.runtime_data.data.learning[MISO]
    assert (status.positives, status.negatives) == (50, 50)  # nothing lost
    assert status.version == 1  # one retrain for the hundred, not a hundred


async def test_a_retrain_starts_from_the_label_s_last_version(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    starts: list[Any] = []
    train = personal.train

    def spy(*args: Any, **kwargs: Any) -> Any:
        starts.append(kwargs.get("start"))
        return train(*args, **kwargs)

    monkeypatch.setattr(personal, "train", spy)
    await taught(hass, fake_camera, loaded)
    assert starts == [None]  # the first version: from the prior
    first = loaded.runtime_data.learner._heads[MISO].head
    await teach(hass, fake_camera, loaded, cats(4), yes=True)
    await settle_answers(hass)
    assert starts[1] is first  # one more answer: Newton from the version before it
    assert loaded.runtime_data.data.learning[MISO].version == 2


async def test_a_restart_keeps_the_personal_model_and_rollback_and_reset_work(
    hass: HomeAssistant, fake_camera: FakeCamera, loaded: MockConfigEntry
) -> None:
    await taught(hass, fake_camera, loaded)
    await teach(hass, fake_camera, loaded, cats(4), yes=True)
    await settle_answers(hass)
    assert loaded.runtime_data.data.learning[MISO].version == 2
    await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    kept = loaded.runtime_data.data.learning[MISO]
    assert (kept.version, kept.state, kept.positives) == (2, "active", 5)
    rolled = await call(hass, SERVICE_ROLLBACK, config_entry_id=loaded.entry_id, label=MISO)
    assert rolled == {"label": MISO, "version": 1}
    assert loaded.runtime_data.data.learning[MISO].positives == 4
    await call(hass, SERVICE_RESET, config_entry_id=loaded.entry_id, label=MISO)
    assert MISO not in loaded.runtime_data.data.learning
    with pytest.raises(ServiceValidationError):
        await call(hass, SERVICE_ROLLBACK, config_entry_id=loaded.entry_id, label=MISO)


async def test_a_corrupt_learned_file_gives_the_base_model_and_a_repair_issue(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    await taught(hass, fake_camera, loaded)
    await hass.config_entries.async_unload(loaded.entry_id)
    for version in learned_root(hass).glob(f"{CAMERA}/*/v*.json"):
        version.write_bytes(b'{"format": 1, "head": {"weights": "\xff')
    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done()
    assert loaded.state is ConfigEntryState.LOADED
    assert MISO not in loaded.runtime_data.data.learning
    issue = issue_registry.async_get_issue(DOMAIN, f"learned_model_problem_{loaded.entry_id}")
    assert issue is not None
    assert list(learned_root(hass).glob("corrupt/*"))  # kept aside, not deleted


async def test_teach_needs_a_known_pending_item_and_a_valid_label(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, SERVICE_TEACH, detection_id="0" * 32, label=MISO, verdict="confirmed")
    assert err.value.translation_key == "unknown_detection"
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            SERVICE_TEACH,
            **{ATTR_CONFIG_ENTRY_ID: loaded.entry_id, ATTR_LABEL: "a/b", ATTR_VERDICT: "confirmed"},
        )
    assert err.value.translation_key == "invalid_label"


async def test_the_threshold_for_the_precision_target_is_offered_and_applied(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    await taught(hass, fake_camera, loaded)
    # A strict threshold for every label; Miso's answers say a lower one keeps 90 % precision.
    hass.config_entries.async_update_entry(
        loaded, options={**loaded.options, CONF_ON_THRESHOLD: 0.8}
    )
    await watch_miso(hass, loaded)
    await hass.async_block_till_done(wait_background_tasks=True)
    status = loaded.runtime_data.data.learning[MISO]
    suggested = status.suggested_threshold
    assert suggested is not None
    assert abs(suggested - status.threshold) >= MIN_CHANGE
    issue_id = threshold_issue_id(loaded.entry_id, MISO)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["threshold"] == f"{suggested:.2f}"
    assert state(hass, SENSOR).attributes["suggested_threshold"] == suggested
    # The fix, as the Repairs panel runs it.
    client = await hass_client()
    started = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    form = await started.json()
    assert (form["step_id"], form["description_placeholders"]["label"]) == ("confirm", MISO)
    done = await client.post(f"/api/repairs/issues/fix/{form['flow_id']}", json={})
    assert (await done.json())["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)
    await settle_answers(hass)
    assert loaded.options[CONF_LABEL_THRESHOLDS] == {MISO: suggested}
    coordinator = loaded.runtime_data
    assert coordinator.debouncer.config.on(MISO) == suggested
    assert coordinator.debouncer.config.on("cat") == loaded.options[CONF_ON_THRESHOLD]
    applied = coordinator.data.learning[MISO]
    assert (applied.threshold, applied.report["threshold"]) == (suggested, suggested)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None  # nothing left to offer
    # Saving the options form keeps the label's threshold.
    flow = await hass.config_entries.options.async_init(loaded.entry_id)
    await hass.config_entries.options.async_configure(flow["flow_id"], on_form(loaded.options))
    await hass.async_block_till_done()
    assert loaded.options[CONF_LABEL_THRESHOLDS] == {MISO: suggested}


async def test_answers_without_an_embedding_get_it_again_from_their_crop(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await taught(hass, fake_camera, loaded)
    images = Path(hass.config.path(DATASET_DIR, "dataset", "images"))

    def forget() -> list[Path]:
        kept = sorted(images.glob("*.emb"))
        for path in kept[1:]:  # as answers given before embeddings were kept
            path.unlink()
        kept[0].write_bytes(b"MLWE damaged")
        return kept

    kept = await hass.async_add_executor_job(forget)
    assert len(kept) == 8
    await hass.config_entries.async_reload(loaded.entry_id)  # the cache starts empty
    await hass.async_block_till_done(wait_background_tasks=True)
    status = (await call(hass, SERVICE_RETRAIN, config_entry_id=loaded.entry_id))[MISO]
    # A new version, trained on all eight answers: their embeddings came back.
    assert (status["positives"], status["negatives"], status["version"]) == (4, 4, 2)
    assert status["state"] == "active"
    assert "damaged embedding" in caplog.text
    again = await hass.async_add_executor_job(lambda: sorted(images.glob("*.emb")))
    assert again == kept  # computed again and stored


async def test_heads_and_embeddings_of_an_earlier_recipe_are_learned_again(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    await taught(hass, fake_camera, loaded)
    info = loaded.runtime_data.backend.info
    assert info.embedding_space == embedding.space(info.sha256, embedding.RECIPE) != info.sha256
    await hass.config_entries.async_unload(loaded.entry_id)
    images = Path(hass.config.path(DATASET_DIR, "dataset", "images"))

    def as_recipe_1() -> int:
        """What an install from before embedding recipes holds: all keyed by the model's sha."""
        for version in learned_root(hass).glob(f"{CAMERA}/*/v*.json"):
            data = json.loads(version.read_bytes())
            data["head"]["model_sha256"] = info.sha256
            version.write_text(json.dumps(data))
        kept = sorted(images.glob("*.emb"))
        for path in kept:
            vector, _ = embedding.unpack(path.read_bytes())
            path.write_bytes(embedding.pack(vector, info.sha256))
        return len(kept)

    assert await hass.async_add_executor_job(as_recipe_1) == 8
    assert await hass.config_entries.async_setup(loaded.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    issue_id = f"learned_model_problem_{loaded.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    assert MISO not in loaded.runtime_data.data.learning
    # The old head is not used on new vectors; the answers' crops give them again, and retrain.
    status = (await call(hass, SERVICE_RETRAIN, config_entry_id=loaded.entry_id))[MISO]
    assert (status["positives"], status["negatives"], status["state"]) == (4, 4, "active")
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    spaces = await hass.async_add_executor_job(
        lambda: {embedding.unpack(p.read_bytes())[1] for p in images.glob("*.emb")}
    )
    assert spaces == {info.embedding_space}


def relit_copies(images: Path) -> list[tuple[list[Any], str]]:
    """Every answer's relit copies as kept: their embeddings and space."""
    return [embedding.unpack_all(p.read_bytes()) for p in sorted(images.glob("*.var"))]


async def test_answers_are_relit_once_a_label_is_taught_and_kept(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    images = Path(hass.config.path(DATASET_DIR, "dataset", "images"))
    for frames, yes in ((cats(0, 1), True), (others(0, 1), False)):
        for frame in frames:  # answers about the model's own label: nothing to relight for
            fake_camera.play([frame])
            verdict = "confirmed" if yes else "rejected"
            await call(
                hass, SERVICE_TEACH, config_entry_id=loaded.entry_id, label="cat", verdict=verdict
            )
    await settle_answers(hass)
    assert await hass.async_add_executor_job(relit_copies, images) == []
    await taught(hass, fake_camera, loaded)
    space = loaded.runtime_data.backend.info.embedding_space
    kept = await hass.async_add_executor_job(relit_copies, images)
    assert len(kept) == 12  # every answer of the camera: each is a yes or a no for Miso
    assert all(len(copies) == 2 and sha == space for copies, sha in kept)
    learner = loaded.runtime_data.learner
    assert sum(len(c) == 2 for c in learner.answers.copies.values()) == 12

    damaged = await hass.async_add_executor_job(lambda: min(images.glob("*.var")))
    await hass.async_add_executor_job(damaged.write_bytes, b"MLWE damaged")
    await hass.config_entries.async_reload(loaded.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    for _ in range(2):
        status = (await call(hass, SERVICE_RETRAIN, config_entry_id=loaded.entry_id))[MISO]
    assert (status["positives"], status["negatives"], status["state"]) == (4, 6, "active")
    assert caplog.text.count("damaged relit copies") == 1  # told once, then made again
    again = await hass.async_add_executor_job(embedding.unpack_all, damaged.read_bytes())
    assert (len(again[0]), again[1]) == (2, space)


async def test_relit_copies_wait_for_a_backend_that_fails_and_come_when_it_is_back(
    hass: HomeAssistant,
    fake_camera: FakeCamera,
    loaded: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: set[bytes] = set()
    relight = answers_module._relit

    def spy(crop: bytes) -> list[bytes]:
        images = relight(crop)
        made.update(images)
        return images

    backend = loaded.runtime_data.backend
    classify, down = backend.classify, [True]

    async def flaky(image: bytes, roi: Any = None) -> Any:
        if down[0] and image in made:  # as a server that went away mid-retrain
            raise RuntimeUnavailableError("the server is away")
        return await classify(image, roi)

    monkeypatch.setattr(answers_module, "_relit", spy)
    monkeypatch.setattr(backend, "classify", flaky)
    await taught(hass, fake_camera, loaded)
    images = Path(hass.config.path(DATASET_DIR, "dataset", "images"))
    assert await hass.async_add_executor_job(relit_copies, images) == []
    assert loaded.runtime_data.data.learning[MISO].state == "active"  # learned without them
    down[0] = False
    await call(hass, SERVICE_RETRAIN, config_entry_id=loaded.entry_id)
    assert len(await hass.async_add_executor_job(relit_copies, images)) == 8
