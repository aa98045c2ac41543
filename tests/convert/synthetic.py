"""Build a tiny EmbeddingGemma-shaped checkpoint (random weights, a freshly trained tokenizer)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import sentencepiece as spm
from safetensors.numpy import save_file

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Semantic search finds files by meaning rather than by exact words.",
    "Le renard brun saute par-dessus le chien paresseux.",
    "Der schnelle braune Fuchs springt über den faulen Hund.",
    "def retry(func, attempts=3): return func()",
    "Rent increase letter from the landlord, effective next month.",
] * 20

# Six layers: llama.cpp makes every sixth layer full-attention, and it needs at least one.
HIDDEN, HEADS, KV_HEADS, HEAD_DIM, FF, LAYERS = 64, 2, 1, 32, 128, 6
DENSE_MID = 128


def train_tokenizer(folder: Path, vocab_size: int = 400) -> int:
    """Train a small BPE SentencePiece model with Gemma's special ids; return its size."""
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TEXTS),
        model_writer=model,
        vocab_size=vocab_size,
        model_type="bpe",
        byte_fallback=True,
        pad_id=0,
        eos_id=1,
        bos_id=2,
        unk_id=3,
        character_coverage=1.0,
        minloglevel=2,
    )
    (folder / "tokenizer.model").write_bytes(model.getvalue())
    return vocab_size


def save_bf16(tensors: dict[str, np.ndarray], path: Path) -> None:
    """Write float32 tensors as a BF16 safetensors file (numpy cannot, so by hand)."""
    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        bits = (np.ascontiguousarray(arr, dtype=np.float32).view(np.uint32) >> 16).astype("<u2").tobytes()
        header[name] = {"dtype": "BF16", "shape": list(arr.shape), "data_offsets": [offset, offset + len(bits)]}
        blobs.append(bits)
        offset += len(bits)
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    path.write_bytes(len(head).to_bytes(8, "little") + head + b"".join(blobs))


def make_checkpoint(folder: Path, seed: int = 0, layers: int = LAYERS, bf16: bool = False) -> Path:
    """Write a complete tiny checkpoint into ``folder`` and return it (weights in BF16 if asked)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    vocab = train_tokenizer(folder)

    def w(*shape: int, scale: float = 0.05) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    tensors = {"embed_tokens.weight": w(vocab + 1, HIDDEN), "norm.weight": w(HIDDEN, scale=0.1)}
    for i in range(layers):
        p = f"layers.{i}."
        tensors.update({
            p + "input_layernorm.weight": w(HIDDEN, scale=0.1),
            p + "post_attention_layernorm.weight": w(HIDDEN, scale=0.1),
            p + "pre_feedforward_layernorm.weight": w(HIDDEN, scale=0.1),
            p + "post_feedforward_layernorm.weight": w(HIDDEN, scale=0.1),
            p + "self_attn.q_proj.weight": w(HEADS * HEAD_DIM, HIDDEN),
            p + "self_attn.k_proj.weight": w(KV_HEADS * HEAD_DIM, HIDDEN),
            p + "self_attn.v_proj.weight": w(KV_HEADS * HEAD_DIM, HIDDEN),
            p + "self_attn.o_proj.weight": w(HIDDEN, HEADS * HEAD_DIM),
            p + "self_attn.q_norm.weight": w(HEAD_DIM, scale=0.1),
            p + "self_attn.k_norm.weight": w(HEAD_DIM, scale=0.1),
            p + "mlp.gate_proj.weight": w(FF, HIDDEN),
            p + "mlp.up_proj.weight": w(FF, HIDDEN),
            p + "mlp.down_proj.weight": w(HIDDEN, FF),
        })
    if bf16:
        save_bf16(tensors, folder / "model.safetensors")
    else:
        save_file(tensors, str(folder / "model.safetensors"))
    for name, (fin, fout) in {"2_Dense": (HIDDEN, DENSE_MID), "3_Dense": (DENSE_MID, HIDDEN)}.items():
        (folder / name).mkdir(exist_ok=True)
        save_file({"linear.weight": w(fout, fin)}, str(folder / name / "model.safetensors"))
        _json(folder / name / "config.json", {
            "in_features": fin, "out_features": fout, "bias": False,
            "activation_function": "torch.nn.modules.linear.Identity",
        })
    (folder / "1_Pooling").mkdir(exist_ok=True)
    _json(folder / "1_Pooling" / "config.json", {"word_embedding_dimension": HIDDEN, "pooling_mode_mean_tokens": True})
    _json(folder / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
        {"idx": 3, "name": "3", "path": "3_Dense", "type": "sentence_transformers.models.Dense"},
        {"idx": 4, "name": "4", "path": "4_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    _json(folder / "config.json", {
        "architectures": ["Gemma3TextModel"], "model_type": "gemma3_text",
        "hidden_size": HIDDEN, "intermediate_size": FF, "num_hidden_layers": layers,
        "num_attention_heads": HEADS, "num_key_value_heads": KV_HEADS, "head_dim": HEAD_DIM,
        "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "sliding_window": 16,
        "rope_theta": 1_000_000.0, "rope_local_base_freq": 10_000.0, "vocab_size": vocab,
        "use_bidirectional_attention": True,
    })
    _json(folder / "tokenizer_config.json", {
        "add_bos_token": True, "add_eos_token": True,
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
        "added_tokens_decoder": {
            "0": {"content": "<pad>", "special": True},
            "1": {"content": "</s>", "special": True},
            "2": {"content": "<s>", "special": True},
            "3": {"content": "<unk>", "special": True},
            str(vocab - 1): {"content": "<mark>", "special": False},
            str(vocab): {"content": "<image_soft_token>", "special": True},
        },
    })
    return folder


def _json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
