"""The manifest, verification and the verified stamp."""

from __future__ import annotations

import os

import pytest

from app.core import checkpoint
from app.core.checkpoint import (
    MANIFEST,
    STAMP_NAME,
    checkpoint_status,
    is_checkpoint_ready,
    verify_checkpoint,
)
from app.core.errors import IntegrityError
from app.core.paths import Paths
from app.core.progress import Cancelled, CancelToken
from tests.helpers.wheels import fake_files, manifest_for, write_tree


@pytest.fixture
def paths(tmp_path):
    return Paths.resolve(tmp_path / "home")


@pytest.fixture
def files():
    return fake_files()


@pytest.fixture
def manifest(files):
    return manifest_for(files)


def run(gen):
    return list(gen)


def test_manifest_is_the_real_checkpoint():
    assert len(MANIFEST) == 16
    assert len({e.relpath for e in MANIFEST}) == 16
    assert all(len(e.sha256) == 64 and int(e.sha256, 16) >= 0 for e in MANIFEST)
    assert checkpoint.manifest_bytes() == 1_269_594_570
    assert checkpoint.GEMMA_TERMS_URL == "https://ai.google.dev/gemma/terms"


def test_verify_good_folder_reports_bytes_and_stamps(tmp_path, files, manifest):
    folder = write_tree(tmp_path / "ck", files)
    progress = run(verify_checkpoint(folder, manifest))
    total = sum(len(b) for b in files.values())
    assert {p.stage for p in progress} == {"verify"}
    assert progress[-1].done == progress[-1].total == total
    assert progress[-1].unit == "B"
    assert (folder / STAMP_NAME).is_file()
    assert checkpoint.stamp_matches(folder, manifest)


def test_verify_names_missing_file(tmp_path, files, manifest):
    folder = write_tree(tmp_path / "ck", files)
    (folder / "2_Dense/model.safetensors").unlink()
    with pytest.raises(IntegrityError, match="2_Dense/model.safetensors: missing"):
        run(verify_checkpoint(folder, manifest))
    assert not (folder / STAMP_NAME).exists()


def test_verify_names_truncated_file(tmp_path, files, manifest):
    folder = write_tree(tmp_path / "ck", files)
    (folder / "config.json").write_bytes(b"{}")
    expected = len(files["config.json"])
    with pytest.raises(IntegrityError, match=rf"config.json.*expected {expected} bytes, got 2"):
        run(verify_checkpoint(folder, manifest))


def test_verify_names_changed_content_with_both_hashes(tmp_path, files, manifest):
    folder = write_tree(tmp_path / "ck", files)
    data = bytearray(files["model.safetensors"])
    data[1000] ^= 0xFF
    (folder / "model.safetensors").write_bytes(bytes(data))
    entry = manifest[0]
    with pytest.raises(IntegrityError) as info:
        run(verify_checkpoint(folder, manifest))
    message = str(info.value)
    assert message.startswith("model.safetensors")
    assert entry.sha256 in message
    assert checkpoint.hashlib.sha256(bytes(data)).hexdigest() in message


def test_verify_can_be_cancelled(tmp_path, files, manifest):
    folder = write_tree(tmp_path / "ck", files)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run(verify_checkpoint(folder, manifest, token))
    assert not (folder / STAMP_NAME).exists()


def test_status_of_missing_checkpoint(paths, manifest):
    status = checkpoint_status(paths, manifest)
    assert status == {
        "path": str(paths.checkpoint),
        "present": False,
        "verified": False,
        "files": 0,
        "bytes": 0,
    }
    assert not is_checkpoint_ready(paths, manifest)


def test_status_present_but_unverified(paths, files, manifest):
    write_tree(paths.checkpoint, files)
    status = checkpoint_status(paths, manifest)
    assert status["present"] and not status["verified"]
    assert status["files"] == len(files)
    assert status["bytes"] == sum(len(b) for b in files.values())


def test_stamp_is_trusted_until_size_or_mtime_changes(paths, files, manifest):
    folder = write_tree(paths.checkpoint, files)
    run(verify_checkpoint(folder, manifest))
    assert is_checkpoint_ready(paths, manifest)
    assert checkpoint_status(paths, manifest)["verified"]

    # Same size and mtime: the stamp is trusted, nothing is rehashed.
    target = folder / "model.safetensors"
    st = target.stat()
    target.write_bytes(b"\0" * st.st_size)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert is_checkpoint_ready(paths, manifest)

    # A changed mtime voids the stamp.
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert not is_checkpoint_ready(paths, manifest)
    assert not checkpoint_status(paths, manifest)["verified"]


def test_stamp_for_another_manifest_is_not_trusted(paths, files, manifest):
    folder = write_tree(paths.checkpoint, files)
    run(verify_checkpoint(folder, manifest))
    other = tuple(e._replace(sha256="0" * 64) if i == 0 else e for i, e in enumerate(manifest))
    assert not is_checkpoint_ready(paths, other)


def test_corrupt_stamp_is_not_trusted(paths, files, manifest):
    folder = write_tree(paths.checkpoint, files)
    run(verify_checkpoint(folder, manifest))
    (folder / STAMP_NAME).write_text("{not json")
    assert not is_checkpoint_ready(paths, manifest)
