from __future__ import annotations

import json

import pytest

from app.core import settings as s
from app.core.errors import SettingsError


def test_defaults_when_no_file(tmp_path):
    got = s.load(tmp_path / "settings.json")
    assert (got.quantization, got.dimension, got.threads) == ("auto", 768, 0)


def test_round_trip(tmp_path):
    path = tmp_path / "cfg" / "settings.json"
    s.save(s.Settings().replace(quantization="Q4_K_M", dimension=256, threads=2), path)
    assert json.loads(path.read_text())["version"] == s.SCHEMA_VERSION
    assert s.load(path) == s.Settings(quantization="Q4_K_M", dimension=256, threads=2)


@pytest.mark.parametrize(
    "change,match",
    [({"dimension": 300}, "dimension must be one of"), ({"quantization": "Q3_K"}, "quantization must be"),
     ({"threads": -1}, "threads must be")],
)
def test_bad_values_are_refused(change, match):
    with pytest.raises(SettingsError, match=match):
        s.Settings().replace(**change)


def test_unversioned_file_is_migrated_and_unknown_keys_dropped(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"dimension": 512, "colour": "blue"}))
    assert s.load(path).dimension == 512


def test_newer_file_is_refused_not_misread(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": s.SCHEMA_VERSION + 1}))
    with pytest.raises(SettingsError, match="newer"):
        s.load(path)


def test_damaged_file_is_a_clear_error(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text("{not json")
    with pytest.raises(SettingsError, match="cannot read settings"):
        s.load(path)


def test_every_setting_is_described():
    from dataclasses import fields

    assert {f.name for f in fields(s.Settings)} == set(s.Settings.DESCRIPTIONS)


def test_version_2_file_gets_the_desktop_defaults(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 2, "dimension": 256, "roots": ["/x"]}))
    got = s.load(path)
    assert (got.dimension, got.roots, got.gentle, got.start_at_login) == (256, ("/x",), False, False)


def test_switches_must_be_booleans():
    with pytest.raises(SettingsError, match="gentle must be true or false"):
        s.Settings().replace(gentle="yes")


def test_version_3_file_keeps_its_quantization_and_new_files_are_automatic(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 3, "quantization": "Q8_0", "threads": 0}))
    assert s.load(path).quantization == "Q8_0"  # its index was embedded with Q8_0: no silent re-embedding
    path.write_text(json.dumps({"version": 3, "dimension": 512}))
    assert s.load(path).quantization == "auto"
    s.save(s.Settings(quantization="MIX_BF16"), path)
    assert s.load(path).quantization == "MIX_BF16"
