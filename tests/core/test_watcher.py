"""The watcher against real folders and the real watchdog backend.

Waiting for the OS is unavoidable here; every wait polls a condition with a
generous deadline, and a test that expects silence waits a bounded quiet time.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from watchdog.observers import Observer

from app.core import watcher as watcher_module
from app.core.change_batch import ChangeBatch, PendingChanges
from app.core.ignore import is_ignored
from app.core.watcher import MODE_EVENTS, MODE_POLLING, MODE_WAITING, Watcher

DEADLINE = 15.0  # seconds; generous for a loaded 2-core machine


# -- helpers -----------------------------------------------------------------


@pytest.fixture
def watch() -> Iterator[Callable[..., Watcher]]:
    """Start watchers with quick test timings; stop them all at the end."""
    started: list[Watcher] = []

    def start(roots: list[Path], **kwargs) -> Watcher:
        kwargs.setdefault("debounce", 0.2)
        kwargs.setdefault("poll_interval", 0.3)
        w = Watcher(roots, **kwargs)
        w.start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def collect(w: Watcher, until: Callable[[list[ChangeBatch]], bool]) -> list[ChangeBatch]:
    """Gather batches until ``until(batches)`` holds; fail at the deadline."""
    batches: list[ChangeBatch] = []
    deadline = time.monotonic() + DEADLINE
    while not until(batches):
        left = deadline - time.monotonic()
        assert left > 0, f"condition not met in time; got {batches}"
        batch = w.get(timeout=min(left, 0.5))
        if batch is not None:
            batches.append(batch)
    return batches


def paths_of(batches: list[ChangeBatch]) -> set[Path]:
    return set().union(*(b.paths for b in batches))


def rescans_of(batches: list[ChangeBatch]) -> set[Path]:
    return set().union(*(b.rescan for b in batches))


def seen(*paths: Path) -> Callable[[list[ChangeBatch]], bool]:
    return lambda batches: set(paths) <= paths_of(batches)


def rescanned(*folders: Path) -> Callable[[list[ChangeBatch]], bool]:
    return lambda batches: set(folders) <= rescans_of(batches)


def mode_of(w: Watcher, root: Path) -> str:
    return w.status()["roots"][str(root)]


def wait_for_mode(w: Watcher, root: Path, mode: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while mode_of(w, root) != mode:
        assert time.monotonic() < deadline, f"{root} stayed {mode_of(w, root)!r}"
        time.sleep(0.02)  # polling a condition, not waiting a fixed time


# -- the ignore rules (pure) ---------------------------------------------------

ROOT = Path("/data/root")


@pytest.mark.parametrize(
    ("rel", "excludes", "ignored"),
    [
        ("notes/plan.md", (), False),
        (".git/objects/ab/cdef", (), True),
        ("src/node_modules/pkg/index.js", (), True),
        ("proj/__pycache__/m.pyc", (), True),
        ("proj/target/debug/x", (), True),
        (".hidden.txt", (), True),
        ("notes/.plan.md.swp", (), True),
        ("notes/plan.md~", (), True),
        ("notes/~$report.docx", (), True),
        ("notes/plan.md", ("*.log",), False),
        ("logs/today.log", ("*.log",), True),
        ("a/drafts/b/c.txt", ("drafts",), True),
        ("a/drafts-old/c.txt", ("drafts",), False),
        ("archive/old2019/x.txt", ("archive/old*",), True),
        ("archive/old2019/x.txt", ("/archive/old*/",), True),
        ("sub/archive/old2019/x.txt", ("archive/old*",), False),
        ("private/deep/secret.txt", ("private/*",), True),
    ],
)
def test_is_ignored(rel: str, excludes: tuple[str, ...], ignored: bool) -> None:
    assert is_ignored(ROOT / rel, ROOT, excludes) is ignored


def test_is_ignored_judges_only_below_the_root() -> None:
    hidden_root = Path("/home/me/.local/docs")
    assert not is_ignored(hidden_root / "a.txt", hidden_root, ())
    assert not is_ignored(hidden_root, hidden_root, ())
    with pytest.raises(ValueError):
        is_ignored(Path("/elsewhere/a.txt"), hidden_root, ())


# -- coalescing (pure) -----------------------------------------------------------


def test_pending_prunes_what_a_rescan_covers() -> None:
    p = PendingChanges(max_paths=100)
    p.add_path(ROOT / "d/x.txt", ROOT)  # arrives before its folder's rescan
    p.add_rescan(ROOT / "d", ROOT)
    p.add_path(ROOT / "d/y.txt", ROOT)  # covered when it arrives
    p.add_rescan(ROOT / "d/sub", ROOT)
    p.add_path(ROOT / "e.txt", ROOT)
    assert p.take() == ChangeBatch(
        paths=frozenset({ROOT / "e.txt"}), rescan=frozenset({ROOT / "d"})
    )
    assert not p


def test_pending_folds_the_busiest_root_into_a_rescan() -> None:
    other = Path("/data/other")
    p = PendingChanges(max_paths=3)
    p.add_path(other / "one.txt", other)
    for i in range(3):
        p.add_path(ROOT / f"{i}.txt", ROOT)
    p.add_path(ROOT / "late.txt", ROOT)
    batch = p.take()
    assert batch.rescan == {ROOT}
    assert batch.paths == {other / "one.txt"}


def test_pending_absorb_merges_an_untaken_batch() -> None:
    ready, new = PendingChanges(max_paths=100), PendingChanges(max_paths=100)
    ready.add_path(ROOT / "a.txt", ROOT)
    new.add_rescan(ROOT, ROOT)
    ready.absorb(new)
    assert ready.take() == ChangeBatch(paths=frozenset(), rescan=frozenset({ROOT}))


# -- the live watcher ------------------------------------------------------------


def test_file_create_modify_delete(tmp_path: Path, watch) -> None:
    w = watch([tmp_path])
    assert w.status() == {
        "running": True,
        "poll_interval": 0.3,
        "roots": {str(tmp_path): MODE_EVENTS},
    }
    f = tmp_path / "a.txt"
    f.write_text("one")
    collect(w, seen(f))
    with f.open("a") as fh:
        fh.write("two")
    collect(w, seen(f))
    f.unlink()
    assert collect(w, seen(f))[-1] == ChangeBatch(paths=frozenset({f}), rescan=frozenset())


def test_editor_save_dance_is_one_batch_with_only_the_target(tmp_path: Path, watch) -> None:
    target = tmp_path / "notes.md"
    target.write_text("old")
    w = watch([tmp_path], debounce=0.5)
    swap, temp, backup = (
        tmp_path / ".notes.md.swp",
        tmp_path / ".notes.md.tmp1",
        tmp_path / "notes.md~",
    )
    swap.write_text("swap")
    shutil.copy(target, backup)
    temp.write_text("new")
    os.chmod(temp, 0o644)
    os.replace(temp, target)
    swap.unlink()
    backup.unlink()
    batches = collect(w, seen(target))
    assert w.get(timeout=1.0) is None  # nothing trails behind
    assert batches == [ChangeBatch(paths=frozenset({target}), rescan=frozenset())]


def test_burst_is_coalesced_into_few_batches(tmp_path: Path, watch) -> None:
    w = watch([tmp_path], debounce=0.5)
    files = [tmp_path / f"f{i:04}.txt" for i in range(2000)]
    for f in files:
        f.write_text("x")
    batches = collect(w, seen(*files))
    assert len(batches) <= 4
    assert paths_of(batches) == set(files)


def test_burst_over_max_paths_becomes_a_rescan(tmp_path: Path, watch) -> None:
    w = watch([tmp_path], debounce=0.5, max_paths=500)
    for i in range(2000):
        (tmp_path / f"f{i:04}.txt").write_text("x")
    batches = collect(w, rescanned(tmp_path))
    assert all(len(b.paths) <= 500 for b in batches)
    assert len(paths_of(batches)) < 2000


def test_ignored_folders_and_exclude_globs_produce_nothing(tmp_path: Path, watch) -> None:
    for folder in (
        ".git/objects/ab",
        "node_modules/pkg",
        "build",
        "drafts",
        "archive/old1",
        "docs",
    ):
        (tmp_path / folder).mkdir(parents=True)
    w = watch([tmp_path], excludes=["*.log", "drafts", "/archive/old*"])
    for i in range(50):  # git's object churn
        obj = tmp_path / f".git/objects/ab/{i:038x}"
        obj.write_text("blob")
        obj.rename(obj.with_suffix(".pack"))
    (tmp_path / ".git/index.lock").write_text("lock")
    (tmp_path / "node_modules/pkg/index.js").write_text("js")
    (tmp_path / "build/out.o").write_text("o")
    (tmp_path / "docs/debug.log").write_text("log")
    (tmp_path / "drafts/idea.txt").write_text("draft")
    (tmp_path / "archive/old1/letter.txt").write_text("old")
    (tmp_path / "docs/~$report.docx").write_text("lock")
    kept = tmp_path / "docs/report.txt"
    kept.write_text("kept")  # last: once it arrives, everything before it was handled
    batches = collect(w, seen(kept))
    assert paths_of(batches) == {kept}
    assert rescans_of(batches) == set()


def test_a_never_ending_stream_still_yields_batches(tmp_path: Path, watch) -> None:
    log_file = tmp_path / "app.txt"
    done = threading.Event()

    def keep_writing() -> None:
        with log_file.open("a") as fh:
            while not done.is_set():
                fh.write("line\n")
                fh.flush()
                done.wait(0.05)  # pacing the writer; far below the debounce

    writer = threading.Thread(target=keep_writing, daemon=True)
    w = watch([tmp_path], debounce=1.0, max_delay=1.5)
    writer.start()
    try:
        batch = w.get(timeout=DEADLINE)
        still_writing = writer.is_alive()
    finally:
        done.set()
        writer.join(timeout=DEADLINE)
    assert batch is not None and log_file in batch.paths
    assert still_writing  # it came from max_delay, not from a pause


def test_deleted_folder_is_a_rescan(tmp_path: Path, watch) -> None:
    sub = tmp_path / "old"
    sub.mkdir()
    files = {sub / f"{i}.txt" for i in range(30)}
    for f in files:
        f.write_text("x")
    w = watch([tmp_path])
    shutil.rmtree(sub)
    batches = collect(w, rescanned(sub))
    assert rescans_of(batches) == {sub}
    assert paths_of(batches) <= files  # file deletions seen before the folder's own


def test_moved_folder_is_a_rescan_of_both_ends(tmp_path: Path, watch) -> None:
    src = tmp_path / "docs"
    (src / "a").mkdir(parents=True)
    for i in range(20):
        (src / "a" / f"{i}.txt").write_text("x")
    w = watch([tmp_path])
    dst = tmp_path / "papers"
    src.rename(dst)
    batches = collect(w, rescanned(src, dst))
    assert rescans_of(batches) == {src, dst}
    assert paths_of(batches) == set()


def test_root_deleted_and_recreated_is_rearmed(tmp_path: Path, watch) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.txt").write_text("x")
    w = watch([root])
    shutil.rmtree(root)
    collect(w, rescanned(root))  # so the indexer drops what was there
    assert mode_of(w, root) == MODE_WAITING
    root.mkdir()
    collect(w, rescanned(root))  # the recreated root is walked again
    assert mode_of(w, root) == MODE_EVENTS
    f = root / "new.txt"
    f.write_text("y")
    collect(w, seen(f))


def test_root_moved_away_is_noticed_without_an_event(tmp_path: Path, watch) -> None:
    root, away = tmp_path / "root", tmp_path / "away"
    root.mkdir()
    w = watch([root])
    root.rename(away)  # inotify does not tell a watch that it moved
    collect(w, rescanned(root))
    assert mode_of(w, root) == MODE_WAITING
    away.rename(root)
    collect(w, rescanned(root))
    assert mode_of(w, root) == MODE_EVENTS


def test_root_missing_at_start_is_waited_for(tmp_path: Path, watch) -> None:
    root = tmp_path / "later"
    w = watch([root])
    assert mode_of(w, root) == MODE_WAITING
    root.mkdir()
    collect(w, rescanned(root))
    assert mode_of(w, root) == MODE_EVENTS
    f = root / "a.txt"
    f.write_text("x")
    collect(w, seen(f))


class _LimitedObserver(Observer):  # type: ignore[misc, valid-type]
    """An observer on which the OS has no watches left for some paths."""

    refuse: ClassVar[set[str]] = set()

    def schedule(self, handler, path, **kwargs):
        if str(path) in self.refuse:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")
        return super().schedule(handler, path, **kwargs)


def test_watch_limit_falls_back_to_polling(tmp_path: Path, watch, monkeypatch, caplog) -> None:
    limited, fine = tmp_path / "big", tmp_path / "small"
    limited.mkdir()
    fine.mkdir()
    monkeypatch.setattr(_LimitedObserver, "refuse", {str(limited)})
    monkeypatch.setattr(watcher_module, "Observer", _LimitedObserver)
    with caplog.at_level(logging.WARNING, logger="app.core.watcher"):
        w = watch([limited, fine])
    assert mode_of(w, limited) == MODE_POLLING
    assert mode_of(w, fine) == MODE_EVENTS
    assert any("rescanning it every" in r.getMessage() for r in caplog.records)
    polls = 0
    while polls < 2:  # periodic, not once
        batch = collect(w, rescanned(limited))[-1]
        assert batch.rescan == {limited}
        polls += 1
    f = fine / "a.txt"
    f.write_text("x")
    collect(w, seen(f))  # the other root still gets events


@pytest.mark.skipif(sys.platform != "linux", reason="inotify watches each folder separately")
def test_watch_limit_on_a_sub_folder_is_noticed(tmp_path: Path, watch, monkeypatch) -> None:
    from watchdog.observers.inotify_c import InotifyFD

    (tmp_path / "a" / "deep").mkdir(parents=True)
    real_add = InotifyFD.add_callback

    def add_callback(self, path, *args, **kwargs):
        if path.endswith(b"deep"):  # watchdog swallows this one for sub-folders
            raise OSError(errno.ENOSPC, "inotify watch limit reached")
        return real_add(self, path, *args, **kwargs)

    monkeypatch.setattr(InotifyFD, "add_callback", add_callback)
    w = watch([tmp_path])
    collect(w, rescanned(tmp_path))
    assert mode_of(w, tmp_path) == MODE_POLLING
    collect(w, rescanned(tmp_path))  # and again at the next poll


def test_no_observer_at_all_polls_every_root(tmp_path: Path, watch, monkeypatch) -> None:
    def no_inotify():
        raise OSError(errno.EMFILE, "inotify instance limit reached")

    monkeypatch.setattr(watcher_module, "Observer", no_inotify)
    w = watch([tmp_path])
    assert mode_of(w, tmp_path) == MODE_POLLING
    collect(w, rescanned(tmp_path))


def test_kernel_queue_overflow_rescans_the_roots(tmp_path: Path, watch) -> None:
    w = watch([tmp_path])
    # What watchdog's inotify reader logs, and all it does, when the kernel drops events.
    logging.getLogger("watchdog.observers.inotify_c").warning(
        "Inotify queue overflowed; filesystem events were lost"
    )
    assert collect(w, rescanned(tmp_path))[-1].rescan == {tmp_path}


def test_get_times_out_with_none(tmp_path: Path, watch) -> None:
    w = watch([tmp_path])
    assert w.get(timeout=0.3) is None


def test_stop_is_prompt_idempotent_and_wakes_a_waiting_get(tmp_path: Path) -> None:
    got: list[object] = []
    with Watcher([tmp_path], poll_interval=60.0) as w:
        waiter = threading.Thread(target=lambda: got.append(w.get()), daemon=True)
        waiter.start()
        began = time.monotonic()
        w.stop()
        assert time.monotonic() - began < 5.0
        waiter.join(timeout=DEADLINE)
        assert not waiter.is_alive()
    w.stop()
    assert got == [None]
    assert w.get() is None
    assert w.status()["running"] is False
    assert not [t for t in threading.enumerate() if t.name == "gemseek-watcher"]


def test_a_watcher_starts_once_and_checks_its_settings(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        Watcher([tmp_path], debounce=2.0, max_delay=1.0)
    w = Watcher([tmp_path])
    w.stop()  # stopping an unstarted watcher is harmless
    with pytest.raises(RuntimeError):
        w.start()


@pytest.mark.skipif(sys.platform != "linux", reason="inotify's per-user watch limit")
def test_a_real_watch_limit_polls_the_root_that_does_not_fit_and_gives_its_watches_back(tmp_path: Path) -> None:
    """The kernel's own ENOSPC, not a simulated one: a user namespace allows 30 watches; the small root (6
    folders) fits, the big one (121) does not. Later, folders added past the limit make the small root poll too."""
    small, big = tmp_path / "small", tmp_path / "big"
    for i in range(5):
        (small / f"s{i}").mkdir(parents=True)
    for i in range(60):
        (big / f"b{i}" / "deeper").mkdir(parents=True)
    if shutil.which("unshare") is None:
        pytest.skip("no unshare to make a user namespace")
    script = (f"echo 30 > /proc/sys/user/max_inotify_watches && "
              f"exec {sys.executable} -m tests.helpers.watch_limit_child {small} {big}")
    out = subprocess.run(["unshare", "-Ur", "sh", "-c", script], cwd=Path(__file__).parents[2],
                         capture_output=True, text=True, timeout=120, check=False)
    if out.returncode != 0 and "unshare" in out.stderr:
        pytest.skip(f"no user namespace here: {out.stderr.strip()}")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["armed"] == {"small": MODE_EVENTS, "big": MODE_POLLING, "watches": 6}  # big's given back
    assert report["new_file"] == {"small": "event", "big": "poll"}
    assert report["after_adding_folders"] == {"small": MODE_POLLING, "watches": 0}
