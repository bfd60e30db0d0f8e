"""What the benches share: the repo root on `sys.path`, and the process's peak memory.

`python bench/x.py` starts in bench/, away from `devtools`: importing this first puts it in reach.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
