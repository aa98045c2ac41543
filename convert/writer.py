"""Write the GGUF file: metadata first, then tensors streamed one at a time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from gguf import GGUFWriter, LlamaFileType, PoolingType

from convert import CONVERTER_VERSION
from convert.source import Checkpoint
from convert.tensors import TensorPlan, iter_tensors
from convert.vocab import Vocab

ARCH = "gemma-embedding"
QUANTIZATION_VERSION = 2


def _add_metadata(
    w: GGUFWriter, ckpt: Checkpoint, vocab: Vocab, ftype: LlamaFileType, hashes: list[tuple[str, str]]
) -> None:
    hp = ckpt.hparams
    w.add_name("EmbeddingGemma")
    w.add_file_type(int(ftype))
    w.add_quantization_version(QUANTIZATION_VERSION)
    w.add_block_count(hp.n_layer)
    w.add_context_length(hp.n_ctx)
    w.add_embedding_length(hp.n_embd)
    w.add_feed_forward_length(hp.n_ff)
    w.add_head_count(hp.n_head)
    w.add_head_count_kv(hp.n_head_kv)
    w.add_key_length(hp.head_dim)
    w.add_value_length(hp.head_dim)
    w.add_layer_norm_rms_eps(hp.rms_eps)
    # The raw config value: transformers' config class rewrites it on load.
    w.add_sliding_window(hp.sliding_window)
    w.add_rope_freq_base(hp.rope_theta)
    w.add_rope_freq_base_swa(hp.rope_theta_swa)
    w.add_pooling_type(PoolingType.MEAN)
    w.add_dense_features_dims("dense_2", *hp.dense_2)
    w.add_dense_features_dims("dense_3", *hp.dense_3)

    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(vocab.tokens)
    w.add_token_scores(vocab.scores)
    w.add_token_types(vocab.types)
    w.add_bos_token_id(vocab.bos_id)
    w.add_eos_token_id(vocab.eos_id)
    w.add_unk_token_id(vocab.unk_id)
    w.add_pad_token_id(vocab.pad_id)
    w.add_add_bos_token(vocab.add_bos)
    w.add_add_eos_token(vocab.add_eos)
    w.add_add_space_prefix(False)

    w.add_string("gemseek.converter.version", CONVERTER_VERSION)
    w.add_array("gemseek.source.sha256", [f"{rel}:{digest}" for rel, digest in hashes])


def write_gguf(
    path: Path,
    ckpt: Checkpoint,
    vocab: Vocab,
    tensors: list[TensorPlan],
    ftype: LlamaFileType,
    hashes: list[tuple[str, str]],
    on_bytes: Callable[[int, int], None] = lambda done, total: None,
) -> None:
    """Write a complete GGUF at ``path`` (the caller makes it atomic).

    ``on_bytes(done, total)`` follows the tensor data written so far.
    """
    w = GGUFWriter(path, ARCH)
    try:
        _add_metadata(w, ckpt, vocab, ftype, hashes)
        for t in tensors:
            w.add_tensor_info(t.name, t.shape, np.dtype(np.float32), t.nbytes, raw_dtype=t.qtype)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_ti_data_to_file()
        total = sum(t.nbytes for t in tensors)
        done = 0
        on_bytes(done, total)
        for t, data in iter_tensors(ckpt, tensors):
            w.write_tensor_data(data)
            done += t.nbytes
            on_bytes(done, total)
        w.flush()
    finally:
        w.close()
