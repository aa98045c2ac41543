"""``gemseek model fetch|status`` through the real argument parser."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.core import checkpoint
from tests.helpers.wheels import fake_files, manifest_for, write_tree

TERMS = (
    "EmbeddingGemma is provided under the Gemma Terms of Use (https://ai.google.dev/gemma/terms)"
)



@pytest.fixture
def files():
    return fake_files()


@pytest.fixture(autouse=True)
def tiny_manifest(monkeypatch, files):
    """The CLI checks against checkpoint.MANIFEST; make it the fake checkpoint's."""
    monkeypatch.setattr(checkpoint, "MANIFEST", manifest_for(files))


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def src(tmp_path, files):
    return write_tree(tmp_path / "downloaded", files)


def status_json(home, capsys):
    assert main(["--home", str(home), "model", "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fetch_from_dir_then_status(home, src, files, capsys):
    assert status_json(home, capsys)["checkpoint"]["present"] is False

    assert main(["--home", str(home), "model", "fetch", "--source", str(src)]) == 0
    out = capsys.readouterr().out
    assert out.count(TERMS) == 1
    assert "Installed the verified checkpoint at" in out

    status = status_json(home, capsys)
    assert status["checkpoint"] == {
        "path": str(home / "data" / "models" / "embeddinggemma-300m"),
        "present": True,
        "verified": True,
        "files": len(files),
        "bytes": sum(map(len, files.values())),
    }

    assert main(["--home", str(home), "model", "status"]) == 0
    out = capsys.readouterr().out
    assert "present   yes (4 of 4 files)" in out
    assert "verified  yes" in out


def test_second_fetch_does_nothing_and_does_not_repeat_the_notice(home, src, capsys):
    assert main(["--home", str(home), "model", "fetch", "--source", str(src)]) == 0
    capsys.readouterr()
    assert main(["--home", str(home), "model", "fetch", "--source", str(src)]) == 0
    out = capsys.readouterr().out
    assert TERMS not in out
    assert "already verified; nothing to do" in out


def test_refused_fetch_is_a_one_line_error(home, src, capsys):
    (src / "config.json").unlink()
    assert main(["--home", str(home), "model", "fetch", "--source", str(src)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("gemseek: error: config.json: missing from ")
    assert status_json(home, capsys)["checkpoint"]["present"] is False


def test_model_alone_shows_status(home, capsys):
    assert main(["--home", str(home), "model"]) == 0
    out = capsys.readouterr().out
    assert "verified  no" in out and "gemseek model fetch" in out
