"""Get the model ready to use: fetch the checkpoint, convert it, load the embedder."""

from __future__ import annotations

from collections.abc import Iterator

from app.core.checkpoint import is_checkpoint_ready
from app.core.embedder import LlamaEmbedder
from app.core.fetch import fetch_checkpoint
from app.core.model import active_gguf, convert_model
from app.core.paths import Paths
from app.core.progress import CancelToken, Progress
from app.core.settings import Settings


def prepare_model(paths: Paths, settings: Settings, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Fetch and convert whatever is missing for ``settings.quantization``; do nothing if all is there."""
    out = paths.gguf_file(settings.quantization)
    if out.is_file():
        return
    if not is_checkpoint_ready(paths):
        yield from fetch_checkpoint(paths, "auto", cancel=cancel)
    yield from convert_model(
        paths.checkpoint, settings.quantization, out, threads=settings.effective_threads(), cancel=cancel
    )


def load_embedder(paths: Paths, settings: Settings) -> LlamaEmbedder:
    """Open the active model at the configured dimension (raises ModelMissingError if not built)."""
    info = active_gguf(paths, settings.quantization)
    return LlamaEmbedder(
        info.path,
        dimension=settings.dimension,
        threads=settings.effective_threads(),
        fingerprint=info.fingerprint,
    )
