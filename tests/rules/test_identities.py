"""The identities the paper implies, checked on trajectories."""

import numpy
import pytest

import nadam_ref
from nadam_ref import schedules
from nadam_ref.trajectory import trace_steps
from tests.conftest import to_numpy

CURVATURE = numpy.array([0.2, 4.0, 1.0])


def quadratic(xp):
    a = xp.asarray(CURVATURE)
    return lambda theta: a * theta


def start(xp):
    return xp.asarray([1.0, -1.5, 0.5])


@pytest.mark.parametrize("schedule", ["paper", "constant", lambda t: 0.9 - 0.4 / t])
def test_nag_lookahead_traces_the_same_path_as_nag(xp, schedule):
    """Algorithm 3's look-ahead points φ_t = θ_t − η μ_{t+1} m_t are Algorithm 7's iterates."""
    lr, steps = 0.05, 60
    nag = to_numpy(nadam_ref.trajectory("nag", quadratic(xp), start(xp), steps, lr=lr, schedule=schedule))
    traces = trace_steps("nag_lookahead", quadratic(xp), start(xp), steps, lr=lr, schedule=schedule)
    mu_at = schedules.resolve(schedule, 0.99)
    phi = [to_numpy(start(xp))] + [to_numpy(tr["theta"]) - lr * mu_at(tr["t"] + 1) * to_numpy(tr["m"])
                                   for tr in traces]
    numpy.testing.assert_allclose(numpy.stack(phi), nag, rtol=1e-12, atol=1e-14)
    # ... and the look-ahead θ itself is a different sequence, so the test above is not vacuous.
    lookahead = to_numpy(nadam_ref.trajectory("nag_lookahead", quadratic(xp), start(xp), steps, lr=lr,
                                              schedule=schedule))
    assert not numpy.allclose(lookahead, nag)


@pytest.mark.parametrize("schedule", ["paper", "constant"])
def test_momentum_with_mu_zero_is_gd(xp, schedule):
    kw = {"lr": 0.1}
    gd = nadam_ref.trajectory("gd", quadratic(xp), start(xp), 30, **kw)
    momentum = nadam_ref.trajectory("momentum", quadratic(xp), start(xp), 30, mu=0.0, schedule=schedule, **kw)
    numpy.testing.assert_array_equal(to_numpy(momentum), to_numpy(gd))


@pytest.mark.parametrize("placement", ["inside", "outside"])
def test_adam_with_mu_zero_is_bias_corrected_rmsprop(xp, placement):
    kw = {"lr": 0.01, "eps_placement": placement}
    adam = nadam_ref.trajectory("adam", quadratic(xp), start(xp), 40, mu=0.0, **kw)
    rmsprop = nadam_ref.trajectory("rmsprop", quadratic(xp), start(xp), 40, bias_correction=True, **kw)
    numpy.testing.assert_array_equal(to_numpy(adam), to_numpy(rmsprop))
    plain = nadam_ref.trajectory("rmsprop", quadratic(xp), start(xp), 40, **kw)
    assert not numpy.allclose(to_numpy(plain), to_numpy(adam))


# The boxes as printed, with a constant μ and powers μ^t (not running products), for the schedule test below.
def box_as_printed(rule, grad, theta, steps, lr, mu=0.99, nu=0.999, eps=1e-8):
    m = n = numpy.zeros_like(theta)
    path = [theta]
    for t in range(1, steps + 1):
        g = grad(theta)
        if rule == "momentum":  # Algorithm 2
            m = mu * m + g
            theta = theta - lr * m
        elif rule == "nag":  # Algorithm 7 with μ_t = μ_{t+1} = μ
            m = mu * m + g
            theta = theta - lr * (g + mu * m)
        elif rule == "adam":  # Algorithm 6
            m = mu * m + (1 - mu) * g
            n = nu * n + (1 - nu) * g**2
            theta = theta - lr * (m / (1 - mu**t)) / numpy.sqrt(n / (1 - nu**t) + eps)
        elif rule == "adamax":  # Section 2.3
            m = mu * m + (1 - mu) * g
            n = numpy.maximum(nu * n, numpy.abs(g))
            theta = theta - lr * (m / (1 - mu**t)) / (n + eps)
        elif rule in ("nadam", "nadamax"):  # Algorithm 8 with μ_i = μ: ∏_{i≤t} μ_i = μ^t
            m = mu * m + (1 - mu) * g
            m_bar = (1 - mu) * g / (1 - mu**t) + mu * m / (1 - mu ** (t + 1))
            if rule == "nadam":
                n = nu * n + (1 - nu) * g**2
                theta = theta - lr * m_bar / numpy.sqrt(n / (1 - nu**t) + eps)
            else:
                n = numpy.maximum(nu * n, numpy.abs(g))
                theta = theta - lr * m_bar / (n + eps)
        path.append(theta)
    return numpy.stack(path)


