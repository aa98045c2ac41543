"""The services: what the index service leaves out of the walk and the watch; the models they let go of."""

from __future__ import annotations

import json
import threading
import time

from app.core import services
from app.core.paths import Paths
from app.core.progress import CancelToken
from app.core.services import IndexService, SearchService
from app.core.settings import Settings
from app.core.store import SaveSchedule, vector_path
from tests.helpers.fakes import FakeEmbedder


def watching(service: IndexService, cancel: CancelToken) -> tuple[threading.Thread, threading.Event, list]:
    """``service.watch`` running on a thread: the thread, an event set once caught up, and the batches indexed."""
    caught_up, batches = threading.Event(), []

    def watch() -> None:
        for batch, _ in service.watch(cancel, poll=0.1):
            if batch is None:
                caught_up.set()
            else:
                batches.append(batch)

    worker = threading.Thread(target=watch)
    worker.start()
    return worker, caught_up, batches


def test_with_its_home_inside_an_indexed_folder_an_idle_watch_stays_idle(tmp_path):
    docs = tmp_path / "Documents"
    docs.mkdir()
    (docs / "letter.txt").write_text("Dear tenant, the monthly rent increases by five percent.")
    paths = Paths.resolve(docs / "gemseek-home")  # --home inside a root, like ~/Library on macOS
    settings = Settings(roots=(str(docs),), skip_types=("code",))
    service = IndexService(paths, settings, embedder=FakeEmbedder())
    cancel = CancelToken()
    worker, caught_up, batches = watching(service, cancel)
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


class ReleasingFake(FakeEmbedder):
    released = 0

    def release_buffers(self) -> None:
        self.released += 1


def test_an_idle_watch_saves_the_index_when_due_and_lets_go_of_the_models_batch_memory(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(3):
        (docs / f"n{i}.txt").write_text(f"Note {i} about the garden and the rent.")
    paths = Paths.resolve(tmp_path / "home")
    embedder = ReleasingFake()
    service = IndexService(paths, Settings(roots=(str(docs),)), embedder=embedder)
    side = vector_path(paths, 768).with_name("vectors-768.hnsw.json")
    cancel = CancelToken()
    worker, caught_up, _ = watching(service, cancel)
    try:
        assert caught_up.wait(30)
        assert json.loads(side.read_text())["count"] == 0  # too few changes for the app's schedule: not saved
        service.store.schedule = SaveSchedule(quiet=0.3, every=0, share=0, least=1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and json.loads(side.read_text())["count"] < 3:
            threading.Event().wait(0.1)  # saved by the idle watch once quiet for 0.3 s
        assert json.loads(side.read_text())["generation"] == service.store.catalog.generation()
        assert embedder.released > 0
    finally:
        cancel.cancel()
        worker.join(30)
        service.close()


class UnloadingFake(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.idle_after: list[float] = []

    def unload_when_idle(self, seconds: float) -> None:
        self.idle_after.append(seconds)


def test_services_that_load_their_own_model_unload_it_when_it_goes_unused(tmp_path, monkeypatch):
    loaded: list[UnloadingFake] = []

    def load(*args, **kwargs) -> UnloadingFake:
        loaded.append(UnloadingFake())
        return loaded[-1]

    monkeypatch.setattr(services, "prepare_model", lambda *a: iter(()))
    monkeypatch.setattr(services, "load_embedder", load)
    paths = Paths.resolve(tmp_path / "home")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("A note about the garden.")
    settings = Settings(roots=(str(docs),))
    with IndexService(paths, settings) as index:
        index.sync()
        with SearchService(paths, settings) as search:
            assert search.search("garden")
    assert [e.idle_after for e in loaded] == [[services.MODEL_IDLE_S]] * 2
    given = UnloadingFake()
    IndexService(paths, settings, embedder=given).close()  # an embedder handed in keeps what its owner set up
    assert given.idle_after == []


class UnloadedFake(FakeEmbedder):
    """A model unloaded while idle: ``warm`` loads it (slowly), and embedding notes when it ran."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded = True
        self.events: list[str] = []

    def warm(self) -> None:
        self.events.append("warm")
        time.sleep(0.3)
        self.loaded = True

    def embed_documents(self, texts, titles=None, *, full=False):
        self.events.append("embed")
        return super().embed_documents(texts, titles, full=full)


def test_a_change_after_the_model_was_unloaded_loads_it_while_the_watcher_lets_the_change_settle(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("A note about the garden.")
    embedder = UnloadedFake()
    service = IndexService(Paths.resolve(tmp_path / "home"), Settings(roots=(str(docs),)), embedder=embedder)
    cancel = CancelToken()
    worker, caught_up, batches = watching(service, cancel)
    try:
        assert caught_up.wait(30)
        assert "warm" not in embedder.events  # loaded: nothing to do
        embedder.loaded = False  # the idle time passed
        embedder.events.clear()
        (docs / "b.txt").write_text("Water the tomatoes in May.")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not batches:
            threading.Event().wait(0.05)
        assert batches
        assert embedder.events[:2] == ["warm", "embed"]  # the load began before the batch was handed out
        assert embedder.events.count("warm") == 1
    finally:
        cancel.cancel()
        worker.join(30)
        service.close()
