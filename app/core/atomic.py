"""Files written whole or not at all: a crash or a full disk leaves the old file or the new, never half of one."""

from __future__ import annotations

import json
import os
from pathlib import Path


def write_json(path: Path, data: object, *, indent: int | None = None) -> None:
    """Write ``data`` as JSON to a temporary file beside ``path``, then rename it over ``path``.

    The temporary file's name carries the process id, so two processes saving
    the same file at once never write into one temporary file.

    Raises:
        OSError: it could not be written; ``path`` is as it was and the temporary file is gone.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=indent) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
