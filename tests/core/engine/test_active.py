"""The engine choice is cached per machine and settings, trusted only for the file it measured, and the
real probe worker speaks the protocol (on the tiny model)."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from app.core.engine import active
from app.core.engine.machine import Machine
from app.core.engine.runner import ProbeRunner
from app.core.model_setup import load_embedder, prepare_model
from app.core.settings import Settings

WORKER = Path(__file__).resolve().parents[2] / "helpers" / "probe_worker.py"


def fake_runner(rules: dict) -> ProbeRunner:
    return ProbeRunner([sys.executable, str(WORKER)], env={"GEMSEEK_FAKE_PROBE": json.dumps(rules)})


@pytest.fixture
def models(paths, tiny_gguf):
    paths.gguf_dir.mkdir(parents=True)
    for q in ("Q8_0", "MIX_BF16"):
        paths.gguf_file(q).write_bytes(tiny_gguf("F32").read_bytes() + q.encode())  # distinct fingerprints
    return paths


def test_the_choice_is_recorded_and_found_again(models):
    settings = Settings()
    rec = active.probe(models, settings, runner=fake_runner({"MIX_BF16": {"tps": 900}, "Q8_0": {"tps": 500}}))
    assert rec.chosen.config.qtype == "MIX_BF16"
    again = active.current(models, settings)
    assert again is not None and again.chosen == rec.chosen and again.trials == rec.trials


def test_another_machine_or_setting_is_probed_again(models):
    settings = Settings()
    active.probe(models, settings, runner=fake_runner({}))
    here = Machine.current()
    other_cpu = dataclasses.replace(here, flags=(*here.flags, "amx_int8"))
    other_build = dataclasses.replace(here, llama=here.llama + " | AMX_INT8 = 1")
    assert active.current(models, settings, here) is not None
    assert active.current(models, settings, other_cpu) is None
    assert active.current(models, settings, other_build) is None
    assert active.current(models, settings.replace(threads=1)) is None
    assert active.current(models, settings.replace(quantization="Q8_0")) is None


def test_a_re_converted_file_is_probed_again(models):
    rec = active.probe(models, Settings(), runner=fake_runner({"MIX_BF16": {"tps": 900}}))
    path = models.gguf_file(rec.chosen.config.qtype)
    path.write_bytes(path.read_bytes() + b"new converter")
    assert active.current(models, Settings()) is None


def test_when_nothing_works_the_error_says_so_and_names_the_log(models):
    with pytest.raises(active.EngineUnusableError) as caught:
        active.probe(models, Settings(), runner=fake_runner({"Q8_0": {"crash_load": True},
                                                             "MIX_BF16": {"wrong": True}}))
    message = str(caught.value)
    assert "cannot run on this computer" in message and "SIGSEGV" in message and str(models.logs) in message
    assert active.current(models, Settings()) is None
    with pytest.raises(active.EngineUnusableError):  # and nothing is loaded in this process instead
        load_embedder(models, Settings(), runner=fake_runner({"Q8_0": {"crash_load": True},
                                                              "MIX_BF16": {"crash_load": True}}))


def test_prepare_does_nothing_once_measured(models):
    runner = fake_runner({})
    list(prepare_model(models, Settings(), runner=runner))
    stamp = active.current(models, Settings()).created
    assert list(prepare_model(models, Settings(), runner=runner)) == []
    assert active.current(models, Settings()).created == stamp


def test_the_real_worker_measures_a_model_and_returns_its_vectors(tiny_gguf):
    runner = ProbeRunner()  # `python -m app model probe-worker`
    model = {"qtype": "F32", "path": str(tiny_gguf("F32")), "extra_bufts": True, "gpu_layers": 0,
             "cpu_tensors": ["^dense_[23]\\.weight$"]}
    texts = {"passages": ["title: none | text: a short passage", "title: none | text: another one"],
             "queries": ["task: search result | query: what"]}
    outcomes = runner.run(model, [{"threads": 1, "flash_attn": True}, {"threads": 2, "flash_attn": False}], texts)
    assert [o.failure for o in outcomes] == ["", ""]
    assert outcomes[0].loaded["backend"] == "CPU"
    for o in outcomes:
        assert o.result["tokens_per_s"] > 0 and o.result["query_ms"] > 0 and o.result["passes"] >= 2
        assert len(o.result["vectors"]) > 0


def test_the_app_s_search_thread_never_measures_or_converts(models):
    from app.core.errors import ModelMissingError

    with pytest.raises(ModelMissingError, match="not ready on this computer yet"):
        load_embedder(models, Settings(), runner=fake_runner({}), prepare=False)
    assert active.current(models, Settings()) is None  # nothing was measured on its behalf
