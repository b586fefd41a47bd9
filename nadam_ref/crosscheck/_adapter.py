"""What every library adapter shares: the description of one mapped call (:class:`Case`), the import and
version checks, and the loop that drives a library step by step on a host-side gradient function.

The peers take host arrays, so this side of the harness works on NumPy arrays (``numpy`` here is the host
format of the data handed over, not array math of nadam_ref's own).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy

from ..handover import handed
from ..trajectory import gradient_like


class LibraryMissingError(RuntimeError):
    """The peer library is not installed."""


class LibraryTooOldError(RuntimeError):
    """The installed peer is older than a mapping needs."""


@dataclass(frozen=True)
class Case:
    """One library call mapped onto one nadam_ref rule.

    ``variant`` holds the nadam_ref hyper-parameters, beyond the paper's η, μ, ν, ε, that make the rule compute
    what the library computes; ``None`` means no exact mapping exists (the harness then reports the closest).
    ``run(grad_fn, theta0, steps, hp, dtype)`` returns the library's iterates θ₀ … θ_steps as a host array.
    ``float32_hparams``: the library rounds η, μ, ν, ε to float32 even in a float64 run (a float32 attribute or
    constant), so both sides are given the float32-rounded values, which the library then keeps exactly.
    """

    library: str
    call: str
    rule: str
    variant: dict | None
    formula: str
    run: Callable = field(repr=False, compare=False)
    min_version: str = "0"
    needs: str = ""
    float64_only: bool = False
    float32_hparams: bool = False


def version_tuple(text: str) -> tuple[int, ...]:
    """``"2.13.0+cpu"`` → ``(2, 13, 0)``: the leading numeric parts only."""
    parts = []
    for piece in text.split("+")[0].split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.end() < len(piece):  # "8rc1": a pre-release of 8, nothing after it counts
            break
    return tuple(parts)


def installed_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None when it is not installed."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_version(case: Case, version: str) -> None:
    """Refuse a mapping that the installed version cannot express, saying which version it needs and why."""
    if version_tuple(version) < version_tuple(case.min_version):
        reason = f" ({case.needs})" if case.needs else ""
        raise LibraryTooOldError(f"{case.library} {version} is too old for {case.call}: the mapping needs "
                                 f"{case.library} >= {case.min_version}{reason}")


def float32_rounded(hp: dict) -> dict:
    """``hp`` with every float rounded to the nearest float32 (kept as a Python float)."""
    return {k: float(numpy.float32(v)) if isinstance(v, float) else v for k, v in hp.items()}


def drive(init, step, grad_fn, theta0, steps: int):
    """Run a library for ``steps`` steps: ``init(theta0) -> handle``, ``step(handle, g) -> theta`` (host array).

    The gradient is always computed on the host from the library's current iterate, and checked for shape. The
    library gets copies of θ₀ and of each gradient (:mod:`nadam_ref.handover`): one that keeps the array it is given
    as its parameter and updates it in place changes nothing of ours.
    """
    handle, theta = init(handed(theta0)), theta0
    path = [numpy.array(theta0, copy=True)]
    for _ in range(steps):
        g = gradient_like(grad_fn(theta), theta)
        theta = numpy.array(step(handle, handed(g)), copy=True)
        path.append(theta)
    return numpy.stack(path)


@contextlib.contextmanager
def library_default(get: Callable, put: Callable, value):
    """``put(value)`` for the block, then ``put`` back what ``get()`` gave: a peer's global default (torch's
    default dtype, keras' floatx) set for one run and restored, even when the run fails."""
    before = get()
    put(value)
    try:
        yield
    finally:
        put(before)


def import_module(name: str, extra: str = "crosscheck"):
    """Import a peer, turning its absence into :class:`LibraryMissingError` with the install hint (the extra of
    pyproject.toml that brings it)."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise LibraryMissingError(f"{name} is not installed ({e}); pip install -e '.[{extra}]'") from None
