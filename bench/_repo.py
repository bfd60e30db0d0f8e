"""Puts the repo root on `sys.path`: `python bench/x.py` starts in bench/, away from `devtools`."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
