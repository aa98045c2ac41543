"""Source DIR, and what every source shares: staging, atomic install, no-op refetch, lock."""

from __future__ import annotations

import os

import pytest

from app.core.checkpoint import STAMP_NAME, is_checkpoint_ready
from app.core.errors import FetchError, IntegrityError
from app.core.fetch import fetch_checkpoint, staging
from app.core.progress import Cancelled, CancelToken
from tests.helpers.wheels import fake_files, manifest_for, write_tree


@pytest.fixture
def files():
    return fake_files()


@pytest.fixture
def manifest(files):
    return manifest_for(files)


@pytest.fixture
def src(tmp_path, files):
    """A downloaded checkpoint folder, with an extra file that must not be copied."""
    folder = write_tree(tmp_path / "downloaded", files)
    (folder / "README.md").write_text("model card\n")
    return folder


def fetch(paths, source, manifest, **kwargs):
    return list(fetch_checkpoint(paths, str(source), manifest=manifest, **kwargs))


def snapshot(folder):
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def assert_no_leftovers(paths):
    assert [p.name for p in paths.models.glob(".embeddinggemma-300m.*")] == []


def test_dir_source_copies_only_manifest_files(paths, src, files, manifest):
    progress = fetch(paths, src, manifest)
    got = {k: v[0] for k, v in snapshot(paths.checkpoint).items()}
    assert got.pop(STAMP_NAME)
    assert got == files
    assert is_checkpoint_ready(paths, manifest)
    copy = [p for p in progress if p.stage == "copy"]
    assert copy[-1].done == copy[-1].total == sum(map(len, files.values()))
    assert progress[-1].stage == "done"
    assert_no_leftovers(paths)


def test_dir_source_missing_file_is_refused(paths, src, manifest):
    (src / "2_Dense/model.safetensors").unlink()
    with pytest.raises(
        IntegrityError, match=r"2_Dense/model.safetensors: missing from .*downloaded"
    ):
        fetch(paths, src, manifest)
    assert not paths.checkpoint.exists()
    assert_no_leftovers(paths)


def test_dir_source_truncated_file_is_refused(paths, src, files, manifest):
    (src / "model.safetensors").write_bytes(files["model.safetensors"][:100])
    with pytest.raises(
        IntegrityError, match="model.safetensors in .*: expected 40000 bytes, got 100"
    ):
        fetch(paths, src, manifest)
    assert not paths.checkpoint.exists()
    assert_no_leftovers(paths)


def test_dir_source_changed_bytes_are_refused(paths, src, files, manifest):
    (src / "config.json").write_bytes(files["config.json"].upper())
    with pytest.raises(IntegrityError, match="config.json in .*: expected sha256"):
        fetch(paths, src, manifest)
    assert not paths.checkpoint.exists()
    assert_no_leftovers(paths)


def test_dir_source_must_be_a_folder(paths, tmp_path, manifest):
    with pytest.raises(FetchError, match="is not a folder; --source takes"):
        fetch(paths, tmp_path / "nowhere", manifest)


def test_good_copy_is_untouched_when_a_later_fetch_fails(paths, src, files, manifest):
    fetch(paths, src, manifest)
    before = snapshot(paths.checkpoint)
    (src / "tokenizer.json").write_bytes(b"corrupted" + files["tokenizer.json"][9:])
    with pytest.raises(IntegrityError, match="tokenizer.json"):
        fetch(paths, src, manifest, force=True)
    assert snapshot(paths.checkpoint) == before
    assert is_checkpoint_ready(paths, manifest)
    assert_no_leftovers(paths)


def test_forced_fetch_replaces_the_copy(paths, src, manifest):
    fetch(paths, src, manifest)
    (paths.checkpoint / "stray.txt").write_text("from the old copy")
    fetch(paths, src, manifest, force=True)
    assert not (paths.checkpoint / "stray.txt").exists()
    assert is_checkpoint_ready(paths, manifest)
    assert_no_leftovers(paths)


