"""Where a running Gemseek listens for later starts, and asking it from a process without Qt.

The desktop app (app.ui.single_instance) listens on a local socket in a
folder only its user can enter; a later ``gemseek``, ``gemseek quick`` or
``gemseek quit`` connects and sends one line. ``state`` is answered with one
line of JSON (what the app shows: windows, query, results), which
``gemseek status --json`` reports, so scripts and the installers' smoke test
can see the running app from outside.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import stat
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

COMMANDS = ("show", "quick", "settings", "quit")
"""One-way requests: the app acts, answers nothing."""
QUERIES = ("state",)
"""Requests the app answers with one line of JSON."""
LOCK_NAME = "instance.lock"
"""The file in the data folder whose lock the running app holds until every worker of it has stopped."""
_SOCKET_PATH_MAX = 100  # sun_path holds 104 (macOS) to 108 (Linux) bytes


def address(data_dir: str | os.PathLike) -> str:
    """Where the instance of ``data_dir`` listens: a socket path in a private folder (a pipe name on Windows)."""
    found = next(_sockets(data_dir, make_own=True), None)
    if found is None:
        raise OSError("no private folder with a path short enough for a local socket")
    return found


def listening(data_dir: str | os.PathLike) -> list[str]:
    """The sockets an instance of ``data_dir`` may be listening on now (its pipe name on Windows). A later
    start asks each: which folder qualifies can differ between the two processes (``XDG_RUNTIME_DIR`` set in
    a desktop session but not in a terminal over ssh; the data folder made private after the instance
    started). Looking creates no folder."""
    if os.name == "nt":  # pragma: no cover - a pipe name cannot be looked up as a file
        return list(_sockets(data_dir, make_own=False))
    return list(dict.fromkeys(path for path in _sockets(data_dir, make_own=False) if os.path.exists(path)))


def _sockets(data_dir: str | os.PathLike, make_own: bool) -> Iterator[str]:
    """The socket paths for ``data_dir`` in each private folder short enough for one, the preferred first."""
    digest = hashlib.sha256(os.fsencode(os.path.abspath(data_dir))).hexdigest()[:16]
    name = f"gemseek-{digest}"
    if os.name == "nt":  # pragma: no cover - named pipes; UserAccessOption limits them to this user
        yield name
        return
    for folder in _private_folders(Path(data_dir), make_own):
        path = folder / f"{name}.sock"
        if len(os.fsencode(path)) <= _SOCKET_PATH_MAX:
            yield str(path)


def _private_folders(data_dir: Path, make_own: bool):
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and is_private(Path(runtime)):
        yield Path(runtime)
    if is_private(data_dir):
        yield data_dir
    own = Path(tempfile.gettempdir()) / f"gemseek-{os.getuid()}"
    if make_own:
        with contextlib.suppress(FileExistsError):
            own.mkdir(mode=0o700)
    if is_private(own):  # a folder of that name made by someone else is not used
        yield own


def is_private(folder: Path) -> bool:
    """A real folder (not a link) owned by this user that nobody else may enter or write."""
    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def peer_is_same_user(descriptor: int) -> bool:
    """Whether the process at the other end of a connected local socket is this user (True where the OS cannot
    tell; the socket's private folder is then the guard)."""
    if not hasattr(socket, "SO_PEERCRED") or descriptor < 0:
        return True
    sock = socket.socket(fileno=os.dup(descriptor))
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                              struct.calcsize("3i")))
    finally:
        sock.close()
    return uid == os.getuid()



def ask(data_dir: str | os.PathLike, request: str, timeout: float = 2.0) -> dict | None:
    """Send ``request`` to the app running for ``data_dir``; its JSON answer for a query, ``{}`` once a command
    is delivered, or None when no app (of this user) listens. POSIX only (Windows uses a named pipe)."""
    if os.name == "nt" or not hasattr(socket, "AF_UNIX"):
        return None
    for name in listening(data_dir):
        answer = _ask_at(name, request, timeout)
        if answer is not None:
            return answer
    return None


def _ask_at(name: str, request: str, timeout: float) -> dict | None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(name)
            if not peer_is_same_user(sock.fileno()):
                return None
            sock.sendall(request.encode() + b"\n")
            if request not in QUERIES:
                return {}
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            return None
    try:
        answer = json.loads(data)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None
