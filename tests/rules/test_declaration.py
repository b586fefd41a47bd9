"""Each rule's one declaration (``SPEC``), strict hyper-parameters, and the ``m_decay`` option derived by hand."""

import math
from decimal import Decimal
from fractions import Fraction

import numpy
import pytest

import nadam_ref
from nadam_ref import rules
from nadam_ref.rules._common import HPARAM_NAMES, MomentumSchedule, momentum_schedule
from nadam_ref.trajectory import trace_steps

MU, NU = 0.99, 0.999


def mu_at(t):
    return MU * (1 - 0.5 * 0.96 ** (t / 250))


def replay(gradients):
    """A gradient function that hands out ``gradients`` one per call, whatever θ is."""
    stream = iter(gradients)
    return lambda theta: numpy.full_like(theta, next(stream))


# -- the declaration -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", nadam_ref.RULES)
def test_every_rule_declares_itself_once(rule):
    spec = rules.spec(rule)
    assert spec.name == rule and spec is rules.get(rule).SPEC
    assert spec.hparams[0] == "lr" and set(spec.hparams) <= set(HPARAM_NAMES)
    assert spec.needs_grad_fn == (rule == "nag_lookahead")
    for library in spec.library_variants:  # each library's mapping is a valid setting of this rule
        rules.make_hparams(rules.get(rule), **library.hparams)


@pytest.mark.parametrize("rule", nadam_ref.RULES)
def test_variants_cover_every_option_value_and_numeric_variant(rule):
    spec, found = rules.spec(rule), rules.variants(rule)
    for name, values in spec.options.items():
        assert {v[name] for v in found} == set(values)
    for name, value in spec.numeric_variants.items():
        assert any(v.get(name) == value for v in found)
    assert found[0] == spec.defaults()  # the first is the box as printed
    assert len({tuple(sorted(v.items())) for v in found}) == len(found)
    for variant in found:
        rules.make_hparams(rules.get(rule), **variant)


def test_the_defaults_are_the_boxes_as_printed():
    assert rules.spec("adam").defaults()["m_decay"] == rules.spec("adamax").defaults()["m_decay"] == "scheduled"
    assert rules.spec("nadam").defaults()["m_decay"] == rules.spec("nadamax").defaults()["m_decay"] == "constant"
    assert all(rules.spec(r).defaults().get("eps_placement", "inside") == "inside" for r in nadam_ref.RULES)
    assert all(rules.spec(r).defaults().get("schedule", "paper") == "paper" for r in nadam_ref.RULES)


def test_a_declaration_that_names_what_the_rule_does_not_read_is_refused():
    with pytest.raises(ValueError, match=r"declares \['n0'\]"):
        rules.RuleSpec("x", hparams=("lr",), numeric_variants={"n0": 0.1})
    with pytest.raises(ValueError, match="maps to eps_placement='max'"):
        rules.RuleSpec("x", hparams=("lr", "eps_placement"), options={"eps_placement": ("inside",)},
                       library_variants=(rules.LibraryVariant("lib", {"eps_placement": "max"}),))


def test_momentum_schedule_is_a_named_tuple():
    hp = rules.make_hparams(rules.get("nadam"))
    s = momentum_schedule({"t": 0, "mu_prod": 1.0}, hp)
    assert isinstance(s, MomentumSchedule) and s._fields == ("t", "mu_t", "mu_next", "mu_prod", "mu_prod_next")
    assert s.t == 1 and s.mu_t == mu_at(1) and s.mu_next == mu_at(2)
    assert s.mu_prod == mu_at(1) and s.mu_prod_next == mu_at(1) * mu_at(2)


# -- strict hyper-parameters ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rule", "given", "unread"), [("rmsprop", {"schedule": "keras"}, "schedule"),
                                                       ("gd", {"mu": 0.9}, "mu"), ("adam", {"n0": 0.1}, "n0")])
def test_a_hyperparameter_the_rule_does_not_read_is_an_error_everywhere(rule, given, unread):
    reads = ", ".join(rules.spec(rule).hparams)
    message = rf"rule '{rule}' does not read {unread}; it reads {reads}"
    with pytest.raises(TypeError, match=message):
        nadam_ref.Optimizer(rule, {"w": numpy.zeros(2)}, **given)
    with pytest.raises(TypeError, match=message):
        nadam_ref.trajectory(rule, lambda th: th, numpy.zeros(2), 1, **given)


def test_select_hparams_keeps_only_what_the_rule_reads():
    common = {"mu": 0.9, "nu": 0.99, "eps": 1e-7, "bias_correction": True}
    assert rules.select_hparams("gd", common) == {}
    assert rules.select_hparams("rmsprop", common) == {"nu": 0.99, "eps": 1e-7, "bias_correction": True}
    assert rules.select_hparams("adam", common) == {"mu": 0.9, "nu": 0.99, "eps": 1e-7}


def test_numpy_scalars_are_normalised_to_python_values():
    hp = rules.make_hparams(rules.get("rmsprop"), lr=numpy.float32(1e-3), nu=numpy.float64(0.9), eps=numpy.int64(0),
                            eps_placement=numpy.str_("outside"), bias_correction=numpy.bool_(True))
    assert type(hp.lr) is float and hp.lr == float(numpy.float32(1e-3))
    assert type(hp.nu) is float and type(hp.eps) is float and hp.eps == 0.0
    assert type(hp.eps_placement) is str and type(hp.bias_correction) is bool


