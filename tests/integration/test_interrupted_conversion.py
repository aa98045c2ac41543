"""Cancelling a real conversion (SIGTERM, as the app does) leaves no half-written file of up to 1.2 GB."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or sys.platform == "win32", reason="POSIX signals")
@pytest.mark.timeout(300)
def test_sigterm_mid_conversion_removes_its_partial_files(real_paths, tmp_path):
    out = tmp_path / "embeddinggemma-300m-Q8_0.gguf"
    proc = subprocess.Popen(
        [sys.executable, "-m", "convert", "--checkpoint", str(real_paths.checkpoint), "--type", "Q8_0",
         "--out", str(out), "--threads", "1", "--progress", "json"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        for line in proc.stdout:  # wait until it is writing the intermediate file
            rec = json.loads(line)
            if rec.get("stage") == "write" and rec.get("done", 0) > 0:
                break
        partials = list(tmp_path.glob(".*.partial"))
        assert partials, "the converter writes beside its output under a temporary name"
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert json.loads(rest.strip().splitlines()[-1]) == {"stage": "error", "message": "cancelled"}
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing half-written, nothing claimed done
