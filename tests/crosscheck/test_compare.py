"""``compare`` names the step and the box line where a user's step function parts from the reference."""

import numpy
import pytest

from nadam_ref import schedules
from nadam_ref.crosscheck import compare
from nadam_ref.rules import UnknownRuleError

MU, NU, EPS, LR = 0.99, 0.999, 1e-8, 2e-3


def student_nadam(bug=None):
    """A Nadam step as a student might write it, with one optional deliberate mistake."""

    def step(theta, g, state):
        t = state.get("t", 0) + 1
        mu_t, mu_next = schedules.warming(t, MU), schedules.warming(t + 1, MU)
        prod = state.get("prod", 1.0) * mu_t
        g_hat = g / (1 - (mu_t**t if bug == "power" else prod))
        m = MU * state.get("m", 0.0) + (1 - MU) * g
        m_hat = m / (1 - prod * mu_next)
        n = NU * state.get("n", 0.0) + (1 - NU) * g * g
        n_hat = n / (1 - NU**t)
        m_bar = (1 - mu_t) * g_hat + (mu_t if bug == "mu_t" else mu_next) * m_hat
        denominator = numpy.sqrt(n_hat) + EPS if bug == "eps_outside" else numpy.sqrt(n_hat + EPS)
        theta = theta - LR * m_bar / denominator
        mine = {"g_hat": g_hat, "m": m, "m_hat": m_hat, "n": n, "n_hat": n_hat, "m_bar": m_bar}
        return theta, {"t": t, "prod": prod, "m": m, "n": n}, mine

    return step


def test_a_correct_step_function_agrees():
    verdict = compare(student_nadam(), "nadam", steps=30)
    assert verdict and verdict.agree and verdict.rel < 1e-14
    assert verdict.checked == ("g", "g_hat", "m", "m_hat", "n", "n_hat", "m_bar", "theta")
    assert "agrees with the reference for 30 steps" in str(verdict)


def test_eps_outside_the_root_is_caught_at_step_1_on_the_theta_line():
    verdict = compare(student_nadam("eps_outside"), "nadam")
    assert not verdict
    assert (verdict.step, verdict.symbol) == (1, "theta")
    assert "√(n̂_t + ε)" in verdict.line and "step 1" in str(verdict)


def test_mu_t_in_place_of_mu_next_is_caught_on_the_m_bar_line():
    verdict = compare(student_nadam("mu_t"), "nadam")
    assert (verdict.step, verdict.symbol) == (1, "m_bar")
    assert verdict.line == "m̄_t ← (1 − μ_t) ĝ_t + μ_{t+1} m̂_t"


def test_a_mistake_that_only_shows_later_is_caught_at_its_step():
    # μ_t^t equals ∏μ_i at t = 1 only: the bias correction of ĝ goes wrong from step 2.
    verdict = compare(student_nadam("power"), "nadam")
    assert (verdict.step, verdict.symbol) == (2, "g_hat")
    numpy.testing.assert_allclose(verdict.got, verdict.expected, rtol=1e-3)  # close, yet wrong


def test_without_intermediates_only_theta_is_checked():
    def plain(theta, g, state):
        new, state, _ = student_nadam("mu_t")(theta, g, state)
        return new, state

    verdict = compare(plain, "nadam")
    assert (verdict.step, verdict.symbol) == (1, "theta")


def test_the_same_bug_is_invisible_under_a_constant_schedule():
    # μ_t = μ_{t+1} there, so swapping them changes nothing: compare must not invent a difference.
    def constant_student(theta, g, state):
        t = state.get("t", 0) + 1
        prod = MU**t
        m = MU * state.get("m", 0.0) + (1 - MU) * g
        n = NU * state.get("n", 0.0) + (1 - NU) * g * g
        m_bar = (1 - MU) * g / (1 - prod) + MU * m / (1 - prod * MU)
        theta = theta - LR * m_bar / numpy.sqrt(n / (1 - NU**t) + EPS)
        return theta, {"t": t, "m": m, "n": n}, {"m_bar": m_bar}

    assert compare(constant_student, "nadam", schedule="constant", rtol=1e-11)


def test_a_user_function_on_its_own_problem_and_hparams():
    def momentum_step(theta, g, state):
        m = 0.9 * state.get("m", 0.0) + g
        return theta - 0.05 * m, {"m": m}, {"m": m}

    def grad(theta):
        return numpy.array([2.0, 8.0]) * theta

    theta0 = numpy.array([1.0, 1.0])
    assert compare(momentum_step, "momentum", grad, theta0, steps=15, lr=0.05, mu=0.9, schedule="constant")
    verdict = compare(momentum_step, "momentum", grad, theta0, lr=0.05, mu=0.9)  # the paper's schedule
    assert (verdict.step, verdict.symbol) == (2, "m")  # m_1 = g under any μ_1; μ_2 ≠ 0.9 shows at step 2


def test_nag_lookahead_step_functions_get_the_gradient_function():
    def lookahead(theta, grad_fn, state):
        m = state.get("m", 0.0)
        g = grad_fn(theta - 0.01 * 0.9 * m)
        m = 0.9 * m + g
        return theta - 0.01 * m, {"m": m}, {"g": g, "m": m}

    assert compare(lookahead, "nag_lookahead", steps=10, lr=0.01, mu=0.9, schedule="constant")


def test_bad_input_is_refused_clearly():
    with pytest.raises(UnknownRuleError, match="unknown rule 'nesterov'"):
        compare(student_nadam(), "nesterov")
    with pytest.raises(TypeError, match=r"expected \(theta, state\) or \(theta, state, intermediates\)"):
        compare(lambda theta, g, state: theta, "gd")
    with pytest.raises(TypeError, match="intermediates at step 1 are a list"):
        compare(lambda theta, g, state: (theta, state, []), "gd")
    with pytest.raises(ValueError, match="expected an array of shape"):
        compare(lambda theta, g, state: (theta, state), "gd", grad_fn=lambda th: th[:1], theta0=numpy.ones(2))


def test_a_wrong_shape_from_the_user_is_a_difference_not_a_crash():
    verdict = compare(lambda theta, g, state: (theta[:2], state), "gd")
    assert (verdict.step, verdict.symbol, verdict.rel) == (1, "theta", numpy.inf)


def test_zero_steps_compare_nothing_and_are_no_pass():
    verdict = compare(lambda theta, g, state: (theta, state), "gd", steps=0)
    assert not verdict and not verdict.compared
    assert str(verdict) == "gd: nothing compared (0 steps): not a pass"
