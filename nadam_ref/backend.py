"""The one place in nadam_ref that knows NumPy from CuPy.

Everything else asks this module for ``xp`` (the array namespace) or takes it from its input arrays with
:func:`array_module`, and uses only names that NumPy and CuPy share. The few operations that differ between the
two live here: choosing the backend, moving arrays between host and device, scatter-add, sliding windows and
random numbers.

The backend is chosen by the environment variable ``NADAM_REF_BACKEND``:

=========  ===================================================================
``numpy``  always NumPy (CPU)
``cupy``   always CuPy; an error if CuPy or a CUDA device is missing
``auto``   CuPy when ``cupy.cuda.is_available()``, else NumPy (the default)
=========  ===================================================================

Random numbers are always drawn on the host by a NumPy generator and then moved to the device, so a CPU run and a
GPU run with the same seed start from the same numbers.
"""

from __future__ import annotations

import os
from types import ModuleType

import numpy

BACKENDS = ("numpy", "cupy", "auto")
ENV_VAR = "NADAM_REF_BACKEND"


class BackendError(RuntimeError):
    """A backend was asked for that is unknown or not available here."""


class BackendMismatchError(TypeError):
    """Arrays from different backends (NumPy and CuPy) met in one operation."""


def cupy_module() -> ModuleType | None:
    """CuPy if it imports, else None. CuPy imports without a GPU; see :func:`gpu_available`."""
    try:
        import cupy
    except Exception:  # ImportError, or a broken CUDA install raising at import time
        return None
    return cupy


def gpu_available() -> bool:
    """True when CuPy imports and sees at least one CUDA device."""
    cupy = cupy_module()
    if cupy is None:
        return False
    try:
        return bool(cupy.cuda.is_available())
    except Exception:
        return False


def get_xp(name: str | None = None) -> ModuleType:
    """The array namespace for backend ``name`` (default: ``$NADAM_REF_BACKEND``, else ``auto``)."""
    name = (name or os.environ.get(ENV_VAR) or "auto").strip().lower()
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r} (from {ENV_VAR} or the argument); expected one of {BACKENDS}")
    if name == "numpy":
        return numpy
    if name == "auto":
        return cupy_module() if gpu_available() else numpy
    if not gpu_available():
        raise BackendError(
            f"backend 'cupy' was asked for, but "
            f"{'CuPy is not installed' if cupy_module() is None else 'no CUDA device is available'}; "
            f"set {ENV_VAR}=numpy or auto"
        )
    return cupy_module()


def backend_name(xp: ModuleType) -> str:
    """'numpy' or 'cupy'."""
    return "numpy" if xp is numpy else "cupy"


def is_array(a) -> bool:
    """True for a NumPy or CuPy ndarray."""
    if isinstance(a, numpy.ndarray):
        return True
    cupy = _loaded_cupy()
    return cupy is not None and isinstance(a, cupy.ndarray)


def array_module(*arrays) -> ModuleType:
    """The namespace of ``arrays``; an error if NumPy and CuPy arrays are mixed. Non-arrays are ignored."""
    found = {}
    for a in arrays:
        if isinstance(a, numpy.ndarray):
            found["numpy"] = numpy
        else:
            cupy = _loaded_cupy()
            if cupy is not None and isinstance(a, cupy.ndarray):
                found["cupy"] = cupy
    if len(found) > 1:
        raise BackendMismatchError(
            "NumPy and CuPy arrays were mixed in one call; move them to one backend first "
            "(nadam_ref.backend.to_device / to_host)"
        )
    return next(iter(found.values()), numpy)


def to_host(a) -> numpy.ndarray:
    """A NumPy copy (or view) of ``a``, wherever it lives."""
    if isinstance(a, numpy.ndarray):
        return a
    cupy = _loaded_cupy()
    if cupy is not None and isinstance(a, cupy.ndarray):
        return cupy.asnumpy(a)
    return numpy.asarray(a)


def to_device(a, xp: ModuleType, dtype=None):
    """``a`` as an array of namespace ``xp`` (host → device copy for CuPy)."""
    if xp is numpy:
        return numpy.asarray(to_host(a), dtype=dtype)
    return xp.asarray(a, dtype=dtype)


def scatter_add(target, indices, values) -> None:
    """``target[indices] += values`` with repeated indices accumulated (an embedding's backward pass)."""
    xp = array_module(target, values)
    if xp is numpy:
        numpy.add.at(target, indices, values)
    else:
        import cupyx

        cupyx.scatter_add(target, indices, values)


def sliding_windows(x, window_shape, axis):
    """A read-only strided view of all windows of ``x`` (for im2col); no copy on either backend."""
    xp = array_module(x)
    if xp is numpy:
        return numpy.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)
    return xp.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)


def host_rng(seed) -> numpy.random.Generator:
    """The host-side generator all randomness in nadam_ref comes from (PCG64)."""
    return numpy.random.default_rng(seed)


def rng_state(rng: numpy.random.Generator) -> dict:
    """A JSON-able snapshot of a host generator, for checkpoints."""
    return rng.bit_generator.state


def rng_from_state(state: dict) -> numpy.random.Generator:
    """A host generator restored from :func:`rng_state`."""
    rng = numpy.random.default_rng()
    rng.bit_generator.state = state
    return rng


def random_normal(rng: numpy.random.Generator, shape, xp: ModuleType, dtype="float64", scale=1.0):
    """Normal samples drawn on the host, then moved to ``xp`` (identical on CPU and GPU)."""
    return to_device((scale * rng.standard_normal(shape)).astype(dtype), xp)


def random_uniform(rng: numpy.random.Generator, shape, xp: ModuleType, low=0.0, high=1.0, dtype="float64"):
    """Uniform samples drawn on the host, then moved to ``xp``."""
    return to_device(rng.uniform(low, high, shape).astype(dtype), xp)


def elementwise_kernel(in_params: str, out_params: str, operation: str, name: str):
    """A CuPy ``ElementwiseKernel`` (one fused pass over device memory); compiled by CUDA on its first call."""
    cupy = cupy_module()
    if cupy is None:
        raise BackendError("a fused CuPy kernel was asked for, but CuPy is not installed (the gpu extra)")
    return cupy.ElementwiseKernel(in_params, out_params, operation, name)


def synchronize(xp: ModuleType) -> None:
    """Wait for queued device work (for timing); a no-op on NumPy."""
    if xp is not numpy:
        xp.cuda.get_current_stream().synchronize()


def float_errors_ignored(xp: ModuleType):
    """A context in which overflow, invalid operations and division by zero give inf/NaN silently (NumPy warns by
    default; CuPy never checks)."""
    if xp is numpy:
        return numpy.errstate(over="ignore", invalid="ignore", divide="ignore")
    import contextlib

    return contextlib.nullcontext()


def _loaded_cupy() -> ModuleType | None:
    # Only look at CuPy if something already imported it: an array cannot be a CuPy array otherwise,
    # and importing CuPy just to say "no" would slow every call.
    import sys

    return sys.modules.get("cupy")
