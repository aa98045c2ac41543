"""The command line's surface: version, help, status, and clear errors."""

from __future__ import annotations

import json

import pytest

from app import __version__
from app.cli import main


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"gemseek {__version__}"


def test_help_lists_the_commands_and_the_environment(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for word in ("model", "convert", "demo", "--home", "GEMSEEK_HOME", "GEMSEEK_MODELS"):
        assert word in out


def test_model_status_on_an_empty_home(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "model", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["checkpoint"]["present"] is False
    assert status["gguf"] == []
    assert status["active"] == {"quantization": "auto", "type": None, "dimension": 768, "path": None,
                                "present": False}
    assert status["engine"]["measured"] is False and status["engine"]["config"] is None
    assert main(["--home", str(tmp_path), "model", "status"]) == 0
    out = capsys.readouterr().out
    assert "run `gemseek model prepare`" in out and "not measured on this computer yet" in out


def test_model_status_lists_converted_files_and_the_active_one(tmp_path, capsys, tiny_gguf):
    from app.core import settings as settings_mod
    from app.core.paths import Paths
    from app.core.settings import Settings

    paths = Paths.resolve(tmp_path)
    settings_mod.save(Settings(quantization="Q8_0"), paths.settings_file)  # a type chosen by hand
    paths.gguf_dir.mkdir(parents=True)
    for q in ("Q8_0", "F16"):
        paths.gguf_file(q).write_bytes(tiny_gguf(q).read_bytes())
    assert main(["--home", str(tmp_path), "model", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [(g["qtype"], g["active"]) for g in status["gguf"]] == [("F16", False), ("Q8_0", True)]
    assert all(len(g["fingerprint"]) == 16 for g in status["gguf"])


def test_convert_without_a_checkpoint_says_what_to_do(tmp_path, capsys):
    assert main(["--home", str(tmp_path), "convert"]) == 1
    assert "run `gemseek model fetch` first" in capsys.readouterr().err


def test_convert_runs_the_converter_as_a_child_process(tmp_path, capsys, tiny_checkpoint):
    out = tmp_path / "tiny.gguf"
    args = ["--home", str(tmp_path), "convert", "--checkpoint", str(tiny_checkpoint), "--type", "q8_0",
            "--out", str(out)]
    assert main(args) == 0
    assert out.is_file() and "Q8_0" in capsys.readouterr().out


def test_convert_failure_is_one_clear_line(tmp_path, capsys):
    args = ["--home", str(tmp_path), "convert", "--checkpoint", str(tmp_path), "--out", str(tmp_path / "x.gguf")]
    assert main(args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("gemseek: error: conversion to Q8_0 failed: missing file")
    assert not (tmp_path / "x.gguf").exists()


def test_model_probe_that_finds_nothing_usable_says_so_in_one_line(tmp_path, capsys, tiny_gguf):
    from app.core import settings as settings_mod
    from app.core.paths import Paths
    from app.core.settings import Settings

    paths = Paths.resolve(tmp_path)
    settings_mod.save(Settings(quantization="F32", threads=1), paths.settings_file)
    paths.gguf_dir.mkdir(parents=True)
    paths.gguf_file("F32").write_bytes(tiny_gguf("F32").read_bytes())  # loads, but is not EmbeddingGemma
    assert main(["--home", str(tmp_path), "model", "probe"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("gemseek: error: the model cannot run on this computer")
    assert "F32 · 1 thread · CPU · no extra buffers" in err[-1] and str(paths.logs) in err[-1]  # each try, why
    assert main(["--home", str(tmp_path), "model", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["engine"]["measured"] is False and status["active"]["type"] == "F32"


def test_status_groups_many_skipped_files_by_reason(capsys):
    from app.cli.index_cmds import _print_skipped

    skipped = [(f"/photos/p{i}.jpg", "unsupported type: .jpg files are not read") for i in range(500)]
    skipped.append(("/docs/secret.pdf", "encrypted PDF"))
    _print_skipped(skipped)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "  encrypted PDF: 1 file" and out[1] == "    /docs/secret.pdf"  # the rare reasons first
    assert "  unsupported type: .jpg files are not read: 500 files" in out
    assert out[-1].endswith("and 497 more (gemseek status --json lists them all)") and len(out) < 12
    _print_skipped(skipped[:2])
    assert capsys.readouterr().out.count("\n") == 2


def test_search_operators_from_the_command_line(tmp_path, capsys):
    from app.core.indexer import Indexer
    from app.core.paths import Paths
    from app.core.store import Store
    from tests.helpers.fakes import FakeEmbedder

    root = tmp_path / "docs"
    (root / "letters").mkdir(parents=True)
    (root / "letters" / "rent.txt").write_text("The monthly rent increases by five percent from March.")
    (root / "notes.md").write_text("# Rent\n\nNotes about the monthly rent and the garden.")
    emb = FakeEmbedder()
    with Store(Paths.resolve(tmp_path / "home"), emb.fingerprint, 768) as store, Indexer(store, emb) as ix:
        list(ix.sync([root]))
    home = ["--home", str(tmp_path / "home")]
    assert main([*home, "search", "--mode", "keyword", "--json", "monthly rent in:letters"]) == 0
    found = [r["path"] for r in json.loads(capsys.readouterr().out)["results"]]
    assert found == [str(root / "letters" / "rent.txt")]
    assert main([*home, "search", "--mode", "keyword", "--json", "monthly rent -garden"]) == 0
    assert [r["path"] for r in json.loads(capsys.readouterr().out)["results"]] == found
    assert main([*home, "search", "--mode", "keyword", "rent after:last-week"]) == 1
    assert "after: wants a date like 2025-01-31" in capsys.readouterr().err


def test_similar_files_from_the_command_line(tmp_path, capsys, tiny_gguf):
    import shutil

    from app.core.indexer import Indexer
    from app.core.paths import Paths
    from app.core.settings import Settings
    from app.core.store import Store
    from tests.helpers.fakes import FakeEmbedder, write_engine_record

    paths = Paths.resolve(tmp_path / "home")
    paths.gguf_file("F32").parent.mkdir(parents=True)
    shutil.copy(tiny_gguf("F32"), paths.gguf_file("F32"))
    rec = write_engine_record(paths, Settings(), "F32")  # the model in use: its vectors are the stored ones
    root = tmp_path / "docs"
    root.mkdir()
    (root / "rent.txt").write_text("The landlord raises the monthly rent by five percent from March.")
    (root / "lease.txt").write_text("The lease says the landlord may raise the monthly rent once a year.")
    (root / "garden.md").write_text("# Garden\n\nPlant tomatoes in May and water them daily.")
    emb = FakeEmbedder()
    emb.fingerprint = rec.fingerprint
    with Store(paths, emb.fingerprint, 768) as store, Indexer(store, emb) as ix:
        list(ix.sync([root]))
    home = ["--home", str(tmp_path / "home")]
    assert main([*home, "similar", str(root / "rent.txt"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["path"] for r in out["results"]] == [str(root / "lease.txt"), str(root / "garden.md")]
    assert main([*home, "similar", str(root / "nope.txt")]) == 1
    assert "is not in the index" in capsys.readouterr().err


def test_status_counts_without_loading_the_vector_index(tmp_path, capsys, monkeypatch):
    from app.core import vectors
    from app.core.indexer import Indexer
    from app.core.paths import Paths
    from app.core.store import Store
    from tests.helpers.fakes import FakeEmbedder

    root = tmp_path / "docs"
    root.mkdir()
    (root / "a.txt").write_text("a note about the garden")
    emb = FakeEmbedder()
    with Store(Paths.resolve(tmp_path / "home"), emb.fingerprint, 768) as store, Indexer(store, emb) as ix:
        list(ix.sync([root]))
    monkeypatch.setattr(vectors.VectorIndex, "load", lambda *a, **k: pytest.fail("status loaded the vector index"))
    assert main(["--home", str(tmp_path / "home"), "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["files"] == 1 and status["app"] is None  # no desktop app runs on this index


def test_weaker_matches_are_set_apart_in_the_terminal(capsys):
    import dataclasses
    from pathlib import Path

    from app.cli.search_cmd import print_results
    from app.core.search import Result

    r = Result(path=Path("/d/a.txt"), display="/d/a.txt", score=0.6, snippet="s", highlights=(), char_start=0,
               char_end=1, page=None, line=1, title="a", kind="text", ext="txt", modified=0.0)
    print_results([r, dataclasses.replace(r, score=0.2, weak=True)], 0.01, color=False)
    lines = capsys.readouterr().out.splitlines()
    assert [i for i, line in enumerate(lines) if "weaker matches" in line] == [2]  # between the two


def test_index_ocr_flag_turns_ocr_on_and_off_in_the_settings(tmp_path, monkeypatch):
    from app.cli import build_parser, index_cmds
    from app.core import settings as settings_mod
    from app.core.errors import GemseekError
    from app.core.paths import Paths

    paths = Paths.resolve(tmp_path / "home")
    folder = tmp_path / "scans"
    folder.mkdir()
    parser = build_parser()
    assert parser.parse_args(["index"]).ocr is None  # not given: the settings decide
    args = parser.parse_args(["index", "--ocr", str(folder)])
    assert index_cmds._configured(paths, list(args.paths), args.ocr).ocr is True
    assert settings_mod.load(paths.settings_file).ocr is True
    args = parser.parse_args(["index", "--no-ocr"])
    assert index_cmds._configured(paths, [], args.ocr).ocr is False
    assert settings_mod.load(paths.settings_file).ocr is False
    monkeypatch.setattr(index_cmds, "ocr_available", lambda: False)
    with pytest.raises(GemseekError, match="OCR is not available"):
        index_cmds._configured(paths, [], True)
    assert settings_mod.load(paths.settings_file).ocr is False
