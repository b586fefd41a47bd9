"""Fused parity, generated from the one declaration: every variant of every rule (``rules.variants``) runs on
``impl="fused"`` with the reference's numbers, or is refused by name when the optimizer is built and when ``impl`` is
switched. A new option value in a rule's ``SPEC`` is tested here without anyone adding it to a list.

The error is measured against θ's own movement, per parameter: max |θ_fused − θ_ref| / max |θ_ref − θ₀|, within
1e-13 in float64. In float32 the bound is 1e-6 of the movement or of θ itself, whichever is larger: θ cannot be
nearer than its own rounding, and where θ moves far less than its size (AdaGrad with n0 = 0.1 moves a coordinate of
1e-4 by 2e-6 in 12 steps) one float32 ulp of θ is already 4e-6 of the movement. One parameter has coordinates of 1e-4
and gradients of 1e-5, where the place of ε changes the step; its movement is measured on its own, so the large
coordinates cannot hide an error there.

``python -m tests.fused.test_parity`` prints the table of largest errors (rule × variant × dtype).
"""

from __future__ import annotations

import numpy as np
import pytest

import nadam_ref
from nadam_ref import backend, fused, rules
from tests.conftest import to_numpy

TOLERANCE = {"float64": 1e-13, "float32": 1e-6}
STEPS = 12
#: name -> (shape, scale of θ₀, scale of the gradients): ordinary coordinates, tiny ones, a matrix and a 0-d one.
#: θ₀ is of the order of θ's movement (Adam moves ≤ η = 1e-3 a step), so that the comparison sees the update and not
#: the rounding of θ itself: one float32 ulp of θ = 0.5 is already 5e-6 of a 12-step Adam run's movement.
PARAMS = {"w": ((40,), 1e-2, 1.0), "tiny": ((40,), 1e-4, 1e-5), "b": ((3, 4), 1e-2, 2.0), "s": ((), 1e-2, 0.3)}

CASES = [(rule, variant) for rule in nadam_ref.RULES for variant in rules.variants(rule)]


def case_id(case) -> str:
    rule, variant = case
    return rule + "".join(f"-{k}={v}" for k, v in variant.items())


def start(xp, dtype, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    return {k: backend.to_device((scale * rng.standard_normal(shape)).astype(dtype), xp)
            for k, (shape, scale, _) in PARAMS.items()}


def gradient_stream(xp, dtype, seed=1) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{k: backend.to_device((scale * rng.standard_normal(shape)).astype(dtype), xp)
             for k, (shape, _, scale) in PARAMS.items()} for _ in range(STEPS)]


def step(opt, g):
    """One step; nag_lookahead's gradient depends on its look-ahead point, so the point matters."""
    if opt.rule.SPEC.needs_grad_fn:
        xp = backend.array_module(*g.values())
        opt.step(grad_fn=lambda point: {k: xp.asarray(0.5 * point[k] + g[k], dtype=g[k].dtype) for k in point})
    else:
        opt.step(g)


def run_pair(xp, rule, variant, dtype):
    """The reference and the fused optimizer after :data:`STEPS` steps on the same gradients, and θ₀."""
    theta0 = start(xp, dtype)
    opts = [nadam_ref.Optimizer(rule, {k: v.copy() for k, v in theta0.items()}, impl=impl, **variant)
            for impl in ("reference", "fused")]
    for g in gradient_stream(xp, dtype):
        for opt in opts:
            step(opt, g)
    return (*opts, theta0)


def largest_error(reference, fused_opt, theta0, at_least_theta: bool = False) -> float:
    """max over parameters of max |θ_fused − θ_ref| / max |θ_ref − θ₀| (or / max |θ_ref| when that is larger and
    ``at_least_theta``)."""
    worst = 0.0
    for name, ref in reference.params.items():
        ref, got, start_ = (to_numpy(a).astype("float64") for a in (ref, fused_opt.params[name], theta0[name]))
        movement = np.abs(ref - start_).max(initial=0.0)
        assert movement > 0, f"parameter {name!r} did not move; the comparison would be empty"
        scale = max(movement, np.abs(ref).max(initial=0.0)) if at_least_theta else movement
        worst = max(worst, float(np.abs(got - ref).max(initial=0.0) / scale))
    return worst


