"""The CuPy kernels, checked on a machine without a GPU.

Their sources are strings, so three things can be checked without CUDA: each names exactly its rule's coefficients,
each compiles as C++ (g++ -fsyntax-only, with the CUDA math functions it uses), and each computes the reference's
numbers when its statements are run element-wise by NumPy. On a GPU, ``test_fused_rules.py`` runs them for real.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

import nadam_ref
from nadam_ref import RULES, rules
from nadam_ref.fused import coefficients, cupy_kernels
from tests.fused.test_fused_rules import applicable

CUDA_FUNCTIONS = {"sqrt": np.sqrt, "fmax": np.fmax, "fabs": np.abs}
HPARAM_CASES = [{"eps_placement": "inside"}, {"eps_placement": "outside"},
                {"eps_placement": "outside", "bias_correction": True}]


def kernels():
    return [(rule, inside) for rule in RULES for inside in (True, False)]


def test_every_rule_has_a_kernel():
    assert set(cupy_kernels.SOURCES) == set(RULES)


@pytest.mark.parametrize("rule", RULES)
def test_kernel_scalars_are_the_rules_coefficients(rule):
    scalars, outputs, _ = cupy_kernels.SOURCES[rule]
    module = rules.get(rule)
    for case in HPARAM_CASES:
        hp = rules.make_hparams(module, **applicable(rule, case))
        _, coef = coefficients.BY_RULE[rule](rules.init_state(module, np.zeros(1)), hp)
        assert set(cupy_kernels.names(scalars)) == set(coef)
    assert set(cupy_kernels.names(outputs)) == {"theta", *module.STATE}


@pytest.mark.parametrize("rule, inside", kernels())
def test_kernel_uses_only_declared_names(rule, inside):
    in_params, out_params, operation, _ = cupy_kernels.kernel_parts(rule, inside)
    declared = {p.split()[-1] for p in (in_params + ", " + out_params).split(", ")}
    used = set(re.findall(r"[A-Za-z_]\w*", operation))
    assert used - declared <= set(CUDA_FUNCTIONS), f"undeclared in {rule}: {used - declared - set(CUDA_FUNCTIONS)}"


@pytest.mark.parametrize("rule, inside", kernels())
def test_cupy_accepts_the_kernel_definition(rule, inside):
    cupy = pytest.importorskip("cupy", reason="CuPy is not installed (the gpu extra)")
    kernel = cupy.ElementwiseKernel(*cupy_kernels.kernel_parts(rule, inside))
    scalars, outputs, _ = cupy_kernels.SOURCES[rule]
    assert kernel.nin == 1 + len(cupy_kernels.names(scalars))
    assert kernel.nout == len(cupy_kernels.names(outputs))


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_kernel_sources_compile_as_cpp(tmp_path):
    """Each operation as the body of a C++ function of float and of double, the way CuPy wraps it for CUDA."""
    lines = ["#include <cmath>", "using std::sqrt; using std::fmax; using std::fabs;"]
    for rule, inside in kernels():
        in_params, out_params, operation, name = cupy_kernels.kernel_parts(rule, inside)
        inputs = ", ".join(f"const {p}" for p in in_params.split(", "))
        outputs = ", ".join(p.replace("T ", "T &") for p in out_params.split(", "))
        lines += [f"template <typename T> void {name}({inputs}, {outputs}) {{ {operation} }}",
                  f"template void {name}<float>({_signature(in_params, out_params, 'float')});",
                  f"template void {name}<double>({_signature(in_params, out_params, 'double')});"]
    source = tmp_path / "kernels.cpp"
    source.write_text("\n".join(lines) + "\n")
    result = subprocess.run(["g++", "-std=c++17", "-Wall", "-Werror", "-fsyntax-only", str(source)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def _signature(in_params, out_params, ctype):
    inputs = [f"const {ctype}" for _ in in_params.split(", ")]
    outputs = [f"{ctype} &" for _ in out_params.split(", ")]
    return ", ".join(inputs + outputs)


def run_kernel_source_in_numpy(rule, inside, theta, g, state, coef):
    """Execute the kernel's C statements element-wise with NumPy (they are valid Python once split at ';')."""
    _, _, operation, _ = cupy_kernels.kernel_parts(rule, inside)
    env = {**CUDA_FUNCTIONS, **coef, "g": g, "theta": theta, **{k: state[k] for k in ("m", "n") if k in state}}
    for statement in filter(None, (s.strip() for s in operation.split(";"))):
        exec(statement, {}, env)
    return env


@pytest.mark.parametrize("eps_placement", ["inside", "outside"])
@pytest.mark.parametrize("rule", [r for r in RULES if r != "nag_lookahead"])
def test_kernel_statements_compute_the_reference_step(rule, eps_placement):
    module = rules.get(rule)
    hp = rules.make_hparams(module, **applicable(rule, {"eps_placement": eps_placement}))
    rng = np.random.default_rng(7)
    theta = rng.standard_normal(64)
    state = rules.init_state(module, theta)
    ref_theta, ref_state = theta.copy(), rules.init_state(module, theta)
    for _ in range(5):
        g = rng.standard_normal(64)
        scalars, coef = coefficients.BY_RULE[rule](state, hp)
        env = run_kernel_source_in_numpy(rule, eps_placement == "inside", theta, g, state, coef)
        theta, state = env["theta"], {**state, **scalars, **{k: env[k] for k in module.STATE}}
        ref_theta, ref_state, _ = module.step(ref_theta, g, ref_state, hp)
    np.testing.assert_allclose(theta, ref_theta, rtol=1e-13, atol=1e-13)
    for key in module.STATE:
        np.testing.assert_allclose(state[key], ref_state[key], rtol=1e-13)


def test_nag_lookahead_kernel_is_momentums():
    """Algorithm 3 after its gradient is momentum's update; the look-ahead point is taken before the kernel."""
    assert cupy_kernels.SOURCES["nag_lookahead"] == cupy_kernels.SOURCES["momentum"]
    assert nadam_ref.rules.get("nag_lookahead").STATE == nadam_ref.rules.get("momentum").STATE
