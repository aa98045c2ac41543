"""Read converted tiny models back with gguf-py and check what llama.cpp will see."""

from __future__ import annotations

import json

import numpy as np
import pytest
from gguf import GGMLQuantizationType, GGUFReader
from gguf.quants import dequantize
from safetensors.numpy import load_file

from convert import CONVERTER_VERSION
from tests.convert import synthetic as syn


def _field(reader: GGUFReader, key: str):
    f = reader.get_field(key)
    assert f is not None, f"missing metadata {key}"
    return f.contents()


def test_metadata_matches_the_checkpoint(tiny_gguf, tiny_checkpoint):
    r = GGUFReader(tiny_gguf("Q8_0"))
    a = "gemma-embedding"
    assert _field(r, "general.architecture") == a
    assert _field(r, "general.file_type") == 7  # MOSTLY_Q8_0
    assert _field(r, "general.quantization_version") == 2
    expected = {
        f"{a}.block_count": syn.LAYERS,
        f"{a}.context_length": 256,
        f"{a}.embedding_length": syn.HIDDEN,
        f"{a}.feed_forward_length": syn.FF,
        f"{a}.attention.head_count": syn.HEADS,
        f"{a}.attention.head_count_kv": syn.KV_HEADS,
        f"{a}.attention.key_length": syn.HEAD_DIM,
        f"{a}.attention.value_length": syn.HEAD_DIM,
        f"{a}.attention.sliding_window": 16,
        f"{a}.pooling_type": 1,
        f"{a}.dense_2_feat_in": syn.HIDDEN,
        f"{a}.dense_2_feat_out": syn.DENSE_MID,
        f"{a}.dense_3_feat_in": syn.DENSE_MID,
        f"{a}.dense_3_feat_out": syn.HIDDEN,
    }
    for key, value in expected.items():
        assert _field(r, key) == value, key
    assert _field(r, f"{a}.attention.layer_norm_rms_epsilon") == pytest.approx(1e-6)
    assert _field(r, f"{a}.rope.freq_base") == pytest.approx(1e6)
    assert _field(r, f"{a}.rope.freq_base_swa") == pytest.approx(1e4)
    assert _field(r, "gemseek.converter.version") == CONVERTER_VERSION
    sources = dict(s.split(":", 1) for s in _field(r, "gemseek.source.sha256"))
    assert set(sources) >= {"model.safetensors", "tokenizer.model", "2_Dense/model.safetensors"}
    assert all(len(h) == 64 for h in sources.values())


def test_tokenizer_tables(tiny_gguf, tiny_checkpoint):
    r = GGUFReader(tiny_gguf("F32"))
    cfg = json.loads((tiny_checkpoint / "config.json").read_text())
    tokens = _field(r, "tokenizer.ggml.tokens")
    types = _field(r, "tokenizer.ggml.token_type")
    scores = _field(r, "tokenizer.ggml.scores")
    assert len(tokens) == len(types) == len(scores) == cfg["vocab_size"]  # <image_soft_token> dropped
    assert _field(r, "tokenizer.ggml.model") == "llama"
    assert _field(r, "tokenizer.ggml.pre") == "default"
    assert tokens[:4] == ["<pad>", "</s>", "<s>", "<unk>"]
    assert types[:4] == [3, 3, 3, 3]  # control
    assert tokens[-1] == "<mark>" and types[-1] == 4 and scores[-1] == -1000.0  # user-defined
    ids = {k: _field(r, f"tokenizer.ggml.{k}_token_id") for k in ("bos", "eos", "unknown", "padding")}
    assert ids == {"bos": 2, "eos": 1, "unknown": 3, "padding": 0}
    assert _field(r, "tokenizer.ggml.add_bos_token") is True
    assert _field(r, "tokenizer.ggml.add_eos_token") is True
    assert _field(r, "tokenizer.ggml.add_space_prefix") is False


def _tensors(path):
    return {t.name: t for t in GGUFReader(path).tensors}


