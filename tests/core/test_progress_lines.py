"""Progress as JSON lines: what a child process writes, its parent reads back."""

from __future__ import annotations

from app.core.progress import ERROR, Progress, Stage, json_line, progress_from, read_json_line


def test_a_step_comes_back_as_it_was_sent():
    step = Progress(Stage.DOWNLOAD, 5, 10, "B", "Downloading model.safetensors")
    assert progress_from(read_json_line(json_line(step))) == step
    assert progress_from(read_json_line(json_line(step).encode())) == step  # QProcess hands over bytes


def test_final_records_and_stray_lines():
    assert read_json_line(json_line({"stage": ERROR, "message": "no network"})) == {"stage": ERROR,
                                                                                     "message": "no network"}
    assert read_json_line("a library printed this") is None
    assert read_json_line("[1, 2]") is None  # JSON, but not a record
    assert progress_from({"stage": "scan"}) == Progress("scan")  # missing fields take their defaults
