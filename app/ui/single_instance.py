"""One Gemseek per data folder: a second start hands its request to the first and exits.

The first instance holds a lock in its data folder for as long as it runs and
listens on a local socket in a folder only its user can enter
(``$XDG_RUNTIME_DIR``, else the data folder, else a private folder of its own
in the temp folder); ``gemseek quick`` (bound to a desktop shortcut, which
works on Wayland too) connects and sends ``quick``, a plain ``gemseek`` sends
``show``. Whoever holds the lock is the one instance: a start that finds it
taken only ever hands over, so two starts at the same moment never both run,
and a leftover socket of a crashed instance is removed only by the new lock
holder. Where the OS tells (Linux), both ends check that the other side is the
same user, so a socket planted by someone else is neither obeyed nor fed.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.core.filelock import LockHeld, exclusive_lock
from app.core.instance_socket import (
    COMMANDS,
    LOCK_NAME,
    QUERIES,
    address,
    is_private,
    listening,
    peer_is_same_user,
)

__all__ = ["COMMANDS", "AlreadyRunning", "InstanceServer", "address", "hand_over", "is_private", "send_to_running"]
log = logging.getLogger(__name__)


class AlreadyRunning(Exception):
    """Another Gemseek holds this data folder's instance lock."""


def send_to_running(name: str, command: str, timeout_ms: int = 1000) -> bool:
    """Give ``command`` to the instance listening at ``name``; False when none (of this user) answers."""
    sock = QLocalSocket()
    try:
        sock.connectToServer(name)
        if not sock.waitForConnected(timeout_ms):
            return False
        if not peer_is_same_user(int(sock.socketDescriptor())):
            log.warning("the Gemseek socket %s belongs to another user; not using it", name)
            return False
        sock.write(command.encode() + b"\n")
        sock.waitForBytesWritten(timeout_ms)
        sock.disconnectFromServer()
        return True
    finally:
        sock.abort()
        sock.deleteLater()


def hand_over(data_dir: str | os.PathLike, command: str, wait_s: float = 15.0) -> bool:
    """Give ``command`` to the instance holding ``data_dir``'s lock, waiting up to ``wait_s`` for it to listen
    (it may have started a moment ago)."""
    deadline = time.monotonic() + wait_s
    while True:
        # every place it may listen (this process may see other folders as private than the instance did)
        if any(send_to_running(name, command, timeout_ms=500) for name in listening(data_dir)):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


class InstanceServer(QObject):
    """The one instance of a data folder: holds its lock and listens for commands from later starts.

    Raises:
        AlreadyRunning: another process holds the lock (hand the command over instead).

    Signals:
        command(str): one of :data:`COMMANDS`.
    """

    command = Signal(str)

    def __init__(self, data_dir: str | os.PathLike, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.answer: Callable[[str], dict] = lambda query: {}
        """Answers a query (:data:`~app.core.instance_socket.QUERIES`) with JSON-able data; the app sets it."""
        self._lock = exclusive_lock(Path(data_dir) / LOCK_NAME)
        try:
            self._lock.__enter__()
        except LockHeld:
            raise AlreadyRunning(str(data_dir)) from None
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        try:
            self.name = address(data_dir)
        except OSError as exc:  # later starts will say this one does not answer
            log.warning("cannot listen for other starts: %s", exc)
            self.name = None
            return
        QLocalServer.removeServer(self.name)  # we hold the lock: a socket left there is a dead instance's
        if not self.server.listen(self.name):
            log.warning("cannot listen for other starts: %s", self.server.errorString())

    def _accept(self) -> None:
        while (sock := self.server.nextPendingConnection()) is not None:
            if not peer_is_same_user(int(sock.socketDescriptor())):
                log.warning("ignored a connection from another user")
                sock.abort()
                sock.deleteLater()
                continue
            sock.readyRead.connect(self._read)
            sock.disconnected.connect(sock.deleteLater)
            if sock.bytesAvailable():
                self._read(sock)

    def _read(self, sock: QLocalSocket | None = None) -> None:
        sock = sock or self.sender()
        while sock.canReadLine():
            text = bytes(sock.readLine().data()).decode("utf-8", "replace").strip()
            if text in COMMANDS:
                self.command.emit(text)
            elif text in QUERIES:
                try:
                    reply = self.answer(text)
                except Exception:  # a broken answer must not take the app down; the asker sees no reply
                    log.exception("could not answer %r", text)
                    sock.abort()
                    return
                sock.write(json.dumps(reply).encode() + b"\n")
                sock.flush()
                sock.disconnectFromServer()

    def close(self) -> None:
        self.server.close()
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.__exit__(None, None, None)
        self.deleteLater()
