"""Run one real indexing job in its own process (the crash-safety test kills it).

    python -m tests.helpers.index_child HOME ROOT

Uses the real indexer, catalog, vector index and extraction worker; only the
model is the fake one, slowed a little so that a kill lands mid-work.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from app.core.indexer import Indexer, IndexOptions
from app.core.paths import Paths
from app.core.store import Store
from tests.helpers.fakes import FakeEmbedder


class SlowFake(FakeEmbedder):
    def embed_documents(self, texts, titles=None, *, full=False):
        time.sleep(0.005 * len(texts))
        return super().embed_documents(texts, titles, full=full)


def main(home: str, root: str) -> None:
    emb = SlowFake()
    store = Store(Paths.resolve(home), emb.fingerprint, 256)
    with Indexer(store, emb, IndexOptions(chunk_tokens=64, overlap_tokens=8, save_every=0.2)) as ix:
        for p in ix.sync([Path(root)]):
            print(p.stage, p.done, flush=True)
    store.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
