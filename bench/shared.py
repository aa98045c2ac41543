"""Where the team's shared data lives (reference fixtures, the eval set).

The checkout's sibling folder ``shared/`` by default; ``GEMSEEK_SHARED``
points elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def status_mb(field: str) -> float:
    """A memory figure of this process from ``/proc/self/status`` (``VmRSS``, ``VmHWM``), in MB; 0 if absent."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_child(script: str, args: list[str], env: dict | None = None) -> dict:
    """Run ``script --child ARGS`` in a fresh interpreter and return the JSON on its last line."""
    out = subprocess.run(
        [sys.executable, script, "--child", *args], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed: {' '.join(args)}\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def open_embedder(paths, settings, batch_tokens: int = 256):
    """The model as the app opens it (the engine the probe chose); if this machine has no measured engine (the
    probe can time out on a machine loaded by other work), llama.cpp's defaults with 2 threads, said on stderr."""
    from app.core.embedder import LlamaEmbedder
    from app.core.engine import active
    from app.core.model import gguf_info
    from app.core.model_setup import load_embedder

    if active.current(paths, settings) is not None:
        return load_embedder(paths, settings, prepare=False, batch_tokens=batch_tokens)
    info = gguf_info(paths.gguf_file(settings.quantization), settings.quantization)
    print(f"no measured engine for {settings.quantization}: llama.cpp defaults, 2 threads", file=sys.stderr)
    return LlamaEmbedder(info.path, dimension=settings.dimension, threads=2, fingerprint=info.fingerprint,
                         batch_tokens=batch_tokens)
