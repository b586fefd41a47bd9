"""The CPU engine: generated from the element functions, cached on disk, vectorised, on the threads it is given."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from nadam_ref.fused import compiled, elements


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(compiled.CACHE_ENV, str(tmp_path))
    compiled.kernel.cache_clear()
    yield tmp_path
    compiled.kernel.cache_clear()


def arguments(rule, size=4096, dtype="float32"):
    arrays, scalars, _ = elements.signature(rule)
    rng = np.random.default_rng(0)
    return ([rng.uniform(0.5, 1.0, size).astype(dtype) for _ in arrays],
            [np.dtype(dtype).type(0.25) for _ in scalars])


def test_the_generated_module_holds_the_element_function_itself(fresh_cache):
    text = compiled.source("nadam")
    body = [line.strip() for line in text.splitlines()]
    for line in ("m = keep_m * m + take_m * g", "n = nu * n + take_n * (g * g)"):
        assert line in body
    assert "for i in prange(theta.shape[0]):" in body
    compiled.kernel("nadam")
    assert [p.name for p in fresh_cache.glob("fused_nadam_*.py")] != []


@pytest.mark.parametrize("rule", ["nadam", "adam"])
def test_the_loop_is_vectorised(fresh_cache, rule):
    """Packed square roots and divisions (``sqrtps``/``divps``, SSE or AVX) in the loop's machine code: a numba
    loop that checks divisors for zero, as its default error model does, stays scalar."""
    kernel = compiled.kernel(rule)
    arrays, scalars = arguments(rule)
    kernel(*arrays, *scalars)
    (asm,) = kernel.inspect_asm().values()
    assert re.search(r"\bv?sqrtps\b", asm) and re.search(r"\bv?divps\b", asm)


def test_a_second_process_loads_the_kernel_from_disk(fresh_cache):
    """The first process compiles and writes numba's cache; a second one finds it (numba's index files)."""
    script = ("import numpy as np, sys; from nadam_ref.fused import compiled; "
              "k = compiled.kernel('adam'); a = [np.ones(10, 'float32') for _ in range(4)]; "
              "k(*a, *[np.float32(0.5)] * 7); print(sum(k.stats.cache_hits.values()))")
    env = {**os.environ, compiled.CACHE_ENV: str(fresh_cache)}
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
            for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    assert [r.stdout.strip() for r in runs] == ["0", "1"]
    assert list(fresh_cache.rglob("*.nbi"))


def test_small_parameters_run_on_one_thread_and_the_threads_setting_is_kept(monkeypatch):
    import numba

    seen = []
    monkeypatch.setattr(numba, "set_num_threads", lambda n, real=numba.set_num_threads: (seen.append(n), real(n)))
    before = numba.get_num_threads()
    coef = {name: 0.25 for name in elements.signature("nadam")[1]}
    compiled.run("nadam", *arguments("nadam", size=compiled.SERIAL_BELOW - 1)[0], coef)
    assert seen == [1, before] and numba.get_num_threads() == before
    seen.clear()
    compiled.run("nadam", *arguments("nadam", size=compiled.SERIAL_BELOW)[0], coef)
    assert seen == []


def test_threads_are_set_and_read():
    import numba

    before = compiled.threads()
    try:
        compiled.set_threads(1)
        assert compiled.threads() == 1 == numba.get_num_threads()
    finally:
        compiled.set_threads(before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("size", [1, compiled.SERIAL_BELOW - 1, compiled.SERIAL_BELOW + 5])
def test_finiteness_is_found_anywhere_and_never_fooled_by_overflow(size, dtype):
    g = np.full(size, np.finfo(dtype).max, dtype=dtype)  # finite, though any sum or square of it overflows
    assert compiled.all_finite(g)
    for bad in (np.nan, np.inf, -np.inf):
        for where in {0, size // 2, size - 1}:
            h = g.copy()
            h[where] = bad
            assert not compiled.all_finite(h), (bad, where)


def test_finiteness_of_strided_and_0d_gradients():
    g = np.ones((40, 30), dtype="float32")[::2, ::3]
    assert compiled.all_finite(g) and compiled.all_finite(np.asarray(np.float32(2.0)))
    base = np.ones((40, 30), dtype="float32")
    base[-2, -3] = np.nan
    assert not compiled.all_finite(base[::2, ::3])  # the NaN sits in the strided view
    assert not compiled.all_finite(np.asarray(np.float64(np.inf)))


def test_an_empty_gradient_is_finite():
    assert compiled.all_finite(np.zeros(0, dtype="float32"))
