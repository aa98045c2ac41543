"""Start what :mod:`app.core.opening` decided: a detached program, or the desktop's handler for a file URL."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QUrl
from PySide6.QtGui import QDesktopServices

from app.core.opening import Launch, open_launch, reveal_launch

log = logging.getLogger(__name__)
_running: set[QProcess] = set()  # calls whose answer decides a fallback, kept alive until they finish


def open_file(path: Path) -> Launch | None:
    """Open ``path`` without ever running it; the Launch used, or None when nothing could be started."""
    launch = open_launch(path)
    return launch if start(launch) else None


def reveal_file(path: Path) -> Launch | None:
    """Show ``path`` selected in its folder; the Launch used, or None when nothing could be started."""
    launch = reveal_launch(path)
    return launch if start(launch) else None


def start(launch: Launch, parent: QObject | None = None) -> bool:
    if not launch.argv:
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(launch.url)))
    if launch.fallback is None:
        ok, _pid = QProcess.startDetached(launch.argv[0], list(launch.argv[1:]))
        if not ok:
            log.warning("could not start %s", launch.argv[0])
        return ok
    proc = QProcess(parent)
    fallback = QUrl.fromLocalFile(str(launch.fallback))

    def finished(code: int = 0, _status: object = None) -> None:
        _running.discard(proc)
        if code != 0 or proc.exitStatus() != QProcess.ExitStatus.NormalExit:
            log.info("%s found no file manager; opening the folder", launch.argv[0])
            QDesktopServices.openUrl(fallback)
        proc.deleteLater()

    def failed(error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            finished(1)

    proc.finished.connect(finished)
    proc.errorOccurred.connect(failed)
    _running.add(proc)
    proc.start(launch.argv[0], list(launch.argv[1:]))
    return True
