"""The engine: how llama.cpp runs the model on this machine, measured rather than assumed.

    config.py   EngineConfig (type, threads, buffer types, flash attention, GPU) and fidelity bounds
    machine.py  Machine: CPU model and flags, cores, llama.cpp build, GPU offload; the cache key
    worker.py   the probe's child process (`gemseek model probe-worker`): load, embed, time, report
    runner.py   runs probe children: a crash, abort or hang becomes a recorded outcome, never ours
    probe.py    Prober: the stages of candidates, the fidelity check, the record
    record.py   Trial and ProbeRecord, their JSON file per machine key, and the choice rule
    active.py   the cached choice for settings (``current``) or a new measurement (``probe``)

Threads and processes: ``probe`` waits on one child process at a time (each
reads a JSON request on stdin and answers JSON lines on stdout; a reader
thread per child turns them into a queue with time limits). Only a
configuration that passed in a child is loaded in Gemseek's own process
(:func:`app.core.model_setup.load_embedder`).
"""
