"""What the engine runs on: the CPU (model, flags, cores), the llama.cpp build, a GPU if llama.cpp has one.

The engine probe's results hold only for the machine they were measured on,
so they are cached under :meth:`Machine.key`, which changes with any of these.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import subprocess
import sys
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path


@dataclass(frozen=True)
class Machine:
    """The facts the engine's speed and safety depend on.

    Attributes:
        cpu: the CPU model name.
        flags: the CPU's feature flags (sorted), as the OS reports them.
        logical: CPUs this process may run on.
        physical: distinct cores among them (SMT siblings share one).
        llama: llama-cpp-python's version and llama.cpp's system info (the
            kernels it was built with, e.g. ``AVX512_BF16 = 1 | AMX_INT8 = 1``).
        gpu_offload: llama.cpp was built with a GPU backend (Metal, Vulkan, CUDA).
    """

    cpu: str
    flags: tuple[str, ...]
    logical: int
    physical: int
    llama: str
    gpu_offload: bool

    @classmethod
    def current(cls) -> Machine:
        """This machine (read once per process: it does not change while Gemseek runs)."""
        return _current()

    @classmethod
    def read(cls) -> Machine:
        import llama_cpp

        from app.core.llama_backend import initialize

        initialize()  # a run-time-dispatch build reports its kernels only once one is loaded
        cpu, flags = _cpu_model_and_flags()
        logical, physical = _core_counts()
        info = llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
        return cls(cpu, flags, logical, physical, f"llama-cpp-python {llama_cpp.__version__} | {info}",
                   bool(llama_cpp.llama_supports_gpu_offload()))

    @property
    def amx(self) -> bool:
        """llama.cpp has AMX kernels here (its AMX buffer type takes Q8_0 and other quantized weights)."""
        return "AMX_INT8 = 1" in self.llama

    def key(self, *parts: object) -> str:
        """A short stable hash of this machine and ``parts`` (what else a cached result depends on)."""
        blob = json.dumps([asdict(self), [str(p) for p in parts]], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    def to_json(self) -> dict:
        return {"cpu": self.cpu, "flags": " ".join(self.flags), "logical": self.logical,
                "physical": self.physical, "llama": self.llama, "gpu_offload": self.gpu_offload}

    def thread_choices(self) -> list[int]:
        """Thread counts worth measuring, best guess first: the physical cores, then the logical CPUs,
        then one thread (two vCPUs are often SMT siblings of one core), then half the cores."""
        out: list[int] = []
        for n in (self.physical, self.logical, 1, self.physical // 2):
            if n >= 1 and n not in out:
                out.append(n)
        return out[:3]


@cache
def _current() -> Machine:
    return Machine.read()


def _cpu_model_and_flags() -> tuple[str, tuple[str, ...]]:
    if sys.platform.startswith("linux"):
        try:
            text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        model = re.search(r"^(?:model name|Model|Hardware)\s*:\s*(.+)$", text, re.M)
        flags = re.search(r"^(?:flags|Features)\s*:\s*(.+)$", text, re.M)
        return (model.group(1).strip() if model else platform.processor() or platform.machine(),
                tuple(sorted(set(flags.group(1).split()))) if flags else ())
    if sys.platform == "darwin":
        return _sysctl("machdep.cpu.brand_string") or platform.machine(), tuple(
            sorted(set(_sysctl("machdep.cpu.features").lower().split())))
    return platform.processor() or platform.machine(), ()


def _sysctl(name: str) -> str:
    try:
        return subprocess.run(["sysctl", "-n", name], capture_output=True, text=True, timeout=5,
                              check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _core_counts() -> tuple[int, int]:
    """(logical CPUs usable by this process, distinct physical cores among them)."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = list(range(os.cpu_count() or 1))
    cores = set()
    for cpu in cpus:
        topo = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add((topo.joinpath("physical_package_id").read_text().strip(),
                       topo.joinpath("core_id").read_text().strip()))
        except OSError:
            cores.add(("?", str(cpu)))
    physical = len(cores) if sys.platform.startswith("linux") else _physical_elsewhere(len(cpus))
    return len(cpus), max(1, min(physical, len(cpus)))


def _physical_elsewhere(logical: int) -> int:
    if sys.platform == "darwin":
        try:
            return int(_sysctl("hw.physicalcpu") or logical)
        except ValueError:
            return logical
    return logical
