"""The backend switch and the helpers that differ between NumPy and CuPy."""

import numpy
import pytest

from nadam_ref import backend


def test_env_var_selects_numpy(monkeypatch):
    monkeypatch.setenv("NADAM_REF_BACKEND", "numpy")
    assert backend.get_xp() is numpy


def test_auto_falls_back_to_numpy_without_a_gpu(monkeypatch):
    monkeypatch.setenv("NADAM_REF_BACKEND", "auto")
    expected = "cupy" if backend.gpu_available() else "numpy"
    assert backend.backend_name(backend.get_xp()) == expected


def test_unknown_backend_is_named(monkeypatch):
    monkeypatch.setenv("NADAM_REF_BACKEND", "jax")
    with pytest.raises(backend.BackendError, match=r"unknown backend 'jax'.*\('numpy', 'cupy', 'auto'\)"):
        backend.get_xp()


def test_cupy_without_a_gpu_says_why(monkeypatch):
    if backend.gpu_available():
        pytest.skip("a CUDA device is present, so asking for CuPy succeeds")
    monkeypatch.setenv("NADAM_REF_BACKEND", "cupy")
    with pytest.raises(backend.BackendError, match="no CUDA device|CuPy is not installed"):
        backend.get_xp()


def test_array_module_and_host_round_trip(xp):
    a = xp.arange(6.0).reshape(2, 3)
    assert backend.array_module(a, 1.0, None) is xp
    host = backend.to_host(a)
    assert isinstance(host, numpy.ndarray)
    numpy.testing.assert_array_equal(backend.to_host(backend.to_device(host, xp)), host)


def test_scatter_add_accumulates_repeated_indices(xp):
    target = xp.zeros((4, 2))
    backend.scatter_add(target, xp.asarray([0, 2, 0]), xp.ones((3, 2)))
    numpy.testing.assert_array_equal(backend.to_host(target), [[2, 2], [0, 0], [1, 1], [0, 0]])


def test_sliding_windows_is_a_view(xp):
    x = xp.arange(10.0)
    w = backend.sliding_windows(x, 3, axis=0)
    assert w.shape == (8, 3)
    numpy.testing.assert_array_equal(backend.to_host(w[2]), [2, 3, 4])


def test_random_numbers_come_from_the_host(xp):
    a = backend.random_normal(backend.host_rng(7), (5,), xp)
    b = backend.random_normal(backend.host_rng(7), (5,), numpy)
    numpy.testing.assert_array_equal(backend.to_host(a), b)


def test_rng_state_round_trip():
    rng = backend.host_rng(1)
    rng.standard_normal(3)
    restored = backend.rng_from_state(backend.rng_state(rng))
    numpy.testing.assert_array_equal(restored.standard_normal(4), rng.standard_normal(4))
