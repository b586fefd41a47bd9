"""The generated CuPy kernels, checked on a machine without a GPU.

Each kernel is translated from its rule's element function (:mod:`nadam_ref.fused.elements`), the function numba
compiles for the CPU. Without CUDA we check that each kernel takes exactly its rule's coefficients for every variant
of the declaration (``rules.variants``), compiles as C++ (g++ -fsyntax-only, float and double, with the CUDA math
functions it uses), is accepted by ``cupy.ElementwiseKernel``, and computes the reference's numbers for every
variant when its generated statements are run element-wise by NumPy; and that the translation refuses what it
cannot translate exactly. On a GPU, ``test_parity.py`` and ``test_fused_rules.py`` run the kernels for real.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from nadam_ref import RULES, rules
from nadam_ref.fused import coefficients, cupy_kernels, elements
from tests.fused.test_parity import CASES, case_id

CUDA_FUNCTIONS = {"sqrt": np.sqrt, "fmax": np.fmax, "fabs": np.abs}


def test_every_rule_has_a_kernel_and_an_element_function():
    assert set(elements.BY_RULE) == set(RULES)
    for name in elements.KERNEL_NAMES:
        assert cupy_kernels.statements(name), name


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_kernel_scalars_are_the_rules_coefficients(case):
    rule, hparams = case
    module = rules.get(rule)
    hp = rules.make_hparams(module, **hparams)
    _, coef = coefficients.BY_RULE[rule](rules.init_state(module, np.zeros(1), hp), hp)
    _, scalars, outputs = elements.signature(elements.kernel_name(rule, hp))
    assert set(scalars) == set(coef)
    assert set(outputs) == {"theta", *rules.state_names(module, hp)}


@pytest.mark.parametrize("rule", elements.KERNEL_NAMES)
def test_kernel_uses_only_declared_names_and_no_literals(rule):
    in_params, out_params, operation, _ = cupy_kernels.kernel_parts(rule)
    declared = {p.split()[-1] for p in (in_params + ", " + out_params).split(", ")}
    used = set(re.findall(r"[A-Za-z_]\w*", operation))
    assert used - declared <= set(CUDA_FUNCTIONS), f"undeclared in {rule}: {used - declared - set(CUDA_FUNCTIONS)}"
    assert not re.search(r"(?<![A-Za-z_])\d", operation), f"a literal in {rule}'s kernel would be a double"


@pytest.mark.parametrize("rule", elements.KERNEL_NAMES)
def test_cupy_accepts_the_kernel_definition(rule):
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (the gpu extra)")
    kernel = cupy.ElementwiseKernel(*cupy_kernels.kernel_parts(rule))
    _, scalars, outputs = elements.signature(rule)
    assert kernel.nin == 1 + len(scalars)
    assert kernel.nout == len(outputs)


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_kernel_sources_compile_as_cpp(tmp_path):
    """Each operation as the body of a C++ function of float and of double, the way CuPy wraps it for CUDA."""
    lines = ["#include <cmath>", "using std::sqrt; using std::fmax; using std::fabs;"]
    for rule in elements.KERNEL_NAMES:
        in_params, out_params, operation, name = cupy_kernels.kernel_parts(rule)
        name = f"{name}_{rule}"
        inputs = ", ".join(f"const {p}" for p in in_params.split(", "))
        outputs = ", ".join(p.replace("T ", "T &") for p in out_params.split(", "))
        lines += [f"template <typename T> void {name}({inputs}, {outputs}) {{ {operation} }}",
                  f"template void {name}<float>({_signature(in_params, out_params, 'float')});",
                  f"template void {name}<double>({_signature(in_params, out_params, 'double')});"]
    source = tmp_path / "kernels.cpp"
    source.write_text("\n".join(lines) + "\n")
    result = subprocess.run(["g++", "-std=c++17", "-Wall", "-Werror", "-Wdouble-promotion", "-fsyntax-only",
                             str(source)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _signature(in_params, out_params, ctype):
    inputs = [f"const {ctype}" for _ in in_params.split(", ")]
    outputs = [f"{ctype} &" for _ in out_params.split(", ")]
    return ", ".join(inputs + outputs)


def run_kernel_source_in_numpy(rule, theta, g, state, coef):
    """Execute the kernel's generated C statements element-wise with NumPy (valid Python once split at ';')."""
    _, _, operation, _ = cupy_kernels.kernel_parts(rule)
    env = {**CUDA_FUNCTIONS, **coef, "g": g, "theta": theta, **{k: state[k] for k in ("m", "n", "n_max") if k in state}}
    for statement in filter(None, (s.strip() for s in operation.split(";"))):
        exec(statement, {}, env)
    return env


@pytest.mark.parametrize("case", [c for c in CASES if c[0] != "nag_lookahead"], ids=case_id)
def test_kernel_statements_compute_the_reference_step(case):
    rule, hparams = case
    module = rules.get(rule)
    hp = rules.make_hparams(module, **hparams)
    rng = np.random.default_rng(7)
    theta = rng.standard_normal(64)
    state = rules.init_state(module, theta, hp)
    ref_theta, ref_state = theta.copy(), rules.init_state(module, theta, hp)
    names = rules.state_names(module, hp)
    for step in range(5):
        g = rng.standard_normal(64) * (4.0 if step == 1 else 1.0)  # a large gradient, then n falls: AMSGrad's max
        scalars, coef = coefficients.BY_RULE[rule](state, hp)
        env = run_kernel_source_in_numpy(elements.kernel_name(rule, hp), theta, g, state, coef)
        theta, state = env["theta"], {**state, **scalars, **{k: env[k] for k in names}}
        ref_theta, ref_state, _ = module.step(ref_theta, g, ref_state, hp)
    scale = float(np.abs(ref_theta).max())
    np.testing.assert_allclose(theta, ref_theta, rtol=1e-13, atol=1e-13 * scale)
    for key in names:
        np.testing.assert_allclose(state[key], ref_state[key], rtol=1e-13)


def test_nag_lookahead_kernel_is_momentums():
    """Algorithm 3 after its gradient is momentum's update; the look-ahead point is taken before the kernel."""
    assert cupy_kernels.kernel_parts("nag_lookahead") == cupy_kernels.kernel_parts("momentum")
    assert rules.get("nag_lookahead").STATE == rules.get("momentum").STATE


def _literal(theta, g, lr):
    theta = theta - 0.5 * lr * g
    return (theta,)


def _power(theta, g, lr):
    theta = theta - lr * g**2
    return (theta,)


def _temporary(theta, g, lr):
    step = lr * g
    theta = theta - step
    return (theta,)


def _other_call(theta, g, lr):
    theta = theta - lr * exp(g)  # noqa: F821  (never run: the translation must refuse it)
    return (theta,)


@pytest.mark.parametrize("function, message", [(_literal, "Constant"), (_power, "Pow"),
                                               (_temporary, "not an assignment"), (_other_call, "may call only")])
def test_translation_refuses_what_it_cannot_translate_exactly(monkeypatch, function, message):
    monkeypatch.setitem(elements.BY_RULE, "gd", function)
    with pytest.raises(ValueError, match=message):
        cupy_kernels.statements("gd")
