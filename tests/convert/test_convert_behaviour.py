"""The converter's promises: deterministic output, clear refusals, no partial files."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from convert.cli import main as convert_main
from convert.errors import ConversionError
from convert.pipeline import convert

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("qtype", ["Q8_0", "MIX_BF16", "Q4_K_M"])
def test_same_input_and_type_give_identical_bytes(tiny_checkpoint, tiny_gguf, tmp_path, qtype):
    again = convert(tiny_checkpoint, qtype, tmp_path / "again.gguf")
    assert again.read_bytes() == tiny_gguf(qtype).read_bytes()


def test_output_gets_ordinary_file_permissions(tiny_gguf):
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(tiny_gguf("F16").stat().st_mode) == 0o666 & ~umask


def _broken_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _assert_refused(ckpt: Path, out_dir: Path, match: str, qtype: str = "Q8_0") -> None:
    out_dir.mkdir(exist_ok=True)
    with pytest.raises(ConversionError, match=match):
        convert(ckpt, qtype, out_dir / "model.gguf")
    assert list(out_dir.iterdir()) == []  # no partial output, not even a hidden temp file


def test_refuses_a_model_that_is_not_embeddinggemma(tiny_checkpoint, tmp_path):
    ckpt = _broken_copy(tiny_checkpoint, tmp_path / "llama")
    cfg = json.loads((ckpt / "config.json").read_text())
    cfg.update(model_type="llama", architectures=["LlamaForCausalLM"])
    (ckpt / "config.json").write_text(json.dumps(cfg))
    _assert_refused(ckpt, tmp_path / "out", "not an EmbeddingGemma checkpoint")


@pytest.mark.parametrize("missing", ["tokenizer.model", "3_Dense/model.safetensors", "modules.json"])
def test_refuses_a_checkpoint_with_a_missing_file(tiny_checkpoint, tmp_path, missing):
    ckpt = _broken_copy(tiny_checkpoint, tmp_path / "ckpt")
    (ckpt / missing).unlink()
    _assert_refused(ckpt, tmp_path / "out", "missing file|does not list|no linear")


def test_refuses_a_truncated_weights_file(tiny_checkpoint, tmp_path):
    ckpt = _broken_copy(tiny_checkpoint, tmp_path / "ckpt")
    weights = ckpt / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    _assert_refused(ckpt, tmp_path / "out", "damaged or truncated")


def test_refuses_a_checkpoint_missing_a_layer(tiny_checkpoint, tmp_path):
    from safetensors.numpy import load_file, save_file

    ckpt = _broken_copy(tiny_checkpoint, tmp_path / "ckpt")
    tensors = load_file(str(ckpt / "model.safetensors"))
    del tensors["layers.4.mlp.up_proj.weight"]
    save_file(tensors, str(ckpt / "model.safetensors"))
    _assert_refused(ckpt, tmp_path / "out", "lacks 1 tensors.*blk.4.ffn_up")


def test_refuses_an_unknown_type(tiny_checkpoint, tmp_path):
    _assert_refused(tiny_checkpoint, tmp_path / "out", "unknown type 'Q3_K'", qtype="Q3_K")


def test_a_failed_conversion_leaves_the_previous_file_alone(tiny_checkpoint, tiny_gguf, tmp_path):
    out = tmp_path / "model.gguf"
    shutil.copy(tiny_gguf("Q8_0"), out)
    before = out.read_bytes()
    ckpt = _broken_copy(tiny_checkpoint, tmp_path / "ckpt")
    (ckpt / "tokenizer.model").write_bytes(b"not a sentencepiece model")
    with pytest.raises(ConversionError):
        convert(ckpt, "Q8_0", out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt", "model.gguf"]


def test_cli_reports_progress_and_errors_as_json_lines(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "m.gguf"
    rc = convert_main(["--checkpoint", str(tiny_checkpoint), "--out", str(out), "--progress", "json"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert rc == 0 and out.is_file()
    assert {"check", "hash", "write"} <= {x["stage"] for x in lines}
    assert lines[-1] == {"stage": "done", "path": str(out)}

    rc = convert_main(["--checkpoint", str(tmp_path / "nowhere"), "--out", str(out), "--progress", "json"])
    last = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert rc == 1 and last["stage"] == "error" and "not found" in last["message"]


def test_bf16_checkpoints_convert_exactly(tmp_path):
    from gguf import GGUFReader

    from tests.convert.synthetic import make_checkpoint

    ckpt = make_checkpoint(tmp_path / "bf16", bf16=True)
    out = convert(ckpt, "F32", tmp_path / "bf16.gguf")
    up = {t.name: t.data for t in GGUFReader(out).tensors}["blk.0.ffn_up.weight"]
    assert (up.view("<u4") & 0xFFFF).max() == 0  # BF16 values widened, not re-rounded
    assert up.std() > 0.01


@pytest.mark.skipif(not hasattr(signal, "SIGXFSZ"), reason="RLIMIT_FSIZE is POSIX")
@pytest.mark.parametrize("qtype", ["F16", "MIX_BF16"])
def test_a_full_disk_is_a_clear_refusal_and_leaves_nothing(tiny_checkpoint, tiny_gguf, tmp_path, qtype):
    limit = tiny_gguf(qtype).stat().st_size // 3
    script = ("import resource, signal, sys\n"
              "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
              f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
              "from convert.cli import main\n"
              "sys.exit(main(sys.argv[1:]))\n")
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", script, "--checkpoint", str(tiny_checkpoint), "--type", qtype,
                           "--out", str(out / "model.gguf"), "--progress", "json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert last["stage"] == "error" and f"the disk holding {out} is full" in last["message"]
    assert "Traceback" not in done.stderr
    assert list(out.iterdir()) == []
