"""Read a sentence-transformers EmbeddingGemma checkpoint with numpy only.

The checks are about the *layout* (a Gemma 3 text encoder followed by mean
pooling and two bias-free Dense layers), not about exact sizes, so the QAT
variants of the model and tiny test checkpoints convert too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError, safe_open

from convert.errors import ConversionError

ENCODER_FILE = "model.safetensors"
DENSE_MODULES = ("2_Dense", "3_Dense")
# Files whose hashes are recorded in the GGUF: everything that shapes the output.
SOURCE_FILES = (
    "model.safetensors",
    "2_Dense/model.safetensors",
    "3_Dense/model.safetensors",
    "2_Dense/config.json",
    "3_Dense/config.json",
    "1_Pooling/config.json",
    "modules.json",
    "config.json",
    "tokenizer.model",
    "tokenizer_config.json",
)


@dataclass(frozen=True)
class HParams:
    """The model shape, read from config.json and the Dense configs."""

    n_layer: int
    n_ctx: int
    n_embd: int
    n_ff: int
    n_head: int
    n_head_kv: int
    head_dim: int
    rms_eps: float
    sliding_window: int
    rope_theta: float
    rope_theta_swa: float
    vocab_size: int
    dense_2: tuple[int, int]
    dense_3: tuple[int, int]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConversionError(f"missing file: {path}") from None
    except (OSError, ValueError) as exc:
        raise ConversionError(f"cannot read {path}: {exc}") from exc


class Checkpoint:
    """A checkpoint folder: configs, hparams and lazily loaded tensors."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ConversionError(f"checkpoint folder not found: {self.folder}")
        self.config = _read_json(self.folder / "config.json")
        self._check_architecture()
        self._check_modules()
        self.hparams = self._read_hparams()

    # -- validation -------------------------------------------------------
    def _check_architecture(self) -> None:
        archs = self.config.get("architectures") or []
        model_type = self.config.get("model_type")
        if model_type != "gemma3_text" or "Gemma3TextModel" not in archs:
            raise ConversionError(
                f"{self.folder} is not an EmbeddingGemma checkpoint "
                f"(model_type={model_type!r}, architectures={archs!r}; "
                "expected gemma3_text / Gemma3TextModel)"
            )

    def _check_modules(self) -> None:
        modules = _read_json(self.folder / "modules.json")
        kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
        paths = [m.get("path", "") for m in modules]
        if kinds[:1] != ["Transformer"] or "Pooling" not in kinds:
            raise ConversionError(f"unexpected sentence-transformers modules in {self.folder}: {kinds}")
        for dense in DENSE_MODULES:
            if dense not in paths:
                raise ConversionError(f"modules.json does not list the {dense} layer")
        pooling = _read_json(self.folder / "1_Pooling" / "config.json")
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ConversionError("only mean pooling is supported (1_Pooling/config.json)")

    def _dense_dims(self, name: str) -> tuple[int, int]:
        cfg = _read_json(self.folder / name / "config.json")
        if cfg.get("bias"):
            raise ConversionError(f"{name} has a bias, which llama.cpp's gemma-embedding does not support")
        act = str(cfg.get("activation_function", "torch.nn.modules.linear.Identity"))
        if not act.endswith("Identity"):
            raise ConversionError(f"{name} uses activation {act}; only Identity is supported")
        try:
            return int(cfg["in_features"]), int(cfg["out_features"])
        except (KeyError, TypeError, ValueError):
            raise ConversionError(f"{name}/config.json lacks in_features/out_features") from None

    def _read_hparams(self) -> HParams:
        c = self.config
        try:
            n_head = int(c["num_attention_heads"])
            hp = HParams(
                n_layer=int(c["num_hidden_layers"]),
                n_ctx=int(c["max_position_embeddings"]),
                n_embd=int(c["hidden_size"]),
                n_ff=int(c["intermediate_size"]),
                n_head=n_head,
                n_head_kv=int(c.get("num_key_value_heads", n_head)),
                head_dim=int(c.get("head_dim", int(c["hidden_size"]) // n_head)),
                rms_eps=float(c.get("rms_norm_eps", 1e-6)),
                sliding_window=int(c["sliding_window"]),
                rope_theta=float(c.get("rope_theta", 1_000_000.0)),
                rope_theta_swa=float(c.get("rope_local_base_freq", 10_000.0)),
                vocab_size=int(c["vocab_size"]),
                dense_2=self._dense_dims("2_Dense"),
                dense_3=self._dense_dims("3_Dense"),
            )
        except KeyError as exc:
            raise ConversionError(f"config.json lacks {exc.args[0]!r}") from None
        except (TypeError, ValueError) as exc:
            raise ConversionError(f"config.json has a bad value: {exc}") from None
        if hp.dense_2[0] != hp.n_embd or hp.dense_3[1] != hp.n_embd or hp.dense_2[1] != hp.dense_3[0]:
            raise ConversionError(
                f"Dense layers {hp.dense_2} → {hp.dense_3} do not fit hidden size {hp.n_embd}"
            )
        return hp

    # -- tensors ----------------------------------------------------------
    def tensor_names(self, relpath: str) -> list[str]:
        """Names of the tensors stored in ``relpath`` (a safetensors file)."""
        with self.open_safetensors(relpath) as f:
            return sorted(f.keys())

    def load(self, relpath: str, name: str) -> np.ndarray:
        """Load one tensor as float32 (stored as F32, F16 or BF16)."""
        with self.open_safetensors(relpath) as f:
            try:
                dtype = f.get_slice(name).get_dtype()
                if dtype == "BF16":  # numpy has no bfloat16: widen the raw bits ourselves
                    return _read_bf16(self.folder / relpath, name)
                arr = f.get_tensor(name)
            except (SafetensorError, ValueError, TypeError, KeyError) as exc:
                raise ConversionError(f"cannot read tensor {name} from {relpath}: {exc}") from exc
        if arr.dtype not in (np.float32, np.float16):
            raise ConversionError(f"tensor {name} has unsupported dtype {arr.dtype}")
        return arr.astype(np.float32, copy=False)

    def open_safetensors(self, relpath: str):
        path = self.folder / relpath
        if not path.is_file():
            raise ConversionError(f"missing file: {path}")
        try:
            return safe_open(str(path), framework="numpy")
        except (SafetensorError, OSError, ValueError) as exc:
            raise ConversionError(f"{path} is damaged or truncated: {exc}") from exc

    # -- provenance -------------------------------------------------------
    def source_hashes(self) -> Iterator[tuple[str, str]]:
        """Yield (relpath, sha256) for every file that shapes the output."""
        for rel in SOURCE_FILES:
            path = self.folder / rel
            if not path.is_file():
                raise ConversionError(f"missing file: {path}")
            h = hashlib.sha256()
            with path.open("rb") as f:
                while block := f.read(1 << 22):
                    h.update(block)
            yield rel, h.hexdigest()


def _read_bf16(path: Path, name: str) -> np.ndarray:
    """Read a BF16 tensor from a safetensors file as float32 (exact: BF16 is F32's top half)."""
    with path.open("rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_len))
    info = header[name]
    start, end = info["data_offsets"]
    raw = np.fromfile(path, dtype="<u2", count=(end - start) // 2, offset=8 + header_len + start)
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(info["shape"])
