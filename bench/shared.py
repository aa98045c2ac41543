"""Where the team's shared data lives (reference fixtures, the eval set).

The checkout's sibling folder ``shared/`` by default; ``GEMSEEK_SHARED``
points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_CANDIDATES = (ROOT.parent / "shared", Path("/work/shared"))


def shared_dir() -> Path:
    """The shared folder, or an error that says how to point at it."""
    env = os.environ.get("GEMSEEK_SHARED")
    for candidate in ([Path(env)] if env else list(_CANDIDATES)):
        if (candidate / "eval").is_dir():
            return candidate
    raise FileNotFoundError(
        "the shared data folder (fixtures/, eval/) was not found beside the checkout; set GEMSEEK_SHARED"
    )
