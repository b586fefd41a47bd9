"""``compare`` judges a correct function fairly: copies, one gradient call a step, torch-style results, NaN
agreement, a checked ``rtol``, a signature error that shows the expected signature, 0-d parameters."""

import numpy
import pytest

from nadam_ref.crosscheck import compare

LR, MU = 0.01, 0.9


def momentum_in_place(theta, g, state):
    """Constant-μ momentum written torch-style: it scales g and θ in place."""
    m = state.get("m", numpy.zeros_like(theta))
    m *= MU
    m += g
    g *= 0.0  # a function may reuse its gradient buffer
    theta -= LR * m
    return theta, {"m": m}, {"m": m}


def test_a_function_that_writes_into_theta_and_g_in_place_agrees():
    theta0 = numpy.array([1.0, -2.0])
    kept = theta0.copy()
    verdict = compare(momentum_in_place, "momentum", lambda th: 2 * th, theta0, steps=10, lr=LR, mu=MU,
                      schedule="constant")
    assert verdict, str(verdict)
    numpy.testing.assert_array_equal(theta0, kept)  # the caller's θ₀ is untouched


def test_the_gradient_function_is_called_once_a_step_so_recorded_gradients_replay():
    recorded = iter([numpy.array([1.0, -1.0]) * k for k in range(1, 6)])
    calls = []

    def replay(theta):
        calls.append(1)
        return next(recorded)

    def momentum(theta, g, state):
        m = MU * state.get("m", 0.0) + g
        return theta - LR * m, {"m": m}

    verdict = compare(momentum, "momentum", replay, numpy.zeros(2), steps=5, lr=LR, mu=MU, schedule="constant")
    assert verdict, str(verdict)
    assert len(calls) == 5


class TensorLike:
    """What torch and JAX return: not a NumPy array, but convertible through ``__array__``."""

    def __init__(self, values):
        self.values = numpy.array(values)

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)

    def __sub__(self, other):
        return TensorLike(self.values - numpy.asarray(other))


def test_array_like_results_are_converted_at_every_step():
    def gd(theta, g, state):
        theta = theta if isinstance(theta, TensorLike) else TensorLike(theta)
        return theta - LR * g, state

    assert compare(gd, "gd", lambda th: 2 * th, numpy.array([1.0, 2.0]), steps=5, lr=LR)


def test_a_result_that_is_no_array_is_a_clear_error():
    with pytest.raises(TypeError, match="step_fn's 'theta' at step 1 is a str; expected an array of numbers"):
        compare(lambda theta, g, state: ("theta", state), "gd", lr=LR)


@pytest.mark.parametrize("rtol", [float("nan"), -1e-3, "1e-3", True])
def test_rtol_is_checked(rtol):
    with pytest.raises(ValueError, match="rtol="):
        compare(lambda theta, g, state: (theta, state), "gd", rtol=rtol)


def test_nan_at_the_same_places_on_both_sides_agrees():
    def gd(theta, g, state):
        return theta - LR * g, state

    nan_grad = lambda th: numpy.where(numpy.arange(th.size) == 0, numpy.nan, 2 * th)  # noqa: E731
    assert compare(gd, "gd", nan_grad, numpy.array([1.0, 2.0]), steps=3, lr=LR)

    def nan_elsewhere(theta, g, state):
        new = theta - LR * g
        return numpy.where(numpy.arange(theta.size) == 1, numpy.nan, new), state

    verdict = compare(nan_elsewhere, "gd", nan_grad, numpy.array([1.0, 2.0]), steps=3, lr=LR)
    assert not verdict and verdict.step == 1


def test_a_wrong_signature_shows_the_expected_one():
    with pytest.raises(TypeError, match=r"step_fn two\(theta, g\) does not take \(theta, g, state\); expected "
                                        r"step_fn\(theta, g, state\) -> \(theta, state\)"):
        def two(theta, g):
            return theta, {}

        compare(two, "gd")


def test_a_0d_parameter_with_a_scalar_gradient():
    def gd(theta, g, state):
        return theta - LR * g, state

    assert compare(gd, "gd", lambda th: 2 * th, numpy.array(1.0), steps=4, lr=LR)


def test_a_hyperparameter_the_rule_does_not_read_is_refused():
    with pytest.raises(TypeError, match="rule 'gd' does not read mu"):
        compare(lambda theta, g, state: (theta, state), "gd", mu=0.9)
