"""EmbeddingGemma's forward pass in plain numpy, for checking converted tiny models.

Written from the model description (Gemma 3 encoder: RMSNorm with 1 + weight,
q/k norms, NeoX RoPE with a local and a global base, symmetric sliding
window on five of every six layers, GELU-tanh gated FFN), not from llama.cpp.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file


def _rms(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * (1.0 + w)


def _rope(x: np.ndarray, base: float) -> np.ndarray:
    t, _, d = x.shape
    inv = base ** (-np.arange(0, d, 2, dtype=np.float64) / d)
    ang = np.arange(t)[:, None] * inv[None, :]
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., : d // 2], x[..., d // 2 :]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def embed(folder: Path, tokens: list[int]) -> np.ndarray:
    """The normalised sentence embedding of ``tokens`` (BOS/EOS included)."""
    cfg = json.loads((folder / "config.json").read_text())
    w = {k: v.astype(np.float64) for k, v in load_file(str(folder / "model.safetensors")).items()}
    eps, hd = cfg["rms_norm_eps"], cfg["head_dim"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    t = len(tokens)
    x = w["embed_tokens.weight"][tokens] * np.sqrt(cfg["hidden_size"])
    pos = np.arange(t)
    for i in range(cfg["num_hidden_layers"]):
        p = f"layers.{i}."
        local = i % 6 < 5
        h = _rms(x, w[p + "input_layernorm.weight"], eps)
        q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(t, nh, hd)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(t, nkv, hd)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(t, nkv, hd)
        q = _rms(q, w[p + "self_attn.q_norm.weight"], eps)
        k = _rms(k, w[p + "self_attn.k_norm.weight"], eps)
        base = cfg["rope_local_base_freq"] if local else cfg["rope_theta"]
        q, k = _rope(q, base), _rope(k, base)
        k = np.repeat(k, nh // nkv, axis=1)
        v = np.repeat(v, nh // nkv, axis=1)
        scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(hd)
        if local:
            far = np.abs(pos[:, None] - pos[None, :]) > cfg["sliding_window"] // 2
            scores = np.where(far[None], -np.inf, scores)
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        att = np.einsum("hqk,khd->qhd", probs, v).reshape(t, nh * hd)
        att = att @ w[p + "self_attn.o_proj.weight"].T
        x = x + _rms(att, w[p + "post_attention_layernorm.weight"], eps)
        h = _rms(x, w[p + "pre_feedforward_layernorm.weight"], eps)
        ff = _gelu_tanh(h @ w[p + "mlp.gate_proj.weight"].T) * (h @ w[p + "mlp.up_proj.weight"].T)
        ff = ff @ w[p + "mlp.down_proj.weight"].T
        x = x + _rms(ff, w[p + "post_feedforward_layernorm.weight"], eps)
    x = _rms(x, w["norm.weight"], eps)
    pooled = x.mean(axis=0)
    for dense in ("2_Dense", "3_Dense"):
        pooled = load_file(str(folder / dense / "model.safetensors"))["linear.weight"].astype(np.float64) @ pooled
    return pooled / np.linalg.norm(pooled)
