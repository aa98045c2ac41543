"""The index service: what it leaves out of the walk and the watch."""

from __future__ import annotations

import threading
import time

from app.core.paths import Paths
from app.core.progress import CancelToken
from app.core.services import IndexService
from app.core.settings import Settings
from tests.helpers.fakes import FakeEmbedder


def test_with_its_home_inside_an_indexed_folder_an_idle_watch_stays_idle(tmp_path):
    docs = tmp_path / "Documents"
    docs.mkdir()
    (docs / "letter.txt").write_text("Dear tenant, the monthly rent increases by five percent.")
    paths = Paths.resolve(docs / "gemseek-home")  # --home inside a root, like ~/Library on macOS
    settings = Settings(roots=(str(docs),), skip_types=("code",))
    service = IndexService(paths, settings, embedder=FakeEmbedder())
    cancel = CancelToken()
    batches, caught_up = [], threading.Event()

    def watch() -> None:
        for batch, _ in service.watch(cancel, poll=0.1):
            if batch is None:
                caught_up.set()
            else:
                batches.append(batch)

    worker = threading.Thread(target=watch)
    worker.start()
    try:
        assert caught_up.wait(30)
        generation = service.store.catalog.generation()
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline and not batches:
            threading.Event().wait(0.1)
        assert batches == [], "Gemseek indexed its own writes"
        assert service.store.catalog.generation() == generation
        (docs / "tool.py").write_text("def retry(): pass\n")  # an unticked type, changed while watched
        (docs / "note.txt").write_text("Water the tomatoes in May.")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not service.store.catalog.get_file(str(docs / "note.txt").encode()):
            threading.Event().wait(0.1)
    finally:
        cancel.cancel()
        worker.join(30)
        names = {p.split("/")[-1] for p, _ in service.store.catalog.skipped()}
        files = [r.path for r in service.store.catalog.iter_files()]
        service.close()
    assert any(f.endswith(b"note.txt") for f in files)
    assert not any(f.endswith(b"tool.py") for f in files) and "tool.py" not in names
    assert not any(b"gemseek-home" in f for f in files)
