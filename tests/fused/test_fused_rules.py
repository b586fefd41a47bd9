"""The fused rules give the reference's numbers for any hyper-parameters, strided parameters and look-ahead points
(every variant of the declaration, at the paper's hyper-parameters, is in test_parity.py).

"Within 1e-6 relative" is measured against the array's scale: |fused − reference| ≤ rtol·(|reference| + max|reference|),
because θ's error comes from the update (a few ulps of η·m̄/√n̂), not from θ itself, and an element that happens to
sit near zero would otherwise ask for more digits than float32 has.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nadam_ref
from nadam_ref import RULES, backend, rules
from nadam_ref.fused import compiled
from tests.conftest import to_numpy
from tests.fused.test_parity import CASES, case_id, largest_error

RTOL = {"float32": 1e-6, "float64": 1e-13}
# A parameter long enough for the compiled loop to split across threads, a small 2-D one and a 0-d one.
SHAPES = {"w": (compiled.SERIAL_BELOW + 7_233,), "b": (3, 5), "s": ()}


def assert_close(fused, reference, dtype):
    fused, reference = to_numpy(fused), to_numpy(reference)
    scale = float(np.abs(reference).max()) if reference.size else 0.0
    np.testing.assert_allclose(fused, reference, rtol=RTOL[dtype], atol=RTOL[dtype] * scale)


def make_params(xp, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return {k: backend.to_device(rng.standard_normal(shape).astype(dtype), xp) for k, shape in SHAPES.items()}


def gradients(xp, dtype, steps, seed=1):
    rng = np.random.default_rng(seed)
    return [{k: backend.to_device(rng.standard_normal(shape).astype(dtype), xp) for k, shape in SHAPES.items()}
            for _ in range(steps)]


def take_step(opt, g):
    """One step; nag_lookahead gets a gradient that depends on its look-ahead point (so the point matters)."""
    if opt.rule.NAME == "nag_lookahead":
        xp = backend.array_module(*g.values())  # asarray keeps the 0-d parameter an array
        opt.step(grad_fn=lambda point: {k: xp.asarray(0.5 * point[k] + g[k]) for k in point})
    else:
        opt.step(g)


def assert_same_run(reference, fused, dtype, exact_state):
    for name in reference.params:
        assert_close(fused.params[name], reference.params[name], dtype)
        ref_state, fused_state = reference.state[name], fused.state[name]
        assert fused_state["t"] == ref_state["t"]
        assert fused_state.get("mu_prod") == ref_state.get("mu_prod")
        for key in rules.state_names(reference.rule, reference.hp):
            if exact_state:  # NumPy runs the state updates in the reference's order of operations
                np.testing.assert_array_equal(to_numpy(fused_state[key]), to_numpy(ref_state[key]))
            else:
                assert_close(fused_state[key], ref_state[key], dtype)


def run_both(xp, rule, dtype, steps=12, **hparams):
    opts = [nadam_ref.Optimizer(rule, make_params(xp, dtype), impl=impl, **hparams) for impl in ("reference", "fused")]
    for g in gradients(xp, dtype, steps):
        for opt in opts:
            take_step(opt, g)
    return opts


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_fused_matches_reference_on_the_parallel_path(xp, case, dtype):
    """Every declared variant again (test_parity.py runs them on small parameters, which the compiled engine steps
    on one thread), here with a parameter above ``compiled.SERIAL_BELOW``, split across the threads."""
    rule, hparams = case
    reference, fused = run_both(xp, rule, dtype, **hparams)
    assert_same_run(reference, fused, dtype, exact_state=backend.backend_name(xp) == "numpy")


@settings(max_examples=40, deadline=None)
@given(case=st.sampled_from(CASES), dtype=st.sampled_from(["float32", "float64"]),
       lr=st.floats(1e-5, 0.5), mu=st.floats(0.0, 0.999), nu=st.floats(0.5, 0.9999),
       eps=st.sampled_from([0.0, 1e-8, 1e-3]),
       size=st.integers(1, 2 * compiled.SERIAL_BELOW + 7), steps=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_fused_matches_reference_for_any_hyperparameters(case, dtype, lr, mu, nu, eps, size, steps, seed):
    rule, variant = case
    hparams = {**rules.select_hparams(rule, {"lr": lr, "mu": mu, "nu": nu, "eps": eps}), **variant}
    rng = np.random.default_rng(seed)
    theta0 = rng.standard_normal(size).astype(dtype)
    # Gradients bounded away from zero, so ε = 0 never meets 0/0.
    grads = [(rng.choice([-1.0, 1.0], size) * rng.uniform(0.1, 2.0, size)).astype(dtype) for _ in range(steps)]
    opts = [nadam_ref.Optimizer(rule, {"w": theta0.copy()}, impl=impl, **hparams) for impl in ("reference", "fused")]
    for g in grads:
        for opt in opts:
            take_step(opt, {"w": g})
    # θ against the larger of its movement and itself: a θ that lands near 0 after moving by η·steps cannot be
    # nearer than an ulp of the movement, nor a θ that barely moves nearer than an ulp of itself.
    assert largest_error(*opts, {"w": theta0}, at_least_theta=True) <= RTOL[dtype]
    for key in rules.state_names(opts[0].rule, opts[0].hp):  # NumPy: the reference's order of operations
        np.testing.assert_array_equal(opts[1].state["w"][key], opts[0].state["w"][key])


def test_strided_parameters_are_updated_in_place():
    rng = np.random.default_rng(3)
    base = rng.standard_normal((40, 30)).astype("float32")
    params = {"transposed": base.T.copy(order="F"), "every_other": base[::2, ::3]}  # F-ordered, and a strided view
    reference = nadam_ref.Optimizer("nadam", {k: v.copy() for k, v in params.items()})
    fused = nadam_ref.Optimizer("nadam", params, impl="fused")
    for _ in range(5):
        g = {k: rng.standard_normal(v.shape).astype("float32") for k, v in params.items()}
        reference.step(g)
        fused.step(g)
    assert not params["every_other"].flags.c_contiguous
    assert np.shares_memory(params["every_other"], base)  # still updated in place, through the view
    assert_same_run(reference, fused, "float32", exact_state=True)


def test_nag_lookahead_fused_iterates_are_algorithm_3():
    """Its θ are Algorithm 3's, and its look-ahead points θ − ημ_{t+1}m are Algorithm 7's (nag's) iterates."""
    hp = {"lr": 0.05, "mu": 0.9}
    curvature = np.linspace(0.1, 2.0, 50)
    grad_fn = lambda point: {"w": curvature * point["w"]}  # noqa: E731
    lookahead = nadam_ref.Optimizer("nag_lookahead", {"w": np.ones(50)}, impl="fused", **hp)
    nag = nadam_ref.Optimizer("nag", {"w": np.ones(50)}, impl="fused", **hp)
    for _ in range(20):
        lookahead.step(grad_fn=grad_fn)
        nag.step(grad_fn(nag.params))
    state = lookahead.state["w"]
    phi = lookahead.params["w"] - hp["lr"] * lookahead.hp.mu_at(state["t"] + 1) * state["m"]
    np.testing.assert_allclose(phi, nag.params["w"], rtol=1e-12)
    assert not np.allclose(lookahead.params["w"], nag.params["w"], rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rule", RULES)
def test_fused_step_allocates_no_arrays(rule, dtype):
    import tracemalloc

    size = 200_000
    rng = np.random.default_rng(0)
    params = {"w": rng.standard_normal(size).astype(dtype)}
    g = {"w": rng.standard_normal(size).astype(dtype)}
    opt = nadam_ref.Optimizer(rule, params, impl="fused")

    def take_step(opt, g):  # a gradient function that allocates nothing either
        opt.step(grad_fn=lambda _point: g) if opt.rule.NAME == "nag_lookahead" else opt.step(g)

    take_step(opt, g)  # the first step compiles (or loads) the kernel and allocates the state
    nbytes = params["w"].nbytes
    tracemalloc.start()
    try:
        for _ in range(3):
            take_step(opt, g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < nbytes // 20, f"a fused {rule} step allocated {peak} bytes; one parameter array is {nbytes}"
    # The same probe sees the reference step's temporaries, so it is not blind.
    opt.impl = "reference"
    tracemalloc.start()
    try:
        take_step(opt, g)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak > nbytes


@pytest.mark.parametrize("rule", ["nadam", "adamax", "nag_lookahead"])
def test_state_file_resume_and_impl_switch(tmp_path, rule):
    steps = gradients(np, "float32", 10, seed=5)
    straight = nadam_ref.Optimizer(rule, make_params(np, "float32"), impl="fused")
    for g in steps:
        take_step(straight, g)

    first = nadam_ref.Optimizer(rule, make_params(np, "float32"), impl="fused")
    for g in steps[:4]:
        take_step(first, g)
    first.save(tmp_path / "state.npz")
    for impl in ("fused", "reference"):
        resumed = nadam_ref.Optimizer(rule, make_params(np, "float32", seed=99), impl=impl)
        resumed.load(tmp_path / "state.npz")
        resumed.impl = "fused"  # a file written by either impl continues under either
        for g in steps[4:]:
            take_step(resumed, g)
        for name in straight.params:
            np.testing.assert_array_equal(resumed.params[name], straight.params[name])
            for key in rules.state_names(straight.rule, straight.hp):
                np.testing.assert_array_equal(resumed.state[name][key], straight.state[name][key])

    mixed = nadam_ref.Optimizer(rule, make_params(np, "float32"))
    for i, g in enumerate(steps):
        mixed.impl = ("reference", "fused")[i % 2]
        take_step(mixed, g)
    assert_same_run(straight, mixed, "float32", exact_state=True)


def test_impl_is_checked_and_fused_has_no_trace():
    with pytest.raises(ValueError, match="impl='fast'"):
        nadam_ref.Optimizer("adam", {"w": np.ones(3)}, impl="fast")
    opt = nadam_ref.Optimizer("adam", {"w": np.ones(3)}, impl="fused")
    with pytest.raises(ValueError, match="trace=True"):
        opt.step({"w": np.ones(3)}, trace=True)
    with pytest.raises(ValueError, match="expected one of"):
        opt.impl = "Fused"
    assert opt.t == 0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_fused_refuses_a_nonfinite_gradient_in_any_chunk(bad):
    params = make_params(np, "float32")
    before = {k: v.copy() for k, v in params.items()}
    opt = nadam_ref.Optimizer("adam", params, impl="fused")
    g = gradients(np, "float32", 1)[0]
    g["w"][-1] = bad  # in the last chunk, after two clean ones
    with pytest.raises(nadam_ref.NonFiniteGradientError, match="'w'"):
        opt.step(g)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    assert opt.t == 0


def test_finiteness_check_is_not_fooled_by_an_overflowing_sum():
    from nadam_ref.fused import all_finite

    huge = np.full(1000, 3e38, dtype="float32")  # finite, but its sum overflows float32
    assert all_finite(huge)
    for bad in (np.nan, np.inf, -np.inf):
        g = huge.copy()
        g[500] = bad
        assert not all_finite(g)
    both = np.array([np.inf, -np.inf], dtype="float32")  # sums to NaN, as it should be refused
    assert not all_finite(both)


def test_parameters_of_both_dtypes_share_one_workspace():
    rng = np.random.default_rng(11)
    params = {"single": rng.standard_normal(1000).astype("float32"), "double": rng.standard_normal(70)}
    reference = nadam_ref.Optimizer("adamax", {k: v.copy() for k, v in params.items()})
    fused = nadam_ref.Optimizer("adamax", params, impl="fused")
    for _ in range(6):
        g = {k: rng.standard_normal(v.shape).astype(v.dtype) for k, v in params.items()}
        reference.step(g)
        fused.step(g)
    for name, dtype in (("single", "float32"), ("double", "float64")):
        assert fused.params[name].dtype == dtype
        assert_close(fused.params[name], reference.params[name], dtype)
