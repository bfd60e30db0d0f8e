"""Write a seeded synthetic doorstep set as ImageFolder: OUT/<label>/*.jpg and OUT/none/*.jpg.

Run: .venv/bin/python bench/make_doorstep.py --out DIR [--seed 0] [--per-label 60] [--root /]

Real photos from registry packages (see bench/README.md for provenance and licences), cropped and
composited on one fixed doorstep scene under day, dusk and IR-night light, with camera tilt, blur,
noise and JPEG quality drawn per frame. scikit-image's samples are always there; the dog and box
photos come from Debian's `darknet` and `opencv-doc` packages, installed or only unpacked under
`--root` (bench/README.md has the commands). A folder whose photos are missing is left out, and the
script says so.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from skimage import data as samples

Image = np.ndarray[Any, Any]

WIDTH, HEIGHT = 640, 480
DARKNET = Path("usr/share/darknet/data")  # under --root: Debian's darknet photos
OPENCV = Path("usr/share/doc/opencv-doc/examples/data")  # under --root: opencv-doc's samples
LIGHTS = ("day", "dusk", "night")


@dataclass(frozen=True, slots=True)
class Source:
    """One real photo, the box (x0, y0, x1, y1, in its own pixels) that holds the subject."""

    name: str
    load: Callable[[], Image]
    box: tuple[int, int, int, int] | None = None

    def crop(self) -> Image:
        """The subject, RGB."""
        image = self.load()
        if image.ndim == 2:  # a grey photo has no channel axis
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
        if self.box is None:
            return image
        x0, y0, x1, y1 = self.box
        return image[y0:y1, x0:x1]


def _sample(name: str) -> Callable[[], Image]:
    return lambda: np.asarray(getattr(samples, name)())


def _file(path: Path) -> Callable[[], Image]:
    def load() -> Image:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(path)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    return load


def sources(root: Path) -> dict[str, list[Source]]:
    """The photos per folder; `none` holds the distractors that share the mat with no label."""
    found: dict[str, list[Source]] = {
        "cat": [Source("skimage chelsea", _sample("chelsea"))],
        "person": [
            Source("skimage astronaut", _sample("astronaut"), (60, 0, 460, 512)),
            Source("skimage camera", _sample("camera"), (60, 0, 400, 512)),
        ],
        "none": [
            Source("skimage coffee", _sample("coffee"), (0, 0, 600, 400)),
        ],
    }
    darknet, opencv = root / DARKNET, root / OPENCV
    if (darknet / "dog.jpg").is_file() and (darknet / "person.jpg").is_file():
        dog, person = _file(darknet / "dog.jpg"), _file(darknet / "person.jpg")
        found["dog"] = [
            Source("darknet dog", dog, (126, 216, 306, 540)),
            Source("darknet person (its dog)", person, (62, 258, 206, 348)),
        ]
        found["person"].append(Source("darknet person", person, (208, 92, 282, 378)))
        found["none"].append(Source("darknet dog (its bicycle)", dog, (330, 130, 570, 420)))
    else:
        print(f"no dog photos in {darknet}: the set has no dog folder", file=sys.stderr)
    if (opencv / "box.png").is_file() and (opencv / "box_in_scene.png").is_file():
        scene_ = _file(opencv / "box_in_scene.png")
        found["parcel"] = [
            Source("opencv-doc box", _file(opencv / "box.png")),
            Source("opencv-doc box_in_scene (rice box)", scene_, (245, 155, 390, 350)),
        ]
    else:
        print(f"no box photos in {opencv}: the set has no parcel folder", file=sys.stderr)
    return found


@cache
def scene() -> Image:
    """The fixed doorstep, RGB float: brick wall, a door, paving and a coir mat; no randomness."""

    def texture(name: str, size: tuple[int, int]) -> Image:
        tile = np.asarray(getattr(samples, name)(), np.float32) / 255.0
        reps = (size[1] // tile.shape[0] + 1, size[0] // tile.shape[1] + 1)
        return np.tile(tile, reps)[: size[1], : size[0]]

    out = np.empty((HEIGHT, WIDTH, 3), np.float32)
    horizon = int(HEIGHT * 0.55)
    wall = texture("brick", (WIDTH, horizon))
    out[:horizon] = wall[..., None] * np.array([190, 110, 90], np.float32)
    ground = texture("gravel", (WIDTH, HEIGHT - horizon))
    out[horizon:] = ground[..., None] * np.array([150, 145, 140], np.float32) + 40
    x0, x1 = int(WIDTH * 0.33), int(WIDTH * 0.67)  # the door, with a frame and a handle
    grain = texture("grass", (x1 - x0, horizon - 20))
    out[20:horizon, x0:x1] = 60 + grain[..., None] * np.array([70, 45, 25], np.float32)
    out[20:horizon, x0 - 8 : x0] = out[20:horizon, x1 : x1 + 8] = 220
    out[horizon // 2 : horizon // 2 + 10, x1 - 30 : x1 - 18] = (200, 180, 90)
    m0, m1, my0, my1 = int(WIDTH * 0.25), int(WIDTH * 0.75), horizon + 30, HEIGHT - 40
    coir = texture("grass", (m1 - m0, my1 - my0))
    out[my0:my1, m0:m1] = 90 + coir[..., None] * np.array([110, 75, 35], np.float32)
    out[my0:my1, m0 : m0 + 6] = out[my0:my1, m1 - 6 : m1] = 50
    return out


def _paste(frame: Image, subject: Image, rng: np.random.Generator) -> None:
    """Composite the subject near the mat with a feathered edge, at a random size and place."""
    height = int(HEIGHT * rng.uniform(0.35, 0.7))
    width = max(8, int(subject.shape[1] * height / subject.shape[0]))
    if width > WIDTH * 0.8:
        width = int(WIDTH * 0.8)
        height = max(8, int(subject.shape[0] * width / subject.shape[1]))
    piece = cv2.resize(subject, (width, height), interpolation=cv2.INTER_AREA).astype(np.float32)
    if rng.random() < 0.5:
        piece = piece[:, ::-1]
    cx = int(rng.uniform(0.3, 0.7) * WIDTH)
    bottom = int(rng.uniform(0.8, 0.98) * HEIGHT)
    x0, y0 = max(0, cx - width // 2), max(0, bottom - height)
    x1, y1 = min(WIDTH, x0 + width), min(HEIGHT, y0 + height)
    piece = piece[: y1 - y0, : x1 - x0]
    alpha = np.zeros(piece.shape[:2], np.float32)
    edge = max(2, min(piece.shape[:2]) // 12)
    alpha[edge:-edge, edge:-edge] = 1.0
    soft = cv2.GaussianBlur(alpha, (0, 0), edge / 2)[..., None]
    frame[y0:y1, x0:x1] = soft * piece + (1 - soft) * frame[y0:y1, x0:x1]


def _light(frame: Image, light: str, rng: np.random.Generator) -> Image:
    """Day: bright and warm; dusk: dark, blue, low contrast; night: IR grey with a hot centre."""
    if light == "day":
        return frame * rng.uniform(0.9, 1.25) * np.array([1.05, 1.0, 0.92], np.float32)
    if light == "dusk":
        gain = rng.uniform(0.3, 0.55)
        return (frame * gain * np.array([0.8, 0.9, 1.15], np.float32)) + 10
    grey = frame @ np.array([0.3, 0.59, 0.11], np.float32)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    spot = 1.3 - 0.9 * (((xx - WIDTH / 2) / WIDTH) ** 2 + ((yy - HEIGHT / 2) / HEIGHT) ** 2)
    grey = grey * spot * rng.uniform(0.6, 1.0)
    return np.repeat(grey[..., None], 3, axis=2)


def frame(subject: Image | None, rng: np.random.Generator) -> tuple[bytes, str]:
    """One JPEG camera frame of the doorstep, with the subject on it if there is one."""
    image = scene().copy()
    if subject is not None:
        _paste(image, subject, rng)
    light = LIGHTS[int(rng.integers(len(LIGHTS)))]
    image = _light(image, light, rng)
    tilt = rng.uniform(-8, 8)  # the camera is never mounted quite level
    turn = cv2.getRotationMatrix2D((WIDTH / 2, HEIGHT / 2), tilt, 1.0 + abs(tilt) / 40)
    image = cv2.warpAffine(image, turn, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT)
    sigma = rng.uniform(0, 2.5)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    noise = rng.uniform(2, 14) * (2 if light == "night" else 1)
    image = image + np.asarray(rng.normal(0.0, noise, image.shape), np.float32)
    bgr = cv2.cvtColor(np.clip(image, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR)
    quality = int(rng.integers(35, 92))
    ok, encoded = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encode failed")
    return encoded.tobytes(), light


def generate(out: Path, seed: int, per_label: int, root: Path) -> dict[str, int]:
    """Write the set; `none` gets twice `per_label` frames, a third of them with a distractor."""
    found = sources(root)
    counts: dict[str, int] = {}
    for label in sorted(found):
        rng = np.random.default_rng([seed, *label.encode()])  # a folder does not shift the others
        folder = out / label
        folder.mkdir(parents=True, exist_ok=True)
        count = 2 * per_label if label == "none" else per_label
        crops = [s.crop() for s in found[label]]
        for i in range(count):
            subject: Image | None
            if label == "none" and rng.random() >= 1 / 3:
                subject = None  # the empty mat, the commonest frame a doorbell sees
            else:
                subject = crops[int(rng.integers(len(crops)))]
            jpeg, light = frame(subject, rng)
            (folder / f"{label}_{i:04d}_{light}.jpg").write_bytes(jpeg)
        counts[label] = count
    return counts


def main() -> None:
    """Parse the arguments and write the set."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-label", type=int, default=60)
    parser.add_argument("--root", type=Path, default=Path("/"), help="where the .debs are unpacked")
    args = parser.parse_args()
    counts = generate(args.out, args.seed, args.per_label, args.root)
    print(", ".join(f"{label}: {n}" for label, n in counts.items()), f"frames in {args.out}")


if __name__ == "__main__":
    main()
