"""Map checkpoint tensor names to GGUF names, and choose each tensor's type."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from gguf import GGML_QUANT_SIZES, GGMLQuantizationType
from gguf.quants import quantize

from convert.errors import ConversionError
from convert.kquant import quantize_rows
from convert.source import ENCODER_FILE, Checkpoint

# Types gguf-py cannot quantize: ggml's own reference quantizer writes them.
GGML_ROW_QUANTIZED = frozenset({GGMLQuantizationType.Q6_K, GGMLQuantizationType.Q5_K, GGMLQuantizationType.Q4_K})

_BLOCK = {
    "input_layernorm": "attn_norm",
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "self_attn.q_norm": "attn_q_norm",
    "self_attn.k_norm": "attn_k_norm",
    "post_attention_layernorm": "post_attention_norm",
    "pre_feedforward_layernorm": "ffn_norm",
    "post_feedforward_layernorm": "post_ffw_norm",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_LAYER = re.compile(r"^layers\.(\d+)\.(.+)\.weight$")


@dataclass(frozen=True)
class TensorPlan:
    """One output tensor: where it comes from and how it is stored."""

    name: str
    source_file: str
    source_name: str
    shape: tuple[int, ...]  # numpy order (rows, cols)
    qtype: GGMLQuantizationType
    norm_shift: bool  # Gemma RMSNorm weights are stored as weight + 1

    @property
    def nbytes(self) -> int:
        block, type_size = GGML_QUANT_SIZES[self.qtype]
        *rows, cols = self.shape
        return int(np.prod(rows, dtype=np.int64)) * (cols // block) * type_size


def gguf_name(source_name: str) -> str:
    """The GGUF tensor name for an encoder tensor name, or raise for an unknown one."""
    name = source_name.removeprefix("model.")
    if name == "embed_tokens.weight":
        return "token_embd.weight"
    if name == "norm.weight":
        return "output_norm.weight"
    m = _LAYER.match(name)
    if m and m.group(2) in _BLOCK:
        return f"blk.{m.group(1)}.{_BLOCK[m.group(2)]}.weight"
    raise ConversionError(f"unexpected tensor {source_name!r} in {ENCODER_FILE}")


def _storage_type(shape: tuple[int, ...], wanted: GGMLQuantizationType) -> GGMLQuantizationType:
    if len(shape) <= 1:
        return GGMLQuantizationType.F32  # llama.cpp reads norms and other 1-D tensors as F32
    block, _ = GGML_QUANT_SIZES[wanted]
    if shape[-1] % block:
        return GGMLQuantizationType.F16  # rows that do not fill whole blocks cannot be quantized
    return wanted


def plan(
    ckpt: Checkpoint,
    wanted: GGMLQuantizationType,
    token_table: GGMLQuantizationType | None = None,
    dense: GGMLQuantizationType | None = None,
) -> list[TensorPlan]:
    """List every output tensor in file order, with its checked shape and type.

    Args:
        wanted: the type of the 2-D weights (1-D tensors stay F32).
        token_table: another type for ``token_embd.weight``. The token table is
            two thirds of the parameters but only a lookup, while the blocks
            and Dense layers do all the matrix work; mixed recipes store them
            differently.
        dense: another type for the two Dense layers (they run once per text,
            on the pooled vector, so their type costs no speed).
    """
    hp = ckpt.hparams
    out: list[TensorPlan] = []
    with ckpt.open_safetensors(ENCODER_FILE) as f:
        names = sorted(f.keys())
        shapes = {n: tuple(f.get_slice(n).get_shape()) for n in names}
    for src in names:
        if src.removeprefix("model.") == "lm_head.weight":
            continue
        name = gguf_name(src)
        shape = shapes[src]
        if name == "token_embd.weight":
            if shape[0] < hp.vocab_size:
                raise ConversionError(f"embed_tokens has {shape[0]} rows, fewer than vocab_size {hp.vocab_size}")
            shape = (hp.vocab_size, shape[1])
        qtype = token_table if name == "token_embd.weight" and token_table is not None else wanted
        out.append(
            TensorPlan(name, ENCODER_FILE, src, shape, _storage_type(shape, qtype), name.endswith("norm.weight"))
        )
    for module, key in (("2_Dense", "dense_2"), ("3_Dense", "dense_3")):
        rel = f"{module}/model.safetensors"
        with ckpt.open_safetensors(rel) as f:
            if "linear.weight" not in f.keys():  # noqa: SIM118 - safe_open has no __contains__
                raise ConversionError(f"{rel} has no linear.weight")
            shape = tuple(f.get_slice("linear.weight").get_shape())
        out.append(TensorPlan(f"{key}.weight", rel, "linear.weight", shape, _storage_type(shape, dense or wanted),
                              False))
    _check_complete(out, hp.n_layer)
    return sorted(out, key=_order)


def _order(t: TensorPlan) -> tuple[int, int, str]:
    m = re.match(r"blk\.(\d+)\.", t.name)
    if m:
        return (1, int(m.group(1)), t.name)
    return (0 if t.name == "token_embd.weight" else 2, 0, t.name)


def _check_complete(tensors: list[TensorPlan], n_layer: int) -> None:
    have = {t.name for t in tensors}
    want = {"token_embd.weight", "output_norm.weight", "dense_2.weight", "dense_3.weight"}
    want |= {f"blk.{i}.{part}.weight" for i in range(n_layer) for part in _BLOCK.values()}
    missing = sorted(want - have)
    if missing:
        raise ConversionError(f"checkpoint lacks {len(missing)} tensors, e.g. {', '.join(missing[:3])}")
    extra = sorted(have - want)
    if extra:
        raise ConversionError(f"checkpoint has unexpected tensors, e.g. {', '.join(extra[:3])}")


def materialise(ckpt: Checkpoint, t: TensorPlan) -> np.ndarray:
    """Load, adjust and encode one tensor exactly as it goes into the file."""
    data = ckpt.load(t.source_file, t.source_name)
    if t.name == "token_embd.weight":
        data = data[: t.shape[0]]
    if data.shape != t.shape:
        raise ConversionError(f"tensor {t.source_name} has shape {data.shape}, expected {t.shape}")
    if t.norm_shift:
        data = data + np.float32(1.0)
    if t.qtype == GGMLQuantizationType.F32:
        return np.ascontiguousarray(data, dtype=np.float32)
    if t.qtype == GGMLQuantizationType.F16:
        return np.ascontiguousarray(data, dtype=np.float16)
    if t.qtype in GGML_ROW_QUANTIZED:
        return quantize_rows(data, int(t.qtype))
    return quantize(np.ascontiguousarray(data), t.qtype)


def iter_tensors(ckpt: Checkpoint, tensors: list[TensorPlan]) -> Iterator[tuple[TensorPlan, np.ndarray]]:
    for t in tensors:
        arr = materialise(ckpt, t)
        if arr.nbytes != t.nbytes:
            raise ConversionError(f"internal error: {t.name} encodes to {arr.nbytes} bytes, planned {t.nbytes}")
        yield t, arr
