"""The named options that express other libraries: each reduces to its formula, and the defaults stay the box."""

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadam_ref import rules, schedules
from nadam_ref.trajectory import trace_steps, trajectory

THETA0 = numpy.array([1.0, -0.5, 1e-3])


def grad(theta):
    return numpy.array([1e-4, 1.0, 10.0]) * theta


gradients = st.lists(st.floats(-10, 10, allow_nan=False).filter(lambda v: abs(v) > 1e-6), min_size=3, max_size=3)


@settings(max_examples=30, deadline=None)
@given(g=gradients, t_steps=st.integers(1, 4), eps=st.sampled_from([1e-8, 1e-3, 0.5]))
def test_adam_eps_hat_is_the_efficient_form_of_kingma_and_ba(g, t_steps, eps):
    g = numpy.array(g)
    mu, nu, lr = 0.9, 0.999, 1e-3
    steps = trace_steps("adam", lambda th: g, THETA0, t_steps, lr=lr, mu=mu, nu=nu, eps=eps, schedule="constant",
                        eps_placement="hat")
    last, t = steps[-1], t_steps
    alpha = lr * numpy.sqrt(1 - nu**t) / (1 - mu**t)
    numpy.testing.assert_allclose(last["update"], alpha * last["m"] / (numpy.sqrt(last["n"]) + eps), rtol=1e-12)


def test_adamax_eps_inside_the_max():
    steps = trace_steps("adamax", grad, THETA0, 3, eps=1e-2, eps_placement="max")
    n = numpy.zeros(3)
    for s in steps:
        n = numpy.maximum(0.999 * n, numpy.abs(s["g"]) + 1e-2)
        numpy.testing.assert_array_equal(s["n"], n)
        numpy.testing.assert_allclose(s["update"], 2e-3 * s["m_hat"] / n, rtol=1e-15)
    plain = trace_steps("adamax", grad, THETA0, 1, eps=1e-2)[0]
    numpy.testing.assert_allclose(plain["update"], 2e-3 * plain["m_hat"] / (numpy.abs(plain["g"]) + 1e-2))


def test_max_rules_have_no_root_so_outside_is_refused_not_a_second_name_for_inside():
    for rule in ("adamax", "nadamax"):
        with pytest.raises(ValueError, match=rf"eps_placement='outside' is not an option of rule '{rule}'; "
                                             r"expected one of \('inside', 'max'\)"):
            trajectory(rule, grad, THETA0, 5, eps_placement="outside")


def test_nadamax_eps_inside_the_max_changes_only_the_denominator():
    a = trace_steps("nadamax", grad, THETA0, 2, eps_placement="max")
    b = trace_steps("nadamax", grad, THETA0, 2)
    numpy.testing.assert_array_equal(a[0]["m_bar"], b[0]["m_bar"])
    numpy.testing.assert_allclose(a[0]["n"], b[0]["n"] + 1e-8)


def test_adagrad_n0_starts_the_accumulator():
    steps = trace_steps("adagrad", grad, THETA0, 2, n0=0.1)
    numpy.testing.assert_allclose(steps[0]["n"], 0.1 + steps[0]["g"] ** 2)
    numpy.testing.assert_allclose(steps[1]["n"], steps[0]["n"] + steps[1]["g"] ** 2)


@pytest.mark.parametrize(("rule", "numerator"), [("adam", "m_hat"), ("nadam", "m_bar")])
def test_eps_root_sits_under_the_root(rule, numerator):
    step = trace_steps(rule, grad, THETA0, 1, lr=1e-3, eps=1e-8, eps_root=1e-6, eps_placement="outside")[0]
    expected = 1e-3 * step[numerator] / (numpy.sqrt(step["n_hat"] + 1e-6) + 1e-8)
    numpy.testing.assert_allclose(step["update"], expected, rtol=1e-14)


@pytest.mark.parametrize("rule", list(rules.RULES))
def test_the_new_options_at_their_defaults_leave_every_rule_bit_identical(rule):
    plain = trajectory(rule, grad, THETA0, 12)
    explicit = trajectory(rule, grad, THETA0, 12, **rules.select_hparams(rule, {"eps_root": 0.0, "n0": 0.0}))
    numpy.testing.assert_array_equal(plain, explicit)


def test_the_keras_schedule_is_warming_with_timescale_one():
    mu_at = schedules.resolve("keras", 0.9)
    for t in (1, 2, 10):
        assert mu_at(t) == 0.9 * (1 - 0.5 * 0.96**t)


@pytest.mark.parametrize(("rule", "placement"), [("adam", "max"), ("nadam", "hat"), ("adamax", "hat"),
                                                 ("rmsprop", "hat"), ("adagrad", "max")])
def test_a_placement_the_rule_does_not_have_is_refused_naming_the_allowed(rule, placement):
    with pytest.raises(ValueError, match=rf"eps_placement=.{placement}. is not an option of rule .{rule}.; "
                                         r"expected one of \("):
        trajectory(rule, grad, THETA0, 1, eps_placement=placement)


@pytest.mark.parametrize(("name", "value"), [("eps_root", -1e-8), ("n0", -0.1), ("n0", float("nan"))])
def test_new_hparams_are_validated(name, value):
    rule = "adagrad" if name == "n0" else "adam"
    with pytest.raises(ValueError, match=rf"{name}="):
        trajectory(rule, grad, THETA0, 1, **{name: value})
    with pytest.raises(TypeError, match=rf"{name}="):
        trajectory(rule, grad, THETA0, 1, **{name: "small"})