@pytest.mark.parametrize("value", ["0.001", Decimal("0.001"), Fraction(1, 1000), True, 1e-3 + 0j])
def test_strings_decimals_fractions_bools_and_complex_are_refused_clearly(value):
    with pytest.raises(TypeError, match=r"lr=.*; expected a finite number > 0, given as an int, a float or a NumPy"):
        nadam_ref.Optimizer("adam", {"w": numpy.zeros(2)}, lr=value)


@pytest.mark.parametrize("value", [1, 0, "yes", None.__class__])
def test_bias_correction_takes_only_a_boolean(value):
    with pytest.raises((TypeError, ValueError), match="bias_correction="):
        rules.make_hparams(rules.get("rmsprop"), bias_correction=value)


# -- m_decay, by hand ----------------------------------------------------------------------------------------------

G = (1.0, 3.0, -2.0)


@pytest.mark.parametrize("rule", ["adam", "adamax"])
def test_m_decay_constant_is_kingma_and_ba_m_by_hand(rule):
    steps = trace_steps(rule, replay(G), numpy.zeros(1), 3, m_decay="constant")
    m = 0.0
    for t, (g, step) in enumerate(zip(G, steps, strict=True), start=1):
        m = MU * m + (1 - MU) * g
        assert step["m"][0] == pytest.approx(m, rel=1e-15)
        assert step["m_hat"][0] == pytest.approx(m / (1 - MU**t), rel=1e-15)
        assert step["mu_t"] == mu_at(t)  # the schedule itself is untouched


@pytest.mark.parametrize("rule", ["adam", "adamax"])
def test_m_decay_scheduled_is_the_box_by_hand(rule):
    steps = trace_steps(rule, replay(G), numpy.zeros(1), 3)
    m, prod = 0.0, 1.0
    for t, (g, step) in enumerate(zip(G, steps, strict=True), start=1):
        m, prod = mu_at(t) * m + (1 - mu_at(t)) * g, prod * mu_at(t)
        assert step["m"][0] == pytest.approx(m, rel=1e-15)
        assert step["m_hat"][0] == pytest.approx(m / (1 - prod), rel=1e-15)


@pytest.mark.parametrize("rule", ["nadam", "nadamax"])
def test_nadam_m_decay_scheduled_by_hand(rule):
    steps = trace_steps(rule, replay(G), numpy.zeros(1), 3, m_decay="scheduled")
    m, prod = 0.0, 1.0
    for t, (g, step) in enumerate(zip(G, steps, strict=True), start=1):
        m, prod = mu_at(t) * m + (1 - mu_at(t)) * g, prod * mu_at(t)
        m_hat = m / (1 - prod * mu_at(t + 1))
        m_bar = (1 - mu_at(t)) * g / (1 - prod) + mu_at(t + 1) * m_hat
        assert step["m"][0] == pytest.approx(m, rel=1e-15)
        assert step["m_bar"][0] == pytest.approx(m_bar, rel=1e-14)


@pytest.mark.parametrize("rule", ["adam", "adamax"])
@pytest.mark.parametrize("m_decay", ["scheduled", "constant"])
def test_each_decay_has_its_consistent_bias_correction(rule, m_decay):
    """Under a constant gradient c, m̂_t = c at every step: the correction matches the decay."""
    steps = trace_steps(rule, lambda th: numpy.full_like(th, 0.75), numpy.zeros(1), 40, m_decay=m_decay)
    assert all(math.isclose(s["m_hat"][0], 0.75, rel_tol=1e-12) for s in steps)


def test_the_literal_nadam_box_is_biased_early_and_scheduled_is_not():
    """m̂_t (1 − ∏_{i≤t+1} μ_i)/(1 − ∏_{i≤t} μ_i) = c exactly when m decays with μ_t; the box's constant μ is ≈ 0.01 c
    at t = 1 (DESIGN.md)."""
    c = 0.75
    literal = trace_steps("nadam", lambda th: numpy.full_like(th, c), numpy.zeros(1), 1)[0]
    scheduled = trace_steps("nadam", lambda th: numpy.full_like(th, c), numpy.zeros(1), 1, m_decay="scheduled")[0]
    assert literal["m"][0] / c == pytest.approx(1 - MU)  # (1 − μ) c
    assert scheduled["m"][0] / c == pytest.approx(1 - mu_at(1))  # (1 − ∏_{i≤1} μ_i) c


@pytest.mark.parametrize("rule", ["adam", "adamax", "nadam", "nadamax"])
def test_under_a_constant_schedule_both_decays_are_the_same_numbers(rule):
    grad = lambda th: numpy.array([0.3, -2.0]) * th + 0.1  # noqa: E731
    a = nadam_ref.trajectory(rule, grad, numpy.ones(2), 20, schedule="constant", m_decay="constant")
    b = nadam_ref.trajectory(rule, grad, numpy.ones(2), 20, schedule="constant", m_decay="scheduled")
    numpy.testing.assert_allclose(a, b, rtol=1e-15, atol=0)
