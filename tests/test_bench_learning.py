"""bench/learning.py on a tiny generated doorstep set and on an export: the JSON it ends with."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from custom_components.mlwatch.core.export import export
from devtools import REPO

BENCH = REPO / "bench"
LEARNING = REPO / "custom_components" / "mlwatch" / "core" / "learning.py"

pytestmark = pytest.mark.skipif(not LEARNING.exists(), reason="core/learning.py has not landed")


def run(script: str, *args: str) -> str:
    """A bench script as a user runs it, from the repo root; its standard output."""
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def last_json(stdout: str) -> dict[str, Any]:
    """The last printed line, which --json makes one JSON object."""
    out: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return out


def check_shape(out: dict[str, Any], shots: int, labels: set[str], base: set[str]) -> None:
    """Exactly the issue's shape: per label personal P/R/F1/F1 min, base or null, two timings."""
    assert set(out) == {"shots", "labels"}
    assert out["shots"] == shots
    assert set(out["labels"]) == labels
    for label, entry in out["labels"].items():
        assert set(entry) == {"personal", "base", "train_ms", "frame_ms"}
        assert set(entry["personal"]) == {"precision", "recall", "f1", "f1_min"}
        assert all(0 <= v <= 1 for v in entry["personal"].values())
        assert entry["personal"]["f1_min"] <= entry["personal"]["f1"]
        if label in base:
            assert set(entry["base"]) == {"precision", "recall", "f1"}
            assert all(0 <= v <= 1 for v in entry["base"].values())
        else:
            assert entry["base"] is None
        assert entry["train_ms"] >= 0
        assert entry["frame_ms"] >= 0


@pytest.fixture(scope="module")
def doorstep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny seeded set from the generator, without darknet's dogs (so no dog folder)."""
    out = tmp_path_factory.mktemp("doorstep")
    run("make_doorstep.py", "--out", str(out), "--seed", "1", "--per-label", "8",
        "--root", str(out / "absent"))  # fmt: skip
    return out


def test_generated_set(doorstep: Path) -> None:
    """The generator writes ImageFolder folders; the benchmark's last line is the JSON."""
    assert {p.name for p in doorstep.iterdir()} == {"cat", "person", "none"}
    assert len(list((doorstep / "none").glob("*.jpg"))) == 16
    stdout = run("learning.py", "--dataset", str(doorstep), "--shots", "2", "--reps", "2",
                 "--scale", "50", "--json")  # fmt: skip
    check_shape(last_json(stdout), 2, {"cat", "person"}, {"cat"})
    assert "Episodes through the debouncer" in stdout
    assert "the retrain after one more answer" in stdout


def test_export_layout(doorstep: Path, tmp_path: Path) -> None:
    """An `export_dataset` output, made by the real exporter, is accepted as it is."""
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    verdicts = [("cat", "confirmed", ""), ("cat", "rejected", ""), ("cat", "rejected", "person")]
    for folder in ("cat", "person", "none"):
        for i, path in enumerate(sorted((doorstep / folder).glob("*.jpg"))[:6]):
            row_id = uuid.uuid4().hex
            (images / f"{row_id}_crop.jpg").write_bytes(path.read_bytes())
            label, verdict, corrected = {
                "cat": verdicts[0],
                "person": verdicts[2] if i % 2 else ("person", "confirmed", ""),
                "none": verdicts[1] if i % 2 else ("person", "rejected", ""),
            }[folder]
            rows.append({
                "id": row_id, "camera": "camera.door", "label": label, "verdict": verdict,
                "corrected_label": corrected, "source": "test", "scores": "{}",
                "model_sha256": "", "time": str(float(i)),
            })  # fmt: skip
    export(rows, images, tmp_path / "export")
    out = last_json(run("learning.py", "--dataset", str(tmp_path / "export"), "--shots", "2",
                        "--reps", "2", "--scale", "0", "--json"))  # fmt: skip
    check_shape(out, 2, {"cat", "person"}, {"cat"})


def test_outside_folder(doorstep: Path, tmp_path: Path) -> None:
    """Any ImageFolder tree: a label of its own name, only five frames a folder, a --roi."""
    for folder, name in (("cat", "miso"), ("none", "none")):
        (tmp_path / name).mkdir()
        for path in sorted((doorstep / folder).glob("*.jpg"))[:5]:
            (tmp_path / name / f"{path.stem}.jpg").write_bytes(path.read_bytes())
    out = last_json(run("learning.py", "--dataset", str(tmp_path), "--shots", "1", "--reps", "2",
                        "--roi", "0.1,0.2,0.8,0.8", "--scale", "0", "--json"))  # fmt: skip
    check_shape(out, 1, {"miso"}, set())


def test_solver_bench_compares_every_preconditioner_at_one_optimum(doorstep: Path) -> None:
    """bench/solver.py's table: four steerings per label, each checked to reach the same head."""
    stdout = run("solver.py", "--dataset", str(doorstep), "--scale", "2000")
    rows = [line for line in stdout.splitlines() if line.startswith("| cat |")]
    assert [row.split(" | ")[1] for row in rows] == [
        "exact inverse", "rank 32", "rank 64", "rank 128"]  # fmt: skip
    assert rows[0].split(" | ")[3] == "1.00"  # each ratio is to the exact inverse
    assert {line.split(" | ")[0] for line in stdout.splitlines() if "rank 64" in line} == {
        "| cat", "| person"}  # fmt: skip


def test_asking_bench_runs_five_ways_on_the_same_start(doorstep: Path) -> None:
    """bench/asking.py: every way starts from the same answers and only gains answers by day."""
    stdout = run("asking.py", "--dataset", str(doorstep), "--start", "2", "--days", "2",
                 "--visits", "4", "--empty", "0.5", "--reps", "2", "--json")  # fmt: skip
    out = last_json(stdout)
    assert set(out["labels"]) == {"cat", "person"}
    assert out["empty"] == 0.5
    for result in out["labels"].values():
        days = result["days"]
        assert set(days) == {"asks", "grey", "detections", "random", "random_questions"}
        assert len({way["f1"][0] for way in days.values()}) == 1  # day 0: the same answers
        for way in days.values():
            assert len(way["f1"]) == len(way["answers"]) == 3
            assert all(0 <= f <= 1 for f in way["f1"])
            assert way["answers"] == sorted(way["answers"])
        assert days["random"]["answers"] == days["asks"]["answers"]  # as many, drawn at random


def test_relit_copies_change_only_a_taught_label(doorstep: Path) -> None:
    """learning.py and learning.py --plain: the base label's figures are the very same."""
    common = ("--dataset", str(doorstep), "--shots", "2", "--reps", "2", "--scale", "0", "--json")
    relit, plain = run("learning.py", *common), run("learning.py", *common, "--plain")
    assert "relit copies for taught labels" in relit.splitlines()[0]
    assert "no relit copies" in plain.splitlines()[0]
    assert (
        last_json(relit)["labels"]["cat"]["personal"]
        == last_json(plain)["labels"]["cat"]["personal"]
    )


def test_loo_bench_finds_both_ways_alike(doorstep: Path) -> None:
    """bench/loo.py stops if the two ways' held-out scores differ; a taught label's rows triple."""
    stdout = run("loo.py", "--dataset", str(doorstep))
    rows = [line.split(" | ") for line in stdout.splitlines() if line.startswith("| ")][2:]
    person = [("| person", "no"), ("| person", "yes")]
    assert [(r[0], r[2]) for r in rows] == [("| cat", "no"), ("| cat", "no"), *person, *person]
    for row in rows:
        assert int(row[3]) == int(row[1]) * (3 if row[2] == "yes" else 1)
