"""Run one real indexing job in its own process (the crash-safety test kills it).

    python -m tests.helpers.index_child HOME ROOT

Uses the real indexer, catalog, vector index and extraction worker; only the
model is the fake one, slowed a little so that a kill lands mid-work.
GEMSEEK_TEST_DIM and GEMSEEK_TEST_MODEL choose the index dimension (256) and
the fake model's name (a model switch re-embeds everything). With
GEMSEEK_TEST_FSIZE=N no file can grow beyond N bytes (RLIMIT_FSIZE, as a full
disk or quota would stop it); a GemseekError ends it with its message and
status 3. It saves the vector index as often as every 0.2 s, so that kills
land inside saves too; with GEMSEEK_TEST_SAVE=app it keeps the app's schedule
(no save in a short run) and, with GEMSEEK_TEST_HOLD=1, prints "synced" once
the pass is done and waits to be killed, before it would close (and save).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from app.core.errors import GemseekError
from app.core.indexer import Indexer, IndexOptions
from app.core.paths import Paths
from app.core.store import SaveSchedule, Store
from tests.helpers.fakes import FakeEmbedder


class SlowFake(FakeEmbedder):
    def embed_documents(self, texts, titles=None, *, full=False):
        time.sleep(0.005 * len(texts))
        return super().embed_documents(texts, titles, full=full)


def main(home: str, root: str) -> int:
    limit = os.environ.get("GEMSEEK_TEST_FSIZE")
    if limit:
        import resource
        import signal

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(limit), int(limit)))
    emb = SlowFake()
    emb.fingerprint = os.environ.get("GEMSEEK_TEST_MODEL", emb.fingerprint)
    dim = int(os.environ.get("GEMSEEK_TEST_DIM", "256"))
    try:
        often = SaveSchedule(quiet=0, every=0.2, share=0, least=1)
        schedule = SaveSchedule() if os.environ.get("GEMSEEK_TEST_SAVE") == "app" else often
        store = Store(Paths.resolve(home), emb.fingerprint, dim, schedule=schedule)
        with Indexer(store, emb, IndexOptions(chunk_tokens=64, overlap_tokens=8)) as ix:
            for p in ix.sync([Path(root)]):
                print(p.stage, p.done, flush=True)
        if os.environ.get("GEMSEEK_TEST_HOLD"):
            print("synced", flush=True)
            sys.stdin.read()  # until killed
        store.close()
    except GemseekError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
