"""A conversion killed last time leaves nothing behind at the next start; one still running is left alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.core import model_setup
from app.core.model import remove_abandoned_partials
from app.core.settings import Settings

HOLD = ("import fcntl, sys, time\n"
        "f = open(sys.argv[1], 'a+b')\n"
        "fcntl.flock(f.fileno(), fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(60)\n")


@pytest.mark.skipif(sys.platform == "win32", reason="flock")
def test_abandoned_partials_go_and_a_running_conversion_s_stays(tmp_path):
    gguf = tmp_path / "gguf"
    gguf.mkdir()
    dead = gguf / ".embeddinggemma-300m-Q8_0.gguf.k2j4.partial"
    dead.write_bytes(b"x" * 4096)
    alive = gguf / ".embeddinggemma-300m-BF16.gguf.a81z.partial"
    alive.write_bytes(b"y" * 4096)
    keep = gguf / "embeddinggemma-300m-Q8_0.gguf"
    keep.write_bytes(b"GGUF")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(alive)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"  # another process is converting BF16 right now
        assert remove_abandoned_partials(gguf) == [dead]
        assert not dead.exists() and alive.exists() and keep.exists()
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert remove_abandoned_partials(gguf) == [alive]  # its converter died too: now it goes


def test_every_start_of_model_work_sweeps_them(paths, monkeypatch):
    paths.gguf_dir.mkdir(parents=True)
    dead = paths.gguf_dir / ".embeddinggemma-300m-F32.gguf.zz.partial"
    dead.write_bytes(b"x")
    staged = paths.models / ".embeddinggemma-300m.staging-k1ll3d"  # a fetch killed mid-copy
    (staged / "2_Dense").mkdir(parents=True)
    (staged / "model.safetensors").write_bytes(b"y" * 1000)
    monkeypatch.setattr(model_setup.active, "current", lambda *a, **k: object())  # engine measured: nothing to do
    assert list(model_setup.prepare_model(paths, Settings())) == []
    assert not dead.exists() and not staged.exists()
