"""Run the benchmark: one child process per thread count, workloads interleaved, medians.

For each (size, rule) the child builds every implementation of that rule plus the bandwidth probe, warms them up,
then times them in turns, ``repeats`` rounds, so a slow moment of a shared machine hits all of them alike. It
reports medians (and minima), the bandwidth measured by the in-place add in the same rounds (its best round, as
STREAM reports), the bound that
bandwidth puts on the step (:func:`workloads.traffic_bytes` / bandwidth), and, at the largest size, peak memory.
Then the models' forward + backward steps against torch (:mod:`nadam_ref.bench.model_steps`), on the CPU.

The thread count is fixed in the child's environment (``OMP_NUM_THREADS``, ``NUMBA_NUM_THREADS`` & co.) before
NumPy, numba or torch load, and ``torch.set_num_threads``. ``OPENBLAS_CORETYPE`` and ``OPENBLAS_L2_SIZE`` are
removed from the child's environment together: some machines here set them for old OpenBLAS builds, and they
slow a current one. The child records which BLAS kernel then runs (threadpoolctl).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import numpy

import nadam_ref
from nadam_ref import backend

from . import workloads

#: NUMBA_NUM_THREADS: the compiled fused step's threads (nadam_ref.fused.compiled).
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
UNSET_FOR_BENCH = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
MAIN_RULES = ("adam", "nadam")


def child_env(threads: int) -> tuple[dict, dict]:
    """The child's environment, and a record of what was changed."""
    env = dict(os.environ)
    removed = {k: env.pop(k) for k in UNSET_FOR_BENCH if k in env}
    for k in THREAD_VARS:
        env[k] = str(threads)
    return env, {"removed": removed, "set": {k: str(threads) for k in THREAD_VARS}}


def run(config: dict) -> dict:
    """Every thread count of ``config`` in its own child process; the parts joined into one result."""
    runs, measured = [], machine()  # the commit before the children run, not after
    threads_list = config["threads"] if config["device"] == "cpu" else [1]
    for threads in threads_list:
        env, changed = child_env(threads)
        child_config = {**config, "threads": threads}
        proc = subprocess.run([sys.executable, "-m", "nadam_ref.bench.runner", json.dumps(child_config)],
                              env=env, capture_output=True, text=True, timeout=config.get("timeout", 3600))
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark child ({threads} thread(s)) failed:\n{proc.stderr[-4000:]}")
        part = json.loads(proc.stdout)
        part["environment_changes"] = changed
        runs.append(part)
    return {"format": "nadam_ref.bench/1", "config": config, "machine": measured, "runs": runs,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def machine() -> dict:
    cpu = ""
    if os.path.exists("/proc/cpuinfo"):
        found = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read())
        cpu = found.group(1) if found else ""
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": numpy.__version__, "numba": _version("numba"), "nadam_ref": nadam_ref.__version__,
            "commit": _commit()}


def _version(name):
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _commit():
    """The git commit of the code measured (``+dirty`` if it has uncommitted changes), or None outside git."""
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=here, capture_output=True,
                              text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


# -- in the child ----------------------------------------------------------------------------------------------


def child(config: dict) -> dict:
    threads = config["threads"]
    torch = _import_torch(threads)
    xp = backend.get_xp("cupy" if config["device"] == "gpu" else "numpy")
    if torch is not None and config["device"] == "gpu" and not torch.cuda.is_available():
        torch = None
    load_before = _load()
    results = []
    largest = max(config["sizes"])
    for size in config["sizes"]:
        for rule in config["rules"]:
            if size > config["full_below"] and rule not in MAIN_RULES and not config.get("all_rules_large"):
                impls = ("fused",)  # the other rules cheaply: fused against torch only
            else:
                impls = ("reference", "fused")
            results.append(time_group(xp, torch, rule, size, impls, config["repeats"],
                                      measure_memory=size == largest and config["device"] == "cpu"))
    model_results = []
    if config["device"] == "cpu":
        from . import model_steps

        for name in config.get("models", ()):
            model_results.append(model_steps.time_model(torch, name, config["repeats"],
                                                        lambda step: _mb(_step_peak(step, xp))))
    return {"threads": threads, "device": config["device"], "blas": _blas_info(), "numba_threads": _numba_threads(),
            "load_average": {"before": load_before, "after": _load()},
            "torch": None if torch is None else {"version": torch.__version__, "threads": torch.get_num_threads()},
            "results": results, "models": model_results}


