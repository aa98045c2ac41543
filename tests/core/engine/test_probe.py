"""The engine probe over a stand-in worker: crashes, hangs, aborts and wrong vectors never pass, the fastest
faithful configuration is chosen, the GPU is tried first and given up when it fails."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from app.core.engine.config import AUTO_TYPES, EngineConfig
from app.core.engine.machine import Machine
from app.core.engine.probe import Candidate, Prober
from app.core.engine.runner import ProbeRunner

WORKER = Path(__file__).resolve().parents[2] / "helpers" / "probe_worker.py"
CPU = Machine("Test CPU", ("avx2",), logical=2, physical=2, llama="test build", gpu_offload=False)


def runner(rules: dict, **limits) -> ProbeRunner:
    return ProbeRunner([sys.executable, str(WORKER)], env={"GEMSEEK_FAKE_PROBE": json.dumps(rules)}, **limits)


def candidates(*types: str) -> list[Candidate]:
    return [Candidate(q, Path(f"/models/{q}.gguf"), f"fp-{q}", 300_000_000) for q in types]


def test_the_fastest_faithful_configuration_is_chosen():
    rules = {"MIX_BF16": {"tps": 900}, "BF16": {"tps": 700}, "MIX_F16": {"tps": 650}, "F16": {"tps": 600},
             "Q8_0": {"tps": 550}}
    assert set(rules) == set(AUTO_TYPES)  # automatic measures the mixed recipes, BF16, F16 and Q8_0
    rec = Prober(CPU, runner(rules)).run(candidates(*AUTO_TYPES), "key")
    assert rec.chosen.config == EngineConfig("MIX_BF16", 2)
    assert rec.fingerprint == "fp-MIX_BF16" and "fastest" in rec.why
    measured = {(t.config.qtype, t.config.threads, t.config.flash_attn) for t in rec.trials}
    # every type at the default, then the best one (no other within 20 % of it) with one thread and with
    # flash attention off
    assert measured == {("MIX_BF16", 2, True), ("BF16", 2, True), ("MIX_F16", 2, True), ("F16", 2, True),
                        ("Q8_0", 2, True), ("MIX_BF16", 1, True), ("MIX_BF16", 2, False)}
    assert all(t.ok for t in rec.trials) and rec.chosen.cos_mean > 0.9999


def test_every_type_is_screened_with_one_pass_and_the_best_measured_fully(tmp_path):
    log = tmp_path / "asked.jsonl"
    rules = {"MIX_BF16": {"tps": 900, "log": str(log)}, "BF16": {"tps": 760, "log": str(log)},
             "Q8_0": {"tps": 500, "log": str(log)}}
    rec = Prober(CPU, runner(rules)).run(candidates("MIX_BF16", "BF16", "Q8_0"), "key")
    asked = [tuple(json.loads(line)) for line in log.read_text().splitlines()]
    screens = [a for a in asked if a[3:5] == (1, 1)]  # one pass over the passages, one round of queries
    full = [a for a in asked if a[3:5] == (2, 2)]
    assert sorted(a[0] for a in screens) == ["BF16", "MIX_BF16", "Q8_0"] and len(asked) == len(screens) + len(full)
    # the fastest with every variant (two one-thread streams among them); the runner-up within 20 % of it (a
    # single pass is rough) at its default only; not the slow one
    assert sorted((a[0], a[1], a[2], a[5]) for a in full) == [("BF16", 2, True, 1), ("MIX_BF16", 1, True, 1),
                                                               ("MIX_BF16", 2, False, 1), ("MIX_BF16", 2, True, 1),
                                                               ("MIX_BF16", 2, True, 1), ("MIX_BF16", 2, True, 2)]
    assert rec.chosen.config.qtype == "MIX_BF16"


def test_when_every_type_runs_alike_only_two_are_measured_again(tmp_path):
    log = tmp_path / "asked.jsonl"
    rules = {q: {"tps": 150 - i, "log": str(log)} for i, q in enumerate(AUTO_TYPES)}
    Prober(CPU, runner(rules)).run(candidates(*AUTO_TYPES), "key")
    full = {json.loads(line)[0] for line in log.read_text().splitlines() if json.loads(line)[3] == 2}
    assert full == set(AUTO_TYPES[:2])


def test_flash_attention_off_is_kept_when_it_is_faster():
    rec = Prober(CPU, runner({"Q8_0": {"tps": 500, "flash_off_tps": 800}})).run(candidates("Q8_0"), "key")
    assert rec.chosen.config == EngineConfig("Q8_0", 2, flash_attn=False)


def test_streams_are_chosen_when_they_embed_faster_and_not_when_they_do_not():
    rec = Prober(CPU, runner({"Q8_0": {"tps": 500, "streams_gain": 1.3}})).run(candidates("Q8_0"), "key")
    assert rec.chosen.config == EngineConfig("Q8_0", 2, streams=2)
    assert "2 streams" in rec.chosen.config.label() and rec.chosen.tokens_per_s == 650
    same = Prober(CPU, runner({"Q8_0": {"tps": 500}})).run(candidates("Q8_0"), "key")
    assert any(t.config.streams == 2 for t in same.trials)  # measured, but no faster: fewer streams win
    assert same.chosen.config == EngineConfig("Q8_0", 2)


def test_a_rough_screening_pass_does_not_decide_between_fully_measured_configurations():
    # The screening pass reads low; the default measured fully is as fast as the streams, which were never
    # screened: pooling the screen with the full measurements would make the streams look faster.
    rec = Prober(CPU, runner({"Q8_0": {"tps": 500, "screen_tps": 300}})).run(candidates("Q8_0"), "key")
    assert [t.screen for t in rec.trials][:1] == [True] and not any(t.screen for t in rec.trials[1:])
    assert rec.chosen.config == EngineConfig("Q8_0", 2) and rec.chosen.tokens_per_s == 500


def test_a_crash_with_extra_buffers_is_recorded_and_the_type_runs_without_them():
    rules = {"Q8_0": {"tps": 900, "crash_extra": True}, "MIX_BF16": {"tps": 500}}
    rec = Prober(CPU, runner(rules)).run(candidates("MIX_BF16", "Q8_0"), "key")
    crashed = [t for t in rec.trials if not t.ok]
    assert [(t.config.qtype, t.config.extra_bufts) for t in crashed] == [("Q8_0", True)]
    assert crashed[0].reason.startswith("crashed (SIGSEGV)")
    assert rec.chosen.config == EngineConfig("Q8_0", 2, extra_bufts=False)


def test_on_an_amx_machine_tensors_are_kept_out_of_the_amx_buffer_before_giving_it_up():
    amx = Machine("Xeon", ("amx_int8",), 2, 1, "CPU : AVX512 = 1 | AMX_INT8 = 1 | REPACK = 1", False)
    rec = Prober(amx, runner({"Q8_0": {"tps": 300, "abort_extra": True}})).run(candidates("Q8_0"), "key")
    tried = [(t.config.extra_bufts, t.config.cpu_tensors, t.ok) for t in rec.trials if t.config.flash_attn
             and t.config.threads == 1][:4]
    assert tried[0] == (True, (), False)  # llama.cpp's defaults abort
    assert "GGML_ASSERT" in rec.trials[0].reason and "crashed (SIGABRT)" in rec.trials[0].reason
    assert [pins for _, pins, _ in tried[1:3]] == [("^dense_[23]\\.weight$",), ("ffn_(gate|up|down)\\.weight$",)]
    assert rec.trials[0].config.threads == 1  # two SMT siblings of one core: one thread first
    assert rec.chosen is not None and rec.chosen.config.cpu_tensors  # AMX kept, minus the pinned tensors


def test_vectors_far_from_the_original_are_refused_even_when_fast():
    rules = {"MIX_BF16": {"tps": 5000, "wrong": True}, "Q8_0": {"tps": 500, "noise": 0.0005}}
    rec = Prober(CPU, runner(rules)).run(candidates("MIX_BF16", "Q8_0"), "key")
    wrong = next(t for t in rec.trials if t.config.qtype == "MIX_BF16")
    assert not wrong.ok and "too far from the original" in wrong.reason
    assert rec.chosen.config.qtype == "Q8_0"


def test_automatic_never_chooses_a_type_less_faithful_than_q8_0():
    rec = Prober(CPU, runner({"Q4_0": {"tps": 5000}, "Q8_0": {"tps": 500}})).run(candidates("Q4_0", "Q8_0"), "k")
    assert rec.chosen.config.qtype == "Q8_0"
    assert any(t.config.qtype == "Q4_0" and t.ok for t in rec.trials)  # it ran; it was not allowed


def test_a_crash_in_one_variant_does_not_lose_the_others():
    rec = Prober(CPU, runner({"Q8_0": {"tps": 500, "crash_threads": 1}})).run(candidates("Q8_0"), "key")
    by_threads = {(t.config.threads, t.config.flash_attn): t for t in rec.trials}
    assert not by_threads[(1, True)].ok and "SIGSEGV" in by_threads[(1, True)].reason
    assert by_threads[(2, False)].ok  # measured by a fresh child after the crash
    assert rec.chosen.config.threads == 2


def test_a_hang_is_cut_off_and_recorded():
    rec = Prober(CPU, runner({"Q8_0": {"tps": 500, "hang_threads": 1}}, variant_timeout=3)).run(
        candidates("Q8_0"), "key")
    hung = [t for t in rec.trials if not t.ok]
    assert len(hung) == 1 and hung[0].reason.startswith("hung") and hung[0].config.threads == 1
    assert rec.chosen.config == EngineConfig("Q8_0", 2)


def test_a_slow_computer_that_keeps_reporting_is_measured_not_taken_for_hung():
    # Each pass and query says "tick": a busy 2-core machine took over 60 s for a whole measurement
    # (2026-12-04) and was refused every configuration.
    rules = {"Q8_0": {"tps": 500, "slow_ticks": [6, 0.4]}}
    rec = Prober(CPU, runner(rules, variant_timeout=1)).run(candidates("Q8_0"), "key", quick=True)
    assert rec.chosen is not None and rec.chosen.config.qtype == "Q8_0", [t.reason for t in rec.trials]


def test_nothing_is_chosen_when_every_configuration_fails():
    rec = Prober(CPU, runner({"Q8_0": {"crash_load": True}})).run(candidates("Q8_0"), "key")
    assert rec.chosen is None and rec.trials and not any(t.ok for t in rec.trials)
    assert {t.config.extra_bufts for t in rec.trials} == {True, False}  # both ways were tried


def test_a_fixed_thread_count_is_the_only_one_measured():
    rec = Prober(CPU, runner({"Q8_0": {}}), threads=1).run(candidates("Q8_0"), "key")
    assert {t.config.threads for t in rec.trials} == {1}


@pytest.mark.parametrize(("rules", "backend"), [
    ({"Q8_0": {"tps": 500, "gpu_backend": "Metal (Apple M2)"}}, "Metal (Apple M2)"),  # a working GPU wins
    ({"Q8_0": {"tps": 500, "crash_gpu": True}}, "CPU"),  # a GPU load that crashes: the CPU
    ({"Q8_0": {"tps": 500}}, "CPU"),  # a build with a GPU backend that ran on the CPU anyway
])
def test_the_gpu_is_tried_first_and_the_cpu_taken_when_it_fails(rules, backend):
    gpu = Machine("M2", (), 8, 8, "Metal build", gpu_offload=True)
    rec = Prober(gpu, runner(rules)).run(candidates("Q8_0"), "key")
    assert rec.trials[0].config.gpu_layers == 999
    assert rec.chosen.backend == backend
    assert (rec.chosen.config.gpu_layers > 0) == (backend != "CPU")
    if backend == "CPU":
        assert not rec.trials[0].ok and rec.trials[0].reason


def test_the_cpu_build_here_is_chosen_as_cpu():
    assert Machine.current().gpu_offload is False  # CI's llama-cpp-python is a CPU build
    rec = Prober(Machine.current(), runner({"Q8_0": {}})).run(candidates("Q8_0"), "key")
    assert all(t.config.gpu_layers == 0 for t in rec.trials) and rec.chosen.backend == "CPU"
