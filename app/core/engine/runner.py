"""Run probe children safely: whatever one does (crash, abort, hang), the caller gets an outcome per variant.

A child loads the model once with one set of model settings and measures
several context variants (threads, flash attention, streams) in turn, announcing each
before it starts. When it dies, the variant it had announced is the one that
killed it; the variants after it get a fresh child. When it goes quiet for
longer than the time limit, it is killed and the variant is recorded as hung.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.core.progress import read_json_line

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What became of one variant: a result record from the child, or why there is none."""

    variant: dict
    result: dict | None = None
    failure: str = ""
    loaded: dict = field(default_factory=dict)  # the child's "loaded" record (load time, backend)


def worker_command() -> list[str]:
    """How to start a probe child (a frozen build understands ``-m app`` too)."""
    return [sys.executable, "-m", "app", "model", "probe-worker"]


class ProbeRunner:
    """Starts probe children with ``command`` and enforces time limits.

    Args:
        command: the child's argv; it reads one JSON request on stdin.
        env: extra environment for the child.
        load_timeout: seconds the child may take to start and load the model.
        variant_timeout: seconds a child may go without a sign of life while it measures (it reports each
            pass and each query, so a slow or busy computer is not taken for a hung one).
    """

    def __init__(self, command: Sequence[str] | None = None, env: dict[str, str] | None = None,
                 load_timeout: float = 90.0, variant_timeout: float = 60.0) -> None:
        self.command = list(command or worker_command())
        self.env = env
        self.load_timeout = load_timeout
        self.variant_timeout = variant_timeout

    def run(self, model: dict, variants: list[dict], texts: dict) -> list[Outcome]:
        """One outcome per variant, in order, however the children end."""
        outcomes: list[Outcome] = []
        todo = list(variants)
        while todo:
            done = self._run_child(model, todo, texts)
            outcomes.extend(done)
            todo = todo[len(done):]
        return outcomes

    def _run_child(self, model: dict, variants: list[dict], texts: dict) -> list[Outcome]:
        """Run one child over ``variants``; return outcomes for those it got through, at least one."""
        request = json.dumps({"model": model, "variants": variants, **texts})
        env = {**os.environ, **(self.env or {})}
        # stderr goes to a file: a pipe nobody reads could fill up and stall the child.
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err, subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, encoding="utf-8",
            errors="replace", env=env,
        ) as proc:
            lines: queue.Queue = queue.Queue()
            reader = threading.Thread(target=_pump, args=(proc, request, lines), daemon=True)
            reader.start()
            outcomes: list[Outcome] = []
            loaded: dict = {}
            current: int | None = None
            failure = ""
            deadline = time.monotonic() + self.load_timeout
            while True:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    what = "loading the model" if not loaded else "measuring"
                    limit = self.load_timeout if not loaded else self.variant_timeout
                    failure = f"hung: no sign of life for {limit:.0f} s while {what}"
                    proc.kill()
                    break
                if line is None:  # the child's stdout closed: it ended
                    break
                rec = read_json_line(line)
                if rec is None:
                    continue
                event = rec.get("event")
                if event == "loaded":
                    loaded = rec
                elif event == "start":
                    current = int(rec["variant"])
                elif event == "result":
                    outcomes.append(Outcome(variants[int(rec["variant"])], rec, loaded=loaded))
                    current = None
                deadline = time.monotonic() + self.variant_timeout
            code = proc.wait()
            reader.join(5)
            err.seek(0)
            stderr = err.read()
        if len(outcomes) == len(variants):
            return outcomes
        if not failure:
            failure = _death(code, stderr)
        log.warning("probe child for %s stopped: %s", model.get("qtype"), failure)
        if not loaded or current is None:
            # It died loading the model (or between variants): no variant of it can run.
            return outcomes + [Outcome(v, failure=failure) for v in variants[len(outcomes):]]
        return [*outcomes, Outcome(variants[current], failure=failure, loaded=loaded)]


def _pump(proc: subprocess.Popen, request: str, lines: queue.Queue) -> None:
    try:
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(request)
            proc.stdin.close()
        except OSError:  # it died before reading its request
            pass
        for line in proc.stdout:
            lines.put(line)
    finally:
        lines.put(None)


def _death(code: int, stderr: str) -> str:
    """Why a child ended without finishing, in one line."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        how = f"crashed ({name})"
    elif code == 0:
        how = "stopped early"
    else:
        how = f"failed (exit status {code})"
    lines = [x.strip() for x in stderr.splitlines() if x.strip()]
    assertion = next((x for x in reversed(lines) if "GGML_ASSERT" in x or "error" in x.lower()), "")
    detail = assertion or (lines[-1] if lines else "")
    return f"{how}: {detail[:300]}" if detail else how
