"""Where Gemseek keeps its files.

This is the only module that asks platformdirs. ``--home DIR`` or the
``GEMSEEK_HOME`` environment variable put every path under one folder (for
tests and portable installs). ``GEMSEEK_MODELS`` moves just the models, so
several homes can share one 1.2 GB checkpoint.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "gemseek"
HOME_ENV = "GEMSEEK_HOME"
MODELS_ENV = "GEMSEEK_MODELS"


@dataclass(frozen=True)
class Paths:
    """The folders Gemseek reads and writes."""

    config: Path
    data: Path
    cache: Path
    logs: Path
    models: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None) -> Paths:
        """Build the paths from ``home``, else the environment, else the platform defaults."""
        home = home or os.environ.get(HOME_ENV) or None
        if home:
            root = Path(home).expanduser().resolve()
            paths = dict(
                config=root / "config",
                data=root / "data",
                cache=root / "cache",
                logs=root / "logs",
            )
        else:
            paths = dict(
                config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
                data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
                cache=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
                logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
            )
        models_env = os.environ.get(MODELS_ENV)
        models = Path(models_env).expanduser().resolve() if models_env else paths["data"] / "models"
        return cls(models=models, **paths)

    def child_env(self) -> dict[str, str]:
        """Environment variables that make a child ``gemseek`` use these same folders."""
        env = {MODELS_ENV: str(self.models)}
        root = self.config.parent
        if all(getattr(self, name) == root / name for name in ("config", "data", "cache", "logs")):
            env[HOME_ENV] = str(root)
        return env

    def make_private(self) -> None:
        """Create Gemseek's own folders readable by this user only, and tighten what an older run left open.

        The catalog holds the full text of every indexed file, so it must not be
        readable by other users even when the files were private (POSIX only;
        on Windows the per-user profile folders already are). A models folder
        moved elsewhere with GEMSEEK_MODELS (shared between homes) is left alone.
        """
        if os.name != "posix":
            return
        for root in (self.config, self.data, self.cache, self.logs):
            try:
                root.mkdir(mode=0o700, parents=True, exist_ok=True)
                _tighten(root)
            except OSError:  # a read-only or foreign home: the commands report what they cannot do
                continue

    @property
    def checkpoint(self) -> Path:
        """The verified sentence-transformers checkpoint folder."""
        return self.models / "embeddinggemma-300m"

    @property
    def gguf_dir(self) -> Path:
        """Where converted GGUF files live, one per quantization type."""
        return self.models / "gguf"

    @property
    def downloads(self) -> Path:
        """Partial downloads kept between runs so a fetch can resume."""
        return self.models / "downloads"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    def gguf_file(self, qtype: str) -> Path:
        """The GGUF path for quantization type ``qtype`` (for example ``Q8_0``)."""
        return self.gguf_dir / f"embeddinggemma-300m-{qtype}.gguf"


def resources_dir() -> Path:
    """The bundled ``resources/`` folder (icons, sample documents)."""
    import sys

    frozen_root = getattr(sys, "_MEIPASS", None)  # PyInstaller unpacks data files here
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def _tighten(root: Path) -> None:
    """Take group's and others' access away from everything under ``root`` (links are not followed)."""
    for folder, _dirs, files in os.walk(root):
        for name in (folder, *(os.path.join(folder, f) for f in files)):
            try:
                st = os.lstat(name)
                if st.st_mode & 0o077 and not stat.S_ISLNK(st.st_mode):
                    os.chmod(name, stat.S_IMODE(st.st_mode) & 0o700)
            except OSError:
                continue
