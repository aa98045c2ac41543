"""One Gemseek per data folder: a second start hands its request to the first and exits.

The first instance listens on a local socket named after its data folder;
``gemseek quick`` (bound to a desktop shortcut, which works on Wayland too)
connects and sends ``quick``, a plain ``gemseek`` sends ``show``.
"""

from __future__ import annotations

import hashlib
import logging
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)
COMMANDS = ("show", "quick", "settings")


def server_name(data_dir: str) -> str:
    digest = hashlib.sha256(os.fsencode(os.path.abspath(data_dir))).hexdigest()[:16]
    return f"gemseek-{digest}"


def send_to_running(name: str, command: str, timeout_ms: int = 1000) -> bool:
    """Give ``command`` to a running instance; False when none answers."""
    socket = QLocalSocket()
    try:
        socket.connectToServer(name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(command.encode() + b"\n")
        socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
        return True
    finally:
        socket.abort()
        socket.deleteLater()


class InstanceServer(QObject):
    """Listens for commands from later starts.

    Signals:
        command(str): one of :data:`COMMANDS`.
    """

    command = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(name):
            # A crashed instance can leave its socket file behind; nobody answered on it.
            QLocalServer.removeServer(name)
            if not self.server.listen(name):
                log.warning("cannot listen for other starts: %s", self.server.errorString())
        self.server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self._read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket | None = None) -> None:
        socket = socket or self.sender()
        while socket.canReadLine():
            text = bytes(socket.readLine().data()).decode("utf-8", "replace").strip()
            if text in COMMANDS:
                self.command.emit(text)

    def close(self) -> None:
        self.server.close()
        self.deleteLater()
