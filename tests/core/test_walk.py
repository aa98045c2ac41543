"""The folder walk: what it leaves out, and that it judges each name once however deep the tree."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from app.core import ignore
from app.core.ignore import is_ignored
from app.core.walk import Found, Problem, walk

EXCLUDES = ("*.log", "drafts", "archive/2019*", "/top/secret")


def _random_tree(root: Path, rng: random.Random) -> list[Path]:
    """Folders and files named to hit every kind of rule: hidden, default names, name and path globs."""
    names = ["archive", "2019-q1", "2020", "drafts", "node_modules", ".git", "build", "top", "secret", "notes",
             "a b", "ünï"]
    files = []
    for _ in range(120):
        depth = rng.randint(0, 5)
        folder = root.joinpath(*(rng.choice(names) for _ in range(depth)))
        f = folder / rng.choice(["x.txt", "y.log", "z.md", "w~", ".hidden.txt", "drafts", "2019.txt"])
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not f.is_dir():
                f.write_text("text")
                files.append(f)
        except (FileExistsError, NotADirectoryError):
            continue  # a file took the name of a folder on the way
    return files


@pytest.mark.parametrize("seed", range(5))
def test_walk_leaves_out_exactly_what_is_ignored(tmp_path: Path, seed: int) -> None:
    root = tmp_path / "root"
    files = _random_tree(root, random.Random(seed))
    expected = {f for f in files if not is_ignored(f, root, EXCLUDES)}
    got = {item.path for item in walk(root, EXCLUDES) if isinstance(item, Found | Problem)}
    assert got == expected


def test_each_name_is_judged_once_however_deep(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "root"
    for level in range(40):
        folder = folder / f"level-{level}"
        folder.mkdir(parents=True)
        (folder / "note.txt").write_text("deep")
    judged: list[str] = []
    real = ignore.IgnoreRules.ignores_entry

    def counting(self, name: str, relative: str) -> bool:
        judged.append(relative)
        return real(self, name, relative)

    monkeypatch.setattr(ignore.IgnoreRules, "ignores_entry", counting)
    found = [item for item in walk(tmp_path / "root", ("*.log",)) if isinstance(item, Found)]
    assert len(found) == 40
    assert len(judged) == 80  # 40 folders and 40 files, not every folder again for each file below it