def test_failed_swap_puts_the_old_copy_back(paths, src, manifest, monkeypatch):
    fetch(paths, src, manifest)
    before = snapshot(paths.checkpoint)
    real_replace = os.replace

    def replace(a, b):
        if ".ready-" in str(a):  # the new copy cannot take the old one's place
            raise PermissionError("simulated")
        real_replace(a, b)

    monkeypatch.setattr(staging.os, "replace", replace)
    with pytest.raises(PermissionError):
        fetch(paths, src, manifest, force=True)
    monkeypatch.undo()
    assert snapshot(paths.checkpoint) == before
    assert_no_leftovers(paths)


def test_refetch_with_verified_copy_does_nothing(paths, src, manifest, tmp_path):
    fetch(paths, src, manifest)
    progress = fetch(paths, tmp_path / "nowhere", manifest)
    assert [p.stage for p in progress] == ["done"]
    assert "already verified; nothing to do" in progress[0].message


def test_stale_stamp_is_rechecked_without_fetching(paths, src, manifest, tmp_path):
    fetch(paths, src, manifest)
    os.utime(paths.checkpoint / "config.json")  # new mtime: the stamp no longer vouches
    assert not is_checkpoint_ready(paths, manifest)
    progress = fetch(paths, tmp_path / "nowhere", manifest)
    assert "verify" in [p.stage for p in progress]
    assert progress[-1].message.startswith("Verified the checkpoint already at")
    assert is_checkpoint_ready(paths, manifest)


def test_damaged_copy_is_replaced(paths, src, files, manifest):
    fetch(paths, src, manifest)
    (paths.checkpoint / "config.json").write_bytes(files["config.json"].upper())
    progress = fetch(paths, src, manifest)
    notes = [p.message for p in progress if p.stage == "note"]
    assert len(notes) == 1 and "damaged" in notes[0] and "config.json" in notes[0]
    assert (paths.checkpoint / "config.json").read_bytes() == files["config.json"]
    assert is_checkpoint_ready(paths, manifest)


def test_leftovers_of_a_killed_fetch_are_removed(paths, src, manifest):
    stale = paths.models / ".embeddinggemma-300m.staging-dead"
    (stale / "sub").mkdir(parents=True)
    (stale / "sub" / "big.bin").write_bytes(b"x" * 100)
    fetch(paths, src, manifest)
    assert not stale.exists()
    assert_no_leftovers(paths)


def test_cancel_leaves_no_checkpoint(paths, src, manifest):
    token = CancelToken()
    with pytest.raises(Cancelled):
        for p in fetch_checkpoint(paths, str(src), cancel=token, manifest=manifest):
            if p.stage == "copy":
                token.cancel()
    assert not paths.checkpoint.exists()
    assert_no_leftovers(paths)


def test_second_fetch_at_the_same_time_is_refused(paths, src, manifest):
    with staging.fetch_lock(paths), pytest.raises(FetchError, match="already running"):
        fetch(paths, src, manifest)
    fetch(paths, src, manifest)  # the lock is free again
    assert is_checkpoint_ready(paths, manifest)


@pytest.mark.parametrize("left", ["ready", "old", "both"])
def test_a_kill_between_the_renames_of_an_install_loses_no_copy(paths, src, files, manifest, tmp_path, left):
    """Killed after the old copy was moved aside and before the new one took its place: nothing at the target."""
    fetch(paths, src, manifest)
    complete = paths.checkpoint
    if left in ("old", "both"):
        old = paths.models / ".embeddinggemma-300m.old-dead0001"
        os.replace(complete, old)
        if left == "both":
            import shutil

            shutil.copytree(old, paths.models / ".embeddinggemma-300m.ready-dead0002")
    else:
        os.replace(complete, paths.models / ".embeddinggemma-300m.ready-dead0002")
    (paths.models / ".embeddinggemma-300m.staging-dead0003").mkdir()  # and a half-written one
    assert not is_checkpoint_ready(paths, manifest)
    progress = fetch(paths, tmp_path / "nowhere", manifest)  # no source at hand: it must not need one
    assert any("interrupted" in p.message for p in progress if p.stage == "note")
    assert is_checkpoint_ready(paths, manifest)
    got = {k: v[0] for k, v in snapshot(paths.checkpoint).items()}
    got.pop(STAMP_NAME)
    assert got == files
    assert_no_leftovers(paths)  # the rest of what the kill left is gone too
