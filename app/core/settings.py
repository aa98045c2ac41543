"""Typed, versioned user settings stored as JSON.

Every setting has a default, a description and a validator. Unknown keys are
dropped, a bad value is refused with a clear message, and older files are
migrated step by step (``_MIGRATIONS``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, ClassVar

from app.core.atomic import write_json
from app.core.embedder import DIMENSIONS
from app.core.errors import SettingsError
from app.core.file_types import GROUPS
from app.core.model import DEFAULT_QUANTIZATION, QUANTIZATION_CHOICES
from app.core.shortcut import parse as parse_shortcut

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4


@dataclass(frozen=True)
class Settings:
    """What the user chose. Frozen: change it with :meth:`replace`."""

    quantization: str = DEFAULT_QUANTIZATION
    dimension: int = 768
    threads: int = 0
    roots: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    max_file_mb: int = 50
    skip_types: tuple[str, ...] = ()
    ocr: bool = False
    gentle: bool = False
    pause_on_battery: bool = False
    start_at_login: bool = False
    hotkey: str = "Ctrl+Alt+Space"

    DESCRIPTIONS: ClassVar[dict[str, str]] = {
        "quantization": "Model weight type; auto: the fastest type as close to the original as Q8_0, "
        "measured on this computer.",
        "dimension": "Embedding size kept in the vector index (Matryoshka): 768, 512, 256 or 128.",
        "threads": "CPU threads for embedding; 0: automatic (measured on this computer).",
        "roots": "Folders to index.",
        "excludes": "Glob patterns of files and folders to leave out (matched against names and paths).",
        "max_file_mb": "Files larger than this many megabytes are skipped.",
        "skip_types": "Kinds of files not to index: documents, text, code, web.",
        "ocr": "Read text in images (PNG, JPEG, TIFF, WebP, BMP) and scanned PDF pages by OCR; "
        "seconds per page, so off by default.",
        "gentle": "Index at low CPU priority, so other programs stay responsive.",
        "pause_on_battery": "Pause indexing while the computer runs on battery.",
        "start_at_login": "Start Gemseek (in the tray) when you log in.",
        "hotkey": "Global shortcut for quick search where the desktop allows one (X11, Windows); empty: none.",
    }

    def __post_init__(self) -> None:
        if self.quantization not in QUANTIZATION_CHOICES:
            raise SettingsError(
                f"quantization must be one of {', '.join(QUANTIZATION_CHOICES)}, not {self.quantization!r}"
            )
        if self.dimension not in DIMENSIONS:
            raise SettingsError(
                f"dimension must be one of {', '.join(map(str, DIMENSIONS))}, not {self.dimension!r}"
            )
        if not isinstance(self.threads, int) or not 0 <= self.threads <= 256:
            raise SettingsError(f"threads must be a whole number from 0 to 256, not {self.threads!r}")
        for name in ("roots", "excludes", "skip_types"):
            value = getattr(self, name)
            if isinstance(value, list):  # JSON gives lists; keep settings hashable
                object.__setattr__(self, name, tuple(value))
            if not all(isinstance(v, str) and v for v in getattr(self, name)):
                raise SettingsError(f"{name} must be a list of non-empty strings")
        if not isinstance(self.max_file_mb, int) or not 1 <= self.max_file_mb <= 10_000:
            raise SettingsError(f"max_file_mb must be a whole number from 1 to 10000, not {self.max_file_mb!r}")
        unknown = set(self.skip_types) - set(GROUPS)
        if unknown:
            raise SettingsError(f"skip_types may hold {', '.join(GROUPS)}, not {', '.join(sorted(unknown))}")
        if not isinstance(self.hotkey, str):
            raise SettingsError(f"hotkey must be text like Ctrl+Alt+Space, not {self.hotkey!r}")
        if self.hotkey:
            try:
                parse_shortcut(self.hotkey)
            except ValueError as exc:
                raise SettingsError(f"hotkey: {exc}") from None
        for name in ("ocr", "gentle", "pause_on_battery", "start_at_login"):
            if not isinstance(getattr(self, name), bool):
                raise SettingsError(f"{name} must be true or false, not {getattr(self, name)!r}")

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with ``changes`` applied and validated."""
        return replace(self, **changes)

    def with_roots(self, added: Iterable[str | Path]) -> Settings:
        """A copy with ``added`` folders (absolute, deduplicated) appended to the roots."""
        roots = list(self.roots)
        for r in added:
            r = str(Path(r).expanduser().resolve())
            if r not in roots:
                roots.append(r)
        return self.replace(roots=tuple(roots))

    def effective_threads(self) -> int:
        """Threads for work that is not the embedding engine (the converter): the setting, or every CPU."""
        return self.threads or max(1, os.cpu_count() or 1)


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = int(data.get("version", 0))
    if version > SCHEMA_VERSION:
        raise SettingsError(
            f"settings file is version {version}, newer than this Gemseek understands ({SCHEMA_VERSION})"
        )
    for step in range(version, SCHEMA_VERSION):
        data = _MIGRATIONS[step](data)
    return data


def _v0_to_v1(data: dict[str, Any]) -> dict[str, Any]:
    # Version 0 was an unversioned file; its keys are those of version 1.
    return {**data, "version": 1}


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    # Version 2 added the indexing settings; their defaults apply.
    return {**data, "version": 2}


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    # Version 3 added skip_types and the desktop app's gentle, pause_on_battery, start_at_login, hotkey.
    return {**data, "version": 3}


def _v3_to_v4(data: dict[str, Any]) -> dict[str, Any]:
    # Version 4 added quantization "auto" (the new default) and the mixed types. A file
    # that says Q8_0 keeps it: its index was embedded with Q8_0 and stays valid.
    return {**data, "version": 4}


_MIGRATIONS = {0: _v0_to_v1, 1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}


def load(path: Path) -> Settings:
    """Read settings from ``path``; a missing file gives the defaults."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise SettingsError(f"settings file {path} does not hold a JSON object")
    data = _migrate(raw)
    known = {f.name for f in fields(Settings)}
    dropped = sorted(set(data) - known - {"version"})
    if dropped:
        log.warning("ignoring unknown settings in %s: %s", path, ", ".join(dropped))
    return Settings(**{k: v for k, v in data.items() if k in known})


def save(settings: Settings, path: Path) -> None:
    """Write ``settings`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, {"version": SCHEMA_VERSION, **asdict(settings)}, indent=2)
