"""Teaching Miso, the cat the model does not know: the helpers of the learning tests."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.mlwatch.const import CONF_WATCHED, DOMAIN, SERVICE_RESET, SERVICE_TEACH
from tests import FakeCamera, settle_answers, variants

MISO = "Miso"  # the cat's name: a label the model does not have
CAT_PHOTO = "chelsea"
OTHERS = ("coffee", "astronaut", "rocket", "camera")


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    """An mlwatch action, blocking, with its response when it has one."""
    respond = service != SERVICE_RESET
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=respond
    )


async def teach(
    hass: HomeAssistant, camera: FakeCamera, entry: MockConfigEntry, frames: list[bytes], yes: bool
) -> None:
    """Show each frame to the camera and teach it as a yes (or no) for Miso."""
    for frame in frames:
        camera.play([frame])
        await call(
            hass,
            SERVICE_TEACH,
            config_entry_id=entry.entry_id,
            label=MISO,
            verdict="confirmed" if yes else "rejected",
        )


# Made at import, not on the event loop: decoding the sample photos is blocking I/O.
CAT_FRAMES = variants(CAT_PHOTO, range(16))
OTHER_FRAMES = [variants(OTHERS[seed % len(OTHERS)], [seed])[0] for seed in range(32)]


def cats(*seeds: int) -> list[bytes]:
    return [CAT_FRAMES[seed] for seed in seeds]


def others(*seeds: int) -> list[bytes]:
    return [OTHER_FRAMES[seed] for seed in seeds]


async def taught(hass: HomeAssistant, camera: FakeCamera, entry: MockConfigEntry) -> None:
    """Four yes and four no answers for Miso, then the retrain they start."""
    await teach(hass, camera, entry, cats(0, 1, 2, 3), yes=True)
    await teach(hass, camera, entry, others(0, 1, 2, 3), yes=False)
    await settle_answers(hass)


async def watch_miso(hass: HomeAssistant, entry: MockConfigEntry, beside: str = "cat") -> None:
    """Watch Miso beside one of the model's labels, and reload."""
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_WATCHED: [beside, MISO]}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
