"""kill -9 inside a vector save or compaction: the newest complete index loads as it is, nothing partial is used."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core import vector_files
from app.core.vectors import VectorIndex
from tests.helpers.save_child import DIM

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
@pytest.mark.timeout(600)
def test_kill_during_save_and_compaction_leaves_the_newest_complete_index(tmp_path):
    path = tmp_path / "vectors-64.hnsw"
    rng = random.Random(2026)
    newest_done = 0
    kills = 0
    # How long one round (add, remove, compact, save) takes on this machine: each child is killed at a random
    # moment of the round after its first save (fixed delays missed every save on a slow, busy 2-core machine).
    child = subprocess.Popen([sys.executable, "-m", "tests.helpers.save_child", str(tmp_path / "probe.hnsw")],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = child.stdout.readline()
    t0 = time.monotonic()
    second = child.stdout.readline()
    round_s = time.monotonic() - t0
    child.kill()
    child.communicate()
    assert first.startswith("saved ") and second.startswith("saved "), (first, second)
    for leftover in tmp_path.glob("probe.hnsw*"):
        leftover.unlink()
    for _ in range(25):
        child = subprocess.Popen([sys.executable, "-m", "tests.helpers.save_child", str(path)], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = child.stdout.readline()  # it loaded the last save (or started one) and saved once more
        time.sleep(rng.uniform(0.0, 1.2) * round_s)
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate()
        out = first + out
        kills += 1
        assert "Traceback" not in err, err
        done = [line.split() for line in out.splitlines() if line.startswith("saved ")]
        if done:
            newest_done = int(done[-1][1])
            last_count = int(done[-1][2])
        if newest_done == 0:
            continue
        loaded = VectorIndex.load(path, DIM, "fake")  # straight from the files: no store to rebuild it quietly
        assert loaded is not None, "the last complete save did not load"
        assert loaded.generation >= newest_done  # a save that finished after the last line printed counts too
        if loaded.generation == newest_done:
            assert len(loaded.ids()) == last_count
        hits, _ = loaded.search(_unit(), 5)
        assert set(hits.tolist()) <= loaded.ids()
    assert kills == 25 and newest_done >= 5  # many saves happened, and many kills landed inside them
    names = {p.name for p in tmp_path.iterdir()}
    loaded = VectorIndex.load(path, DIM, "fake")
    loaded.save(path, loaded.generation + 1, (1, 10**9))  # the next save sweeps what the kills left
    side = json.loads(vector_files.sidecar(path).read_text())
    named = {vector_files.sidecar(path).name, side["removed"], *(s["name"] for s in side["segments"])}
    assert {p.name for p in tmp_path.iterdir()} == named, names  # the files of that save, nothing else


def _unit():
    import numpy as np

    v = np.ones(DIM, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_cleanup_tolerates_a_file_another_process_holds_open(tmp_path, monkeypatch):
    """On Windows a file a searching process has open cannot be deleted; saving must go on regardless."""
    import numpy as np

    path = tmp_path / "vectors-64.hnsw"
    index = VectorIndex(DIM, "fake")
    index.add(np.arange(1, 11), np.eye(10, DIM, dtype=np.float32))
    index.save(path, 1)
    held = {p.name for p in tmp_path.iterdir() if not p.name.endswith(".json")}
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self.name in held:
            raise PermissionError(13, "The process cannot access the file because it is being used", str(self))
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    index.add(np.arange(11, 21), np.eye(10, DIM, dtype=np.float32))
    index.save(path, 2)  # no PermissionError
    assert VectorIndex.load(path, DIM, "fake").generation == 2
    monkeypatch.setattr(Path, "unlink", real_unlink)
    index.save(path, 3)
    assert len(os.listdir(tmp_path)) == 3  # swept at the next chance


def test_replacing_the_sidecar_waits_for_a_reader(tmp_path, monkeypatch):
    calls = []
    real = os.replace

    def busy(src, dst):
        calls.append(dst)
        if len(calls) < 3:
            raise PermissionError(13, "in use")
        real(src, dst)

    monkeypatch.setattr(vector_files.os, "replace", busy)
    monkeypatch.setattr(vector_files.time, "sleep", lambda s: None)
    import numpy as np

    index = VectorIndex(DIM, "fake")
    index.add(np.arange(1, 4), np.eye(3, DIM, dtype=np.float32))
    index.save(tmp_path / "v.hnsw", 1)
    assert len(calls) == 3 and VectorIndex.load(tmp_path / "v.hnsw", DIM, "fake").generation == 1
