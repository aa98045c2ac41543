"""Get the model ready in a child process: ``gemseek model prepare --progress json`` through QProcess.

Fetching and converting are long and use a lot of memory; in a child process
they cannot freeze or crash the app, and cancelling is stopping the process.
A later start resumes: the download continues where it stopped, and a
conversion that did not finish left no file.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

from app.core.paths import Paths
from app.core.progress import ERROR, READY, progress_from, read_json_line

log = logging.getLogger(__name__)


class ModelJob(QObject):
    """Runs ``gemseek model prepare`` for one quantization.

    Signals:
        progress(Progress): each step the child reports.
        finished(bool, str): whether the model is ready, and a sentence for the user.
    """

    progress = Signal(object)
    finished = Signal(bool, str)

    def __init__(self, paths: Paths, qtype: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.paths = paths
        self.qtype = qtype
        self.process: QProcess | None = None
        self._error = ""
        self._ready = ""
        self._buffer = b""
        self._cancelled = False

    def start(self) -> None:
        if self.running:
            return
        self._error, self._ready, self._buffer, self._cancelled = "", "", b"", False
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        for key, value in self.paths.child_env().items():
            env.insert(key, value)
        proc.setProcessEnvironment(env)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        proc.readyReadStandardOutput.connect(self._read)
        proc.finished.connect(self._done)
        proc.errorOccurred.connect(self._failed_to_start)
        self.process = proc
        proc.start(sys.executable, ["-m", "app", "model", "prepare", "--type", self.qtype, "--progress", "json"])

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.state() != QProcess.ProcessState.NotRunning

    def cancel(self) -> None:
        """Stop the child (it stops its converter in turn); ``finished`` follows."""
        if self.running:
            self._cancelled = True
            self.process.terminate()

    def wait(self, timeout_ms: int) -> None:
        """Wait for the child to end (after :meth:`cancel`, it stops its converter first)."""
        if self.running:
            self.process.waitForFinished(timeout_ms)

    def _read(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            rec = read_json_line(line)
            if rec is None:
                continue
            if rec.get("stage") == ERROR:
                self._error = rec.get("message") or "preparing the model failed"
            elif rec.get("stage") == READY:
                self._ready = rec.get("message") or ""
            else:
                self.progress.emit(progress_from(rec))

    def _done(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        if self._cancelled:
            self.finished.emit(False, "Getting the model was stopped; it continues where it stopped next time.")
        elif code == 0 and status == QProcess.ExitStatus.NormalExit:
            ready = self._ready.removesuffix(" model ready") or self.qtype
            self.finished.emit(True, f"The {ready} model is ready.")
        else:
            stderr = bytes(self.process.readAllStandardError().data()).decode("utf-8", "replace").strip()
            detail = self._error or (stderr.splitlines()[-1] if stderr else "the helper process stopped")
            log.warning("model prepare failed: %s", detail)
            self.finished.emit(False, f"Could not get the model ready: {detail}")

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.finished.emit(False, "Could not start the helper process that gets the model.")