@pytest.mark.parametrize("rule", ["momentum", "nag", "adam", "adamax", "nadam", "nadamax"])
def test_constant_schedule_reduces_each_rule_to_its_box(rule):
    grad = quadratic(numpy)
    lr = 0.01
    ours = nadam_ref.trajectory(rule, grad, start(numpy), 50, lr=lr, schedule="constant")
    numpy.testing.assert_allclose(ours, box_as_printed(rule, grad, start(numpy), 50, lr), rtol=1e-11, atol=1e-13)
    # The paper schedule is a different rule, so the comparison can fail.
    warm = nadam_ref.trajectory(rule, grad, start(numpy), 50, lr=lr, schedule="paper")
    assert not numpy.allclose(warm, box_as_printed(rule, grad, start(numpy), 50, lr), rtol=1e-6)


def fixed_gradients(xp, steps, seed=3):
    """A gradient function that ignores θ and plays a fixed random sequence, so two rules see the same g_t."""
    host = numpy.random.default_rng(seed).standard_normal((steps, 4))
    it = iter(xp.asarray(host))
    return lambda theta: next(it)


@pytest.mark.parametrize("schedule", ["paper", "constant"])
def test_nadamax_is_to_adamax_as_nadam_is_to_adam(xp, schedule):
    """Same g_t: the Nesterov rules replace m̂ by m̄ and keep the denominator, so the update ratios agree."""
    steps, theta0 = 25, xp.zeros(4)
    updates = {}
    for rule in ("adam", "nadam", "adamax", "nadamax"):
        traces = trace_steps(rule, fixed_gradients(xp, steps), theta0, steps, lr=0.01, schedule=schedule, eps=0.0)
        updates[rule] = numpy.stack([to_numpy(tr["update"]) for tr in traces])
    numpy.testing.assert_allclose(updates["nadam"] / updates["adam"], updates["nadamax"] / updates["adamax"],
                                  rtol=1e-12)
    # The Nesterov numerators are shared outright.
    nadam = trace_steps("nadam", fixed_gradients(xp, steps), theta0, steps, schedule=schedule)
    nadamax = trace_steps("nadamax", fixed_gradients(xp, steps), theta0, steps, schedule=schedule)
    for a, b in zip(nadam, nadamax, strict=True):
        for key in ("g_hat", "m", "m_hat", "m_bar"):
            numpy.testing.assert_array_equal(to_numpy(a[key]), to_numpy(b[key]))


def test_nadam_differs_from_adam_only_in_the_momentum_term(xp):
    """Same g_t: nadam's n and n̂ are adam's; its m̄ is not adam's m̂."""
    steps, theta0 = 10, xp.zeros(4)
    adam = trace_steps("adam", fixed_gradients(xp, steps), theta0, steps)
    nadam = trace_steps("nadam", fixed_gradients(xp, steps), theta0, steps)
    for a, b in zip(adam, nadam, strict=True):
        numpy.testing.assert_array_equal(to_numpy(a["n_hat"]), to_numpy(b["n_hat"]))
        assert not numpy.allclose(to_numpy(a["m_hat"]), to_numpy(b["m_bar"]))
