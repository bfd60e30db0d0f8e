"""The Overview dashboard with mlwatch's review card, for the demo and the browser tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def review_dashboard(camera: str) -> dict[str, Any]:
    """The review card beside the camera, as the README suggests."""
    review = {"type": "custom:mlwatch-review-card", "camera": camera}
    side = {"type": "picture-entity", "entity": camera, "show_state": False}
    return {"title": "Home", "views": [{"title": "Front door", "cards": [review, side]}]}


def write_dashboard(config_dir: Path, config: dict[str, Any], *, keep: bool = False) -> None:
    """The Overview's config as HA stores it once a user takes control (before HA starts)."""
    path = config_dir / ".storage" / "lovelace"
    if keep and path.exists():  # the user's own edits win
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    stored = {"version": 1, "minor_version": 1, "key": "lovelace", "data": {"config": config}}
    path.write_text(json.dumps(stored, indent=2))
