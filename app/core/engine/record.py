"""What a probe measured and chose, kept per machine so that it runs once, not at every start.

One JSON file per key (machine, llama.cpp build, the type and thread
settings) in the models folder, written atomically; several homes that share
the models folder share the results.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from app.core.atomic import write_json
from app.core.engine.config import FAITHFUL, EngineConfig

log = logging.getLogger(__name__)

RECORD_VERSION = 2  # 2: configurations have streams (records without them are probed again)


@dataclass(frozen=True)
class Trial:
    """One configuration tried: whether it may be used, and what it measured."""

    config: EngineConfig
    ok: bool
    reason: str = ""  # why it may not be used
    tokens_per_s: float | None = None
    query_ms: float | None = None
    cos_mean: float | None = None
    cos_min: float | None = None
    rss_mb: float | None = None
    file_mb: float | None = None
    backend: str = "CPU"
    screen: bool = False  # one rough pass (the probe's first stage), not a full measurement

    def to_json(self) -> dict:
        return {"config": self.config.to_json(), "ok": self.ok, "reason": self.reason,
                "tokens_per_s": self.tokens_per_s, "query_ms": self.query_ms, "cos_mean": self.cos_mean,
                "cos_min": self.cos_min, "rss_mb": self.rss_mb, "file_mb": self.file_mb, "backend": self.backend,
                "screen": self.screen}

    @classmethod
    def from_json(cls, d: dict) -> Trial:
        return cls(EngineConfig.from_json(d["config"]), bool(d["ok"]), d.get("reason", ""), d.get("tokens_per_s"),
                   d.get("query_ms"), d.get("cos_mean"), d.get("cos_min"), d.get("rss_mb"), d.get("file_mb"),
                   d.get("backend", "CPU"), bool(d.get("screen", False)))


@dataclass(frozen=True)
class ProbeRecord:
    """A probe's outcome on one machine."""

    key: str
    machine: dict
    trials: tuple[Trial, ...]
    chosen: Trial | None
    fingerprint: str  # of the chosen GGUF file, so a re-converted file is probed again
    why: str
    seconds: float
    created: str
    version: int = RECORD_VERSION
    fingerprints: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"version": self.version, "key": self.key, "machine": self.machine, "created": self.created,
                "seconds": self.seconds, "why": self.why, "fingerprint": self.fingerprint,
                "fingerprints": self.fingerprints,
                "chosen": self.chosen.to_json() if self.chosen else None,
                "trials": [t.to_json() for t in self.trials]}

    @classmethod
    def from_json(cls, d: dict) -> ProbeRecord:
        return cls(d["key"], d["machine"], tuple(Trial.from_json(t) for t in d["trials"]),
                   Trial.from_json(d["chosen"]) if d.get("chosen") else None, d.get("fingerprint", ""),
                   d.get("why", ""), float(d.get("seconds", 0)), d.get("created", ""), int(d["version"]),
                   dict(d.get("fingerprints") or {}))


def record_path(models: Path, key: str) -> Path:
    return models / "engine" / f"{key}.json"


def load(models: Path, key: str) -> ProbeRecord | None:
    """The record for ``key``, or None when there is none or it cannot be read."""
    path = record_path(models, key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != RECORD_VERSION:
            return None
        return ProbeRecord.from_json(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring the unreadable engine record %s: %s", path, exc)
        return None


def save(models: Path, record: ProbeRecord) -> Path:
    path = record_path(models, record.key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, record.to_json(), indent=1)
    return path


def choose(trials: list[Trial], allowed: tuple[str, ...], prefer: str | None = None) -> tuple[Trial | None, str]:
    """The fastest usable trial of an ``allowed`` type, and a sentence saying why.

    Document throughput decides (indexing is where the time goes); within 3 %
    the quicker query wins, then the smaller file, then fewer threads and streams. A type used before
    (``prefer``) is kept while it is within 5 % of the fastest, so that noise
    in the measurements does not make the index switch models (which means
    embedding everything again).
    """
    # A configuration that failed once is not trusted, even if it passed another time.
    usable = _pooled([t for t in trials if t.ok and t.config.qtype in allowed and t.tokens_per_s
                      and not any(u.config == t.config and not u.ok for u in trials)])
    if not usable:
        return None, "no configuration ran correctly on this machine"
    top = max(t.tokens_per_s for t in usable)
    if prefer:
        kept = [t for t in usable if t.config.qtype == prefer and t.tokens_per_s >= 0.95 * top]
        if kept:
            best = _best(kept, max(t.tokens_per_s for t in kept))
            return best, f"kept {prefer} (within 5 % of the fastest, {top:.0f} tokens/s), so nothing is re-embedded"
    best = _best(usable, top)
    faithful = "as close to the original as Q8_0 or closer" if best.config.qtype in FAITHFUL else "the type chosen"
    return best, (f"fastest of {len(usable)} working configurations ({best.tokens_per_s:.0f} tokens/s, "
                  f"query {best.query_ms:.0f} ms), {faithful}")


def _pooled(trials: list[Trial]) -> list[Trial]:
    """One trial per configuration, with the mean of its measurements (a configuration measured twice).

    A configuration measured fully is judged by those measurements only: its one screening pass (cold,
    with the context being made) reads low, and would favour the variants that were never screened.
    """
    groups: dict[EngineConfig, list[Trial]] = {}
    for t in trials:
        groups.setdefault(t.config, []).append(t)
    out = []
    for group in groups.values():
        group = [t for t in group if not t.screen] or group
        first = group[0]
        out.append(replace(first, tokens_per_s=round(sum(t.tokens_per_s for t in group) / len(group), 1),
                           query_ms=round(sum(t.query_ms or 0 for t in group) / len(group), 2),
                           cos_min=min(t.cos_min for t in group if t.cos_min is not None)))
    return out


def _best(trials: list[Trial], top: float) -> Trial:
    near = [t for t in trials if t.tokens_per_s >= 0.97 * top]
    return min(near, key=lambda t: (t.query_ms or 1e9, t.file_mb or 0, t.config.threads, t.config.streams))
