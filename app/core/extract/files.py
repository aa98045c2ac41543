"""Read a file's bytes safely: size limits, odd file types, and OS errors as reasons."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable

from app.core.extract.errors import SkipFile

HEAD_BYTES = 8192
"""How much of a file is read first, to sniff its type before reading the rest."""

# O_NONBLOCK: opening a FIFO that slipped in after the directory listing must not
# hang the indexer; for regular files it changes nothing.
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def human_size(n: int) -> str:
    """Format a byte count the way a person reads it: ``50 MB``, ``1.5 kB``, ``12 bytes``."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{round(n / scale, 1):g} {unit}"
    return f"{n} bytes"


def too_large(max_bytes: int) -> SkipFile:
    return SkipFile(f"file is larger than {human_size(max_bytes)}")


def os_error_reason(err: OSError, path: str) -> str:
    """Turn an OSError from opening or reading ``path`` into a short reason."""
    if isinstance(err, PermissionError):
        return "permission denied"
    if isinstance(err, FileNotFoundError):
        if os.path.islink(path):
            return "broken symbolic link"
        return "file disappeared before it could be read"
    if err.errno == errno.ELOOP:
        return "symbolic link loop"
    if isinstance(err, IsADirectoryError):
        return "not a regular file"
    return f"could not read file: {err.strerror or type(err).__name__}"


def read_bytes(
    path: str,
    max_bytes: int,
    check_head: Callable[[bytes], None] | None = None,
) -> bytes:
    """Return the content of the regular file at ``path``, at most ``max_bytes`` long.

    The size is checked on the open descriptor (no gap between stat and read)
    and again while reading, since a file can grow in between. ``check_head``
    sees the first :data:`HEAD_BYTES` before the rest is read, so that a large
    binary file is rejected after 8 KB instead of after 50 MB.

    Raises:
        SkipFile: empty, too large, not a regular file, or any OS error.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as err:
        raise SkipFile(os_error_reason(err, path)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SkipFile("not a regular file")
        if st.st_size == 0:
            raise SkipFile("empty file")
        if st.st_size > max_bytes:
            raise too_large(max_bytes)
        with os.fdopen(fd, "rb", closefd=False) as f:
            head = f.read(min(HEAD_BYTES, max_bytes + 1))
            if not head:
                raise SkipFile("empty file")
            if check_head is not None:
                check_head(head)
            rest = f.read(max_bytes + 1 - len(head))
    except OSError as err:
        raise SkipFile(os_error_reason(err, path)) from None
    finally:
        os.close(fd)
    data = head + rest
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    return data
