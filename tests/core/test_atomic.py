"""JSON files are replaced whole: a failed write leaves the old file and no temporary one."""

from __future__ import annotations

import json

import pytest

from app.core.atomic import write_json


def test_write_json_replaces_the_file_and_leaves_nothing_beside_it(tmp_path):
    path = tmp_path / "record.json"
    write_json(path, {"a": 1})
    write_json(path, {"a": 2}, indent=1)
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "record.json"
    write_json(path, {"a": 1})
    with pytest.raises(TypeError):
        write_json(path, {"a": object()})  # not JSON: fails before anything is renamed
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]
