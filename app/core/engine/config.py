"""One way of running the model on this machine, and how close each type must stay to the original."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# Types whose vectors are at least as close to the original model as Q8_0's: the
# automatic choice picks among these only (bench/RESULTS.md, fidelity tables).
FAITHFUL = ("F32", "F16", "BF16", "MIX_BF16", "MIX_F16", "Q8_0")
# What "automatic" converts and measures: BF16- or F16-speed blocks in about Q8_0's
# size, plain BF16 and F16 (larger files; on some CPUs a little faster still), and
# Q8_0 itself (the fastest where neither BF16 nor F16 has fast kernels). Files of
# the types not chosen are removed again (Q8_0 stays: it runs everywhere).
AUTO_TYPES = ("MIX_BF16", "BF16", "MIX_F16", "F16", "Q8_0")

# (mean, min) cosine to the original model on the probe's texts that a type must reach
# to be used at all. Faithful types share Q8_0's bounds (the engine issue); the others
# keep what the parity tests hold them to over 223 texts, less a margin.
_Q8_CLASS = (0.9995, 0.998)
BOUNDS = {
    **dict.fromkeys(FAITHFUL, _Q8_CLASS),
    "Q6_K": (0.996, 0.99),
    "Q5_K_M": (0.993, 0.984),
    "Q4_K_M": (0.982, 0.96),
    "Q4_0": (0.96, 0.89),
}


@dataclass(frozen=True)
class EngineConfig:
    """What llama.cpp is told when Gemseek loads the model.

    Attributes:
        qtype: the GGUF type (a file in the models folder).
        threads: CPU threads for decoding.
        streams: batches of documents decoded at once, each with ``threads / streams``
            threads (a query, a single batch, uses all of them).
        extra_bufts: llama.cpp's extra CPU buffer types (AMX, repacked weights).
        flash_attn: flash attention.
        gpu_layers: layers offloaded to a GPU (0: CPU only).
        cpu_tensors: tensor-name patterns kept out of the extra buffer types.
    """

    qtype: str
    threads: int
    extra_bufts: bool = True
    flash_attn: bool = True
    gpu_layers: int = 0
    cpu_tensors: tuple[str, ...] = ()
    streams: int = 1

    def to_json(self) -> dict:
        return {**asdict(self), "cpu_tensors": list(self.cpu_tensors)}

    @classmethod
    def from_json(cls, data: dict) -> EngineConfig:
        return cls(
            qtype=str(data["qtype"]), threads=int(data["threads"]), extra_bufts=bool(data["extra_bufts"]),
            flash_attn=bool(data["flash_attn"]), gpu_layers=int(data["gpu_layers"]),
            cpu_tensors=tuple(data.get("cpu_tensors") or ()), streams=int(data.get("streams", 1)),
        )

    def label(self) -> str:
        """A short description for people: ``MIX_BF16 · 2 threads · flash attention · extra buffers``."""
        parts = [self.qtype, f"{self.threads} thread{'s' if self.threads != 1 else ''}"]
        if self.streams > 1:
            parts.append(f"{self.streams} streams")
        parts.append("GPU" if self.gpu_layers else "CPU")
        parts.append("extra buffers" + (f" except {', '.join(self.cpu_tensors)}" if self.cpu_tensors else "")
                     if self.extra_bufts else "no extra buffers")
        parts.append("flash attention" if self.flash_attn else "no flash attention")
        return " · ".join(parts)

    def loader_options(self) -> dict:
        """Keyword arguments for :class:`~app.core.llama_backend.LlamaEncoder`."""
        return {"threads": self.threads, "streams": self.streams, "extra_bufts": self.extra_bufts,
                "flash_attn": self.flash_attn, "gpu_layers": self.gpu_layers, "cpu_tensors": self.cpu_tensors}