def test_tensor_names_shapes_and_types(tiny_gguf):
    t = _tensors(tiny_gguf("Q8_0"))
    expected = {"token_embd.weight", "output_norm.weight", "dense_2.weight", "dense_3.weight"}
    for i in range(syn.LAYERS):
        expected |= {
            f"blk.{i}.{n}.weight"
            for n in (
                "attn_q", "attn_k", "attn_v", "attn_output", "attn_q_norm", "attn_k_norm", "attn_norm",
                "post_attention_norm", "ffn_norm", "post_ffw_norm", "ffn_gate", "ffn_up", "ffn_down",
            )
        }
    assert set(t) == expected  # tied embeddings: no output.weight
    vocab = 400
    assert list(t["token_embd.weight"].shape) == [syn.HIDDEN, vocab]  # rows beyond the vocabulary dropped
    assert list(t["dense_2.weight"].shape) == [syn.HIDDEN, syn.DENSE_MID]
    assert list(t["dense_3.weight"].shape) == [syn.DENSE_MID, syn.HIDDEN]
    assert list(t["blk.0.attn_k.weight"].shape) == [syn.HIDDEN, syn.KV_HEADS * syn.HEAD_DIM]
    for name, tensor in t.items():
        want = GGMLQuantizationType.F32 if len(tensor.shape) == 1 else GGMLQuantizationType.Q8_0
        assert tensor.tensor_type == want, name


def test_norm_weights_are_stored_plus_one(tiny_gguf, tiny_checkpoint):
    src = load_file(str(tiny_checkpoint / "model.safetensors"))
    t = _tensors(tiny_gguf("F32"))
    np.testing.assert_allclose(t["output_norm.weight"].data, src["norm.weight"] + 1, rtol=0, atol=1e-7)
    np.testing.assert_allclose(
        t["blk.2.attn_q_norm.weight"].data, src["layers.2.self_attn.q_norm.weight"] + 1, atol=1e-7
    )
    # weights that are not norms are stored unchanged
    np.testing.assert_array_equal(t["blk.1.ffn_up.weight"].data, src["layers.1.mlp.up_proj.weight"])


def test_q8_0_weights_dequantize_close_to_source(tiny_gguf, tiny_checkpoint):
    src = load_file(str(tiny_checkpoint / "model.safetensors"))
    q = _tensors(tiny_gguf("Q8_0"))["blk.0.ffn_gate.weight"]
    back = dequantize(q.data, GGMLQuantizationType.Q8_0).reshape(src["layers.0.mlp.gate_proj.weight"].shape)
    err = np.abs(back - src["layers.0.mlp.gate_proj.weight"]).max()
    assert 0 < err < 0.01


@pytest.mark.parametrize("qtype,file_type", [("F16", 1), ("BF16", 32), ("Q4_K_M", 15), ("Q4_0", 2)])
def test_other_types(tiny_gguf, qtype, file_type):
    r = GGUFReader(tiny_gguf(qtype))
    assert _field(r, "general.file_type") == file_type
    assert _field(r, "gemseek.converter.version") == CONVERTER_VERSION  # kept through llama.cpp's quantizer
    norms = [t for t in r.tensors if t.name.endswith("norm.weight")]
    assert norms and all(t.tensor_type == GGMLQuantizationType.F32 for t in norms)


def test_mixed_recipes_store_each_kind_of_tensor_their_way(tiny_gguf):
    t = _tensors(tiny_gguf("MIX_BF16"))
    assert t["blk.0.ffn_gate.weight"].tensor_type == GGMLQuantizationType.BF16  # the blocks do the matrix work
    assert t["dense_2.weight"].tensor_type == GGMLQuantizationType.Q8_0  # once per text, on the pooled vector
    # The token table is Q6_K where its rows fill 256-wide super-blocks; the tiny model's 64 do not.
    assert t["token_embd.weight"].tensor_type == GGMLQuantizationType.F16
    assert t["output_norm.weight"].tensor_type == GGMLQuantizationType.F32
    assert _tensors(tiny_gguf("MIX_F16"))["blk.3.attn_q.weight"].tensor_type == GGMLQuantizationType.F16


def test_ggml_row_quantizer_writes_k_quants_that_read_back_close():
    from convert.kquant import quantize_rows

    rng = np.random.default_rng(1)
    rows = rng.standard_normal((5, 768)).astype(np.float32)
    q6 = quantize_rows(rows, int(GGMLQuantizationType.Q6_K), threads=2)
    back = dequantize(q6, GGMLQuantizationType.Q6_K).reshape(rows.shape)
    assert np.abs(back - rows).max() < 0.1 and np.abs(back - rows).mean() < 0.02
    # rows are quantized one by one: how they are split between threads does not change a byte
    assert quantize_rows(rows, int(GGMLQuantizationType.Q6_K), threads=1).tobytes() == q6.tobytes()
    assert quantize_rows(rows, int(GGMLQuantizationType.Q6_K), threads=4).tobytes() == q6.tobytes()