def refusal(rule, variant) -> str | None:
    """The fused engine's refusal message for this variant, or None when it computes it."""
    try:
        fused.check_supported(rule, rules.make_hparams(rules.get(rule), **variant))
    except NotImplementedError as e:
        return str(e)
    return None


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_every_variant_is_at_parity_or_refused(xp, case, dtype):
    rule, variant = case
    message = refusal(rule, variant)
    if message is not None:
        with pytest.raises(NotImplementedError, match="impl='fused' does not implement"):
            nadam_ref.Optimizer(rule, start(xp, dtype), impl="fused", **variant)
        opt = nadam_ref.Optimizer(rule, start(xp, dtype), **variant)
        with pytest.raises(NotImplementedError, match="impl='fused' does not implement"):
            opt.impl = "fused"
        assert opt.impl == "reference"
        return
    reference, fused_opt, theta0 = run_pair(xp, rule, variant, dtype)
    assert largest_error(reference, fused_opt, theta0, at_least_theta=dtype == "float32") <= TOLERANCE[dtype]
    # NumPy runs the state updates in the reference's order, bit for bit. CuPy's kernel is compiled by NVRTC, which
    # contracts m·μ + (1 − μ)·g into one fused multiply-add: m then differs by an ulp of its terms, which is large
    # relative to an m that cancels near 0, so the state is compared at the scale of the whole array, like θ.
    exact = backend.backend_name(xp) == "numpy"
    for name in reference.params:
        ref_state, got_state = reference.state[name], fused_opt.state[name]
        assert (got_state["t"], got_state["mu_prod"]) == (ref_state["t"], ref_state["mu_prod"])
        for key in rules.state_names(reference.rule, reference.hp):
            ref, got = to_numpy(ref_state[key]), to_numpy(got_state[key])
            if exact:
                np.testing.assert_array_equal(got, ref, err_msg=f"state {key!r} of {name!r}")
            else:
                scale = max(float(np.abs(ref).max(initial=0.0)), np.finfo(dtype).tiny)
                worst = float(np.abs(got.astype("float64") - ref.astype("float64")).max(initial=0.0))
                assert worst <= TOLERANCE[dtype] * scale, \
                    f"state {key!r} of {name!r}: largest |fused − reference| {worst:.3g} > {TOLERANCE[dtype]:g} × " \
                    f"max |reference| {scale:.3g}"


def test_the_cases_are_the_declarations():
    """Every option value and numeric variant of every rule is among the cases (the parity test's coverage)."""
    for rule in nadam_ref.RULES:
        spec, mine = rules.spec(rule), [v for r, v in CASES if r == rule]
        for name, values in spec.options.items():
            assert {v[name] for v in mine} == set(values)
        for name, value in spec.numeric_variants.items():
            assert any(v.get(name) == value for v in mine)


def test_a_variant_the_engine_leaves_out_is_refused_by_name_when_built_and_when_switched(monkeypatch):
    monkeypatch.setitem(fused.NOT_IMPLEMENTED, "adam", (("eps_placement", "hat"), ("eps_root", fused.NONZERO)))
    params = {"w": np.ones(3)}
    with pytest.raises(NotImplementedError, match=r"does not implement eps_placement='hat' for rule 'adam'"):
        nadam_ref.Optimizer("adam", params, impl="fused", eps_placement="hat")
    with pytest.raises(NotImplementedError, match=r"does not implement eps_root=a non-zero value for rule 'adam'"):
        nadam_ref.Optimizer("adam", params, impl="fused", eps_root=1e-8)
    opt = nadam_ref.Optimizer("adam", params, eps_placement="hat")
    with pytest.raises(NotImplementedError, match=r"eps_placement='hat'"):
        opt.impl = "fused"
    assert opt.impl == "reference"
    nadam_ref.Optimizer("adam", params, impl="fused", eps_placement="outside")  # the others still run


def table() -> list[tuple]:
    """(rule, variant, float64 error, float32 error of the movement, float32 error of max(movement, θ)) for every
    case on NumPy, or (rule, variant, the refusal)."""
    rows = []
    for rule, variant in CASES:
        name = ", ".join(f"{k}={v!r}" for k, v in variant.items()) or "(no options)"
        message = refusal(rule, variant)
        if message is not None:
            rows.append((rule, name, f"refused: {message}"))
            continue
        errors = [largest_error(*run_pair(np, rule, variant, dtype), at_least_theta=floor)
                  for dtype, floor in (("float64", False), ("float32", False), ("float32", True))]
        rows.append((rule, name, *(f"{e:.1e}" for e in errors)))
    return rows


if __name__ == "__main__":
    print("| rule | variant | float64 (of movement) | float32 (of movement) | float32 (of max(movement, θ)) |\n"
          "| --- | --- | --- | --- | --- |")
    for row in table():
        print("| " + " | ".join(row) + " |")
