from __future__ import annotations

from pathlib import Path

import pytest

from convert.pipeline import convert
from tests.convert.synthetic import make_checkpoint

# clean_env (autouse: tests never see the developer's GEMSEEK_* variables), paths, serve.
pytest_plugins = ["tests.helpers.fixtures"]


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("tiny") / "ckpt")


@pytest.fixture(scope="session")
def tiny_gguf(tiny_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory):
    """Convert the tiny checkpoint once per type and hand out the paths."""
    out_dir = tmp_path_factory.mktemp("gguf")
    made: dict[str, Path] = {}

    def get(qtype: str) -> Path:
        if qtype not in made:
            made[qtype] = convert(tiny_checkpoint, qtype, out_dir / f"tiny-{qtype}.gguf")
        return made[qtype]

    return get
