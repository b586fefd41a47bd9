"""Shared fixtures: every test that takes ``xp`` runs once per backend present.

The CuPy run skips, with the reason, when CuPy or a CUDA device is missing.
"""

from __future__ import annotations

import os

import numpy
import pytest

from nadam_ref import backend

os.environ.setdefault("MPLBACKEND", "Agg")


def _cupy_skip_reason() -> str | None:
    if backend.cupy_module() is None:
        return "CuPy is not installed (pip install -e '.[gpu]')"
    if not backend.gpu_available():
        return "CuPy is installed but no CUDA device is available on this machine"
    return None


BACKEND_PARAMS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("cupy", id="cupy", marks=[pytest.mark.cupy,
                                          pytest.mark.skipif(_cupy_skip_reason() is not None,
                                                             reason=str(_cupy_skip_reason()))]),
]


@pytest.fixture(params=BACKEND_PARAMS)
def xp(request):
    """The array namespace of one backend: numpy, or cupy when a GPU is present."""
    return backend.get_xp(request.param)


def to_numpy(a):
    """Any array as NumPy, for assertions."""
    return backend.to_host(a)


@pytest.fixture
def rng():
    return numpy.random.default_rng(0)
