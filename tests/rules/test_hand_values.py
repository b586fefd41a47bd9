"""Every rule against values derived by hand from its box.

Under a constant gradient g_t = c (the loss f(θ) = c·θ) each box has a short closed form, written out below from
the paper's lines, independently of the rule modules. The μ_t come from the schedule formula itself, not from
nadam_ref. Both schedules, both ε placements, float64 and float32.
"""

import math

import numpy
import pytest

import nadam_ref
from nadam_ref import rules
from tests.conftest import to_numpy

MU, NU, EPS = 0.99, 0.999, 1e-8
C = 0.75  # the constant gradient
THETA0 = 2.0


def mu_at(t, schedule):
    return MU * (1 - 0.5 * 0.96 ** (t / 250)) if schedule == "paper" else MU


def prod(t, schedule):
    return math.prod(mu_at(i, schedule) for i in range(1, t + 1))


def root(x, placement):
    return math.sqrt(x + EPS) if placement == "inside" else math.sqrt(x) + EPS


def expected_path(rule, lr, steps, schedule, placement):
    """θ_1 .. θ_steps from the closed forms of each box under g_t = C."""
    s = schedule
    theta, path = THETA0, []
    m_sum = 0.0  # momentum's and NAG's m_t = μ_t m_{t-1} + c
    for t in range(1, steps + 1):
        m_sum = mu_at(t, s) * m_sum + C
        if rule == "gd":
            step = lr * C
        elif rule in ("momentum", "nag_lookahead"):
            step = lr * m_sum  # the look-ahead changes nothing when the gradient is constant
        elif rule == "nag":
            step = lr * (C + mu_at(t + 1, s) * m_sum)
        elif rule == "adagrad":
            step = lr * C / root(t * C**2, placement)  # n_t = t c²
        elif rule == "rmsprop":
            step = lr * C / root((1 - NU**t) * C**2, placement)  # n_t = (1 − ν^t) c²
        elif rule == "adam":
            step = lr * C / root(C**2, placement)  # m̂_t = c and n̂_t = c² exactly
        elif rule in ("adamax", "maxaprop"):
            step = lr * C / (abs(C) + EPS)  # m̂_t = c, n_t = |c|
        elif rule in ("nadam", "nadamax"):
            m_hat = (1 - MU**t) * C / (1 - prod(t + 1, s))  # m_t = (1 − μ^t) c with the constant μ
            m_bar = (1 - mu_at(t, s)) * C / (1 - prod(t, s)) + mu_at(t + 1, s) * m_hat
            denominator = root(C**2, placement) if rule == "nadam" else abs(C) + EPS
            step = lr * m_bar / denominator
        theta = theta - step
        path.append(theta)
    return path


def offered(rule, schedule, placement) -> bool:
    """Whether ``rule`` offers these values of the options it reads (the max rules have no "outside")."""
    spec = rules.spec(rule)
    given = rules.select_hparams(rule, {"schedule": schedule, "eps_placement": placement})
    return all(value in spec.options[name] for name, value in given.items())


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-13), ("float32", 2e-6)])
@pytest.mark.parametrize("rule,schedule,placement", [
    (rule, schedule, placement) for rule in nadam_ref.RULES for schedule in ("paper", "constant")
    for placement in ("inside", "outside") if offered(rule, schedule, placement)])
def test_first_steps_match_the_box_by_hand(xp, rule, schedule, placement, dtype, rtol):
    lr = 0.05
    theta0 = xp.full((3,), THETA0, dtype=dtype)
    given = rules.select_hparams(rule, {"schedule": schedule, "eps_placement": placement})
    path = nadam_ref.trajectory(rule, lambda th: xp.full_like(th, C), theta0, 4, lr=lr, **given)
    assert path.dtype == numpy.dtype(dtype)
    got = to_numpy(path)[1:, 0]
    numpy.testing.assert_allclose(got, expected_path(rule, lr, 4, schedule, placement), rtol=rtol, atol=0)


def test_rmsprop_with_bias_correction_by_hand(xp):
    theta0 = xp.full((2,), THETA0)
    path = nadam_ref.trajectory("rmsprop", lambda th: xp.full_like(th, C), theta0, 3, lr=0.1, bias_correction=True)
    # n̂_t = c² at every step, so each step is η c / √(c² + ε).
    numpy.testing.assert_allclose(to_numpy(path)[1:, 0], [THETA0 - k * 0.1 * C / math.sqrt(C**2 + EPS)
                                                         for k in (1, 2, 3)], rtol=1e-14)


def test_nadam_first_step_on_a_quadratic_by_hand():
    # f = 0.1 θ₁² + 2 θ₂² from θ₀ = (1, 1): g₁ = (0.2, 4). Written out line by line from Algorithm 8.
    mu1, mu2 = mu_at(1, "paper"), mu_at(2, "paper")
    lr, g = 2e-3, numpy.array([0.2, 4.0])
    g_hat = g / (1 - mu1)
    m_hat = (1 - MU) * g / (1 - mu1 * mu2)
    n_hat = (1 - NU) * g**2 / (1 - NU)
    m_bar = (1 - mu1) * g_hat + mu2 * m_hat
    expected = 1.0 - lr * m_bar / numpy.sqrt(n_hat + EPS)
    trace = nadam_ref.trajectory("nadam", lambda th: numpy.array([0.2, 4.0]) * th, numpy.ones(2), 1, lr=lr)
    numpy.testing.assert_allclose(trace[1], expected, rtol=1e-15)
    # The printed example of `nadam-ref trace`: θ₁ = 0.997986881 in both coordinates (scale invariance).
    numpy.testing.assert_allclose(trace[1], [0.997986881, 0.997986881], rtol=1e-9)


def test_paper_schedule_values():
    from nadam_ref import schedules

    mu_t = schedules.resolve("paper", 0.99)
    assert mu_t(1) == pytest.approx(0.99 * (1 - 0.5 * 0.96 ** (1 / 250)), rel=1e-15)
    assert mu_t(250) == pytest.approx(0.99 * (1 - 0.5 * 0.96), rel=1e-15)
    assert mu_t(10**6) == pytest.approx(0.99, rel=1e-12)
    assert schedules.products(mu_t, 3) == pytest.approx([mu_t(1), mu_t(1) * mu_t(2), mu_t(1) * mu_t(2) * mu_t(3)])
