"""A function that works in place gets the same answer as one that does not, at every entry point that hands our
arrays to code we do not own: ``compare`` and ``identify`` (a step function), ``trajectory`` (a gradient
function) and the cross-check harness (a library that keeps the θ₀ it is given as its parameter).

The step functions here are the reference rules themselves, written to work the way torch's do: the new θ is
written into the array they were given, and the gradient is used as scratch space afterwards."""

import numpy as np
import pytest

from nadam_ref import rules
from nadam_ref.crosscheck import compare, harness, problems
from nadam_ref.crosscheck._adapter import Case, drive
from nadam_ref.crosscheck.identify import SEARCHED_RULES, identify
from nadam_ref.trajectory import trajectory

PAPER = {"mu": 0.99, "nu": 0.999, "eps": 1e-8}


def in_place(rule, **hp):
    """``rule`` as a step function that overwrites the θ and the g it is given."""
    module = rules.get(rule)
    hparams = rules.make_hparams(module, **hp)

    def step(theta, g, state):
        state = state or rules.init_state(module, theta)
        new_theta, state, _ = module.step(theta, g, state, hparams)
        theta[...] = new_theta
        if not callable(g):  # nag_lookahead is given the gradient function
            g[...] = np.nan
        return theta, state

    return step


def _hparams(rule):
    return dict(rules.select_hparams(rule, PAPER), lr=rules.get(rule).DEFAULT_LR)


@pytest.mark.parametrize("rule", rules.RULES)
def test_compare_agrees_with_an_in_place_step_function_of_every_rule(rule):
    verdict = compare(in_place(rule, **_hparams(rule)), rule, **_hparams(rule))
    assert verdict, str(verdict)


@pytest.mark.parametrize("rule", SEARCHED_RULES)
def test_identify_names_an_in_place_step_function_of_every_rule(rule):
    result = identify(in_place(rule, **_hparams(rule)), kind="step", hparams=_hparams(rule), rule_names=[rule])
    spellings = [s.label() for m in result.matches for s in (m, *m.same)]
    assert f"{rule}()" in spellings, str(result)


def test_identify_names_the_in_place_gd_of_the_issue():
    def gd(theta, g, state):
        theta -= 0.01 * g
        return theta, state

    result = identify(gd, kind="step", hparams={"lr": 0.01}, rule_names=["gd"])
    assert [m.label() for m in result.matches] == ["gd()"], str(result)


def _grad_that_scribbles(grad_fn):
    def grad(theta):
        g = grad_fn(theta)
        theta[...] = 1e6  # a gradient function that reuses its argument as scratch space
        return g
    return grad


@pytest.mark.parametrize("rule", rules.RULES)
def test_trajectory_is_unchanged_by_a_gradient_function_that_writes_into_its_argument(rule):
    problem = problems.get("rosenbrock")
    theta0, hp = problem.start(np, "float64"), dict(_hparams(rule), lr=problem.lr(rules.get(rule)))
    clean = trajectory(rule, problem.grad, theta0, 10, **hp)
    scribbled = trajectory(rule, _grad_that_scribbles(problem.grad), theta0, 10, **hp)
    assert np.isfinite(clean).all() and np.array_equal(clean, scribbled)
    assert np.array_equal(theta0, problem.start(np, "float64"))


def _in_place_library(grad_fn, theta0, steps, hp, dtype):
    """A library that keeps the array it is given as its parameter and steps it in place (θ -= η g)."""
    def step(param, g):
        param -= hp["lr"] * g
        g[...] = np.nan
        return param
    return drive(lambda theta: theta, step, grad_fn, theta0, steps)


IN_PLACE_SGD = Case("in-place", "SGD(lr=η)", "gd", {}, "θ ← θ − η g, in place", _in_place_library)


def test_the_harness_and_identify_judge_an_in_place_library_fairly():
    row = harness.run_case(IN_PLACE_SGD, "float64", 20, list(problems.PROBLEMS))
    assert row.status == "agree" and row.max_rel == 0.0, row
    result = identify(IN_PLACE_SGD)
    assert [m.label() for m in result.matches] == ["gd()"], str(result)
