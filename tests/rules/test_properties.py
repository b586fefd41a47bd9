"""Properties that hold for whole families of inputs (hypothesis)."""

import numpy
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nadam_ref
from nadam_ref import rules
from nadam_ref.trajectory import trace_steps

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

finite = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False, width=64)
vectors = hnp.arrays(numpy.float64, st.integers(1, 5), elements=finite)
curvatures = hnp.arrays(numpy.float64, 5, elements=st.floats(0.01, 10))


@pytest.mark.parametrize("rule", nadam_ref.RULES)
@SETTINGS
@given(theta0=vectors, a=curvatures, schedule=st.sampled_from(["paper", "constant"]))
def test_sign_symmetry(rule, theta0, a, schedule):
    """On an even loss f(θ) = f(−θ), starting at −θ₀ traces exactly −(the path from θ₀)."""
    a = a[: theta0.size]
    grad = lambda th: a * th  # noqa: E731
    hparams = rules.select_hparams(rule, {"lr": 0.01, "schedule": schedule})
    plus = nadam_ref.trajectory(rule, grad, theta0, 12, **hparams)
    minus = nadam_ref.trajectory(rule, grad, -theta0, 12, **hparams)
    numpy.testing.assert_array_equal(minus, -plus)


@pytest.mark.parametrize("rule,extra", [("adam", {}), ("nadam", {}), ("rmsprop", {}),
                                        ("rmsprop", {"bias_correction": True})])
@SETTINGS
@given(theta0=hnp.arrays(numpy.float64, 3, elements=st.floats(0.1, 5)), scale=st.floats(1e-3, 1e3))
def test_scale_invariance_with_eps_zero(rule, extra, theta0, scale):
    """With ε = 0, multiplying the loss by c > 0 leaves the path unchanged: m̂ / √n̂ does not see c."""
    a = numpy.array([0.3, 1.0, 3.0])
    base = nadam_ref.trajectory(rule, lambda th: a * th, theta0, 15, lr=0.05, eps=0.0, **extra)
    scaled = nadam_ref.trajectory(rule, lambda th: scale * a * th, theta0, 15, lr=0.05, eps=0.0, **extra)
    numpy.testing.assert_allclose(scaled, base, rtol=1e-9, atol=1e-12)


def test_scale_invariance_needs_eps_zero():
    """The property above is not vacuous: with the paper's ε it breaks for tiny gradients."""
    a, theta0 = numpy.array([1e-6, 1.0]), numpy.array([1.0, 1.0])
    base = nadam_ref.trajectory("adam", lambda th: a * th, theta0, 5, lr=0.1)
    scaled = nadam_ref.trajectory("adam", lambda th: 1e-3 * a * th, theta0, 5, lr=0.1)
    assert not numpy.allclose(scaled, base, rtol=1e-6)


@pytest.mark.parametrize("rule", [r for r in nadam_ref.RULES if r != "nag_lookahead"])
@SETTINGS
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), dtype=st.sampled_from(["float32", "float64"]),
       seed=st.integers(0, 2**16))
def test_state_and_shapes_are_preserved(rule, shape, dtype, seed):
    module = rules.get(rule)
    rng = numpy.random.default_rng(seed)
    theta = rng.standard_normal(shape).astype(dtype)
    state = first_state = rules.init_state(module, theta)
    theta_before, first_theta = theta.copy(), theta
    hp = rules.make_hparams(module)
    for _ in range(3):
        g = rng.standard_normal(shape).astype(dtype)
        new_theta, new_state, trace = module.step(theta, g, state, hp)
        assert new_theta.shape == theta.shape and new_theta.dtype == theta.dtype
        assert set(new_state) == set(state)
        for name in module.STATE:
            assert new_state[name].shape == theta.shape and new_state[name].dtype == theta.dtype
        assert new_state["t"] == state["t"] + 1
        for key, value in trace.items():
            if hasattr(value, "dtype"):
                assert value.dtype == theta.dtype, key
        theta, state = new_theta, new_state
    # step never writes into its inputs: the first θ and the zero state are as they were
    numpy.testing.assert_array_equal(first_theta, theta_before)
    assert first_state["t"] == 0 and first_state["mu_prod"] == 1.0
    for name in module.STATE:
        assert not first_state[name].any()


@pytest.mark.parametrize("rule", nadam_ref.RULES)
def test_trace_keys_cover_the_box(rule):
    module = rules.get(rule)
    grad = lambda th: 2 * th  # noqa: E731
    (trace,) = trace_steps(rule, grad, numpy.ones(2), 1)
    for symbol, _ in module.BOX:
        if symbol == "n_hat" and rule == "rmsprop":
            continue
        assert symbol in trace, (rule, symbol)
    assert "update" in trace
