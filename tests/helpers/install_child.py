"""Install a checkpoint again and again from a local folder (bench/reliability.py kills it mid-install).

    python -m tests.helpers.install_child HOME SOURCE_FOLDER

The files are those of :func:`big_files`; each round is a forced fetch
(copy into staging, verify, swap in) and prints ``installed N``.
"""

from __future__ import annotations

import random
import sys

from app.core.fetch import fetch_checkpoint
from app.core.paths import Paths
from tests.helpers.wheels import manifest_for


def big_files(seed: int = 0) -> dict[str, bytes]:
    """A checkpoint-shaped set of files large enough (about 40 MB) that a kill lands inside an install."""
    rng = random.Random(seed)
    return {
        "model.safetensors": rng.randbytes(36_000_000),
        "2_Dense/model.safetensors": rng.randbytes(3_000_000),
        "tokenizer.json": b'{"fake": "tokenizer"}\n' * 4000,
        "config.json": b'{"hidden_size": 8}\n',
    }


MANIFEST = manifest_for(big_files())


def main(home: str, source: str) -> int:
    paths = Paths.resolve(home)
    n = 0
    while True:
        for _ in fetch_checkpoint(paths, source, manifest=MANIFEST, force=True):
            pass
        n += 1
        print(f"installed {n}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