def _numba_threads():
    """The threads of the compiled fused step (None where numba is missing)."""
    try:
        from nadam_ref import fused

        return fused.threads()
    except ImportError:
        return None


def _load():
    """The 1-minute load average: how busy the (shared) machine was around the measurement."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def _import_torch(threads):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def _blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl is not installed"
    return [{k: lib.get(k) for k in ("internal_api", "architecture", "num_threads", "version")}
            for lib in threadpool_info()]


def time_group(xp, torch, rule, size, impls, repeats, measure_memory) -> dict:
    """Build all implementations of ``rule`` at ``size``, time them interleaved, and summarise."""
    rng = backend.host_rng(size)
    theta0 = rng.standard_normal(size, dtype="float32")
    g = backend.to_device(rng.standard_normal(size, dtype="float32"), xp)
    makers = [(f"nadam_ref {impl}", lambda impl=impl: workloads.ours(rule, impl, fresh(), g)) for impl in impls]
    makers.append(("fused kernel", lambda: workloads.fused_kernel(rule, fresh(), g)))
    if torch is not None:
        for mode in ("foreach", "fused"):
            makers.append((f"torch {mode}", lambda mode=mode: workloads.torch_optimizer(torch, rule, mode, fresh(), g)))

    def fresh():
        return backend.to_device(theta0.copy(), xp)

    built, memory = [], {}
    for name, make in makers:
        before = _rss()
        work = make()
        if work is None:
            continue
        work.step()  # the first step allocates the state
        work.step()
        backend.synchronize(xp)
        if measure_memory:
            memory[name] = {"resident_mb": _mb(_rss() - before),
                            "step_peak_extra_mb": _mb(_step_peak(work.step, xp))}
        built.append(work)
    probes = [workloads.stream_add(backend.to_device(theta0.copy(), xp), g)]
    if torch is not None:
        probes.append(workloads.torch_stream_add(torch, backend.to_device(theta0.copy(), xp), g))
    for probe in probes:
        probe.step()
    times = {w.name: [] for w in built + probes}
    for _ in range(repeats):
        for w in built + probes:
            backend.synchronize(xp)
            start = time.perf_counter()
            w.step()
            backend.synchronize(xp)
            times[w.name].append(time.perf_counter() - start)
    summary = summarise(rule, size, times, memory)
    del built, probes
    gc.collect()
    return summary


def summarise(rule, size, times, memory) -> dict:
    median = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    probe_bytes = 3 * 4 * size
    # STREAM reports the best rate of its repeats; a loaded moment slows a probe, it never speeds one up.
    bandwidths = {k: probe_bytes / min(v) / 1e9 for k, v in times.items() if "stream" in k}
    best = max(bandwidths.values())
    bound_ms = workloads.traffic_bytes(rule, size) / (best * 1e9) * 1e3
    best = {k: min(v) * 1e3 for k, v in times.items()}
    return {"rule": rule, "size": size, "median_ms": median, "min_ms": best,
            "repeats": len(next(iter(times.values()))), "bandwidth_gbs": bandwidths,
            "traffic_bytes": workloads.traffic_bytes(rule, size), "bound_ms": bound_ms,
            "ratios": _ratios(median, bound_ms), "ratios_of_best_rounds": _ratios(best, bound_ms), "memory": memory}


def _ratios(ms: dict, bound_ms: float) -> dict:
    """Each step against the bound, and ours against torch's."""
    steps = {k: v for k, v in ms.items() if "stream" not in k}
    ratios = {f"{k} / bound": v / bound_ms for k, v in steps.items()}
    for torch_name in ("torch foreach", "torch fused"):
        if torch_name in steps:
            for ours_name in ("nadam_ref fused", "fused kernel", "nadam_ref reference"):
                if ours_name in steps:
                    ratios[f"{ours_name} / {torch_name}"] = steps[ours_name] / steps[torch_name]
    return ratios


def _rss() -> int:
    """Resident memory of this process in bytes (0 where /proc is missing)."""
    try:
        status = open("/proc/self/status").read()
    except OSError:
        return 0
    return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) * 1024


def _step_peak(step, xp) -> int | None:
    """Extra resident memory at the peak of one ``step()`` (Linux: reset the high-water mark, step, read it)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = _rss()
        step()
        backend.synchronize(xp)
        status = open("/proc/self/status").read()
    except OSError:
        return None
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) * 1024 - before


def _mb(n):
    return None if n is None else round(n / 2**20, 1)


if __name__ == "__main__":
    json.dump(child(json.loads(sys.argv[1])), sys.stdout)
