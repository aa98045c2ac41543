from __future__ import annotations

from app.core.paths import Paths


def test_home_argument_puts_everything_under_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GEMSEEK_HOME", str(tmp_path / "from-env"))
    p = Paths.resolve(tmp_path / "h")
    for folder in (p.config, p.data, p.cache, p.logs, p.models):
        assert folder.is_relative_to(tmp_path / "h")
    assert p.gguf_file("Q8_0") == tmp_path / "h" / "data" / "models" / "gguf" / "embeddinggemma-300m-Q8_0.gguf"


def test_environment_home(tmp_path, monkeypatch):
    monkeypatch.setenv("GEMSEEK_HOME", str(tmp_path))
    assert Paths.resolve().settings_file == tmp_path / "config" / "settings.json"


def test_models_can_be_shared(tmp_path, monkeypatch):
    monkeypatch.setenv("GEMSEEK_MODELS", str(tmp_path / "shared"))
    p = Paths.resolve(tmp_path / "h")
    assert p.checkpoint == tmp_path / "shared" / "embeddinggemma-300m"
    assert p.data == tmp_path / "h" / "data"


def test_platform_defaults_without_home():
    p = Paths.resolve()
    assert "gemseek" in str(p.data).lower() and "gemseek" in str(p.config).lower()
