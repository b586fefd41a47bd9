"""The notebook helpers: each number checked against the rules or a closed form, each figure drawn."""

from __future__ import annotations

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nadam_ref import rules, trajectory
from nadam_ref.surfaces import get_surface, plots
from nadam_ref.surfaces import notebook_helpers as nh
from nadam_ref.surfaces.race import RACE_HPARAMS, run_rule

QUADRATIC = get_surface("quadratic")


def test_update_field_of_gd_is_minus_lr_times_the_gradient():
    x, y, u, v = nh.update_field(QUADRATIC, "gd", 0.1, resolution=7)
    grad = QUADRATIC.grad(numpy.stack([x, y]))
    assert numpy.allclose(u, -0.1 * grad[0]) and numpy.allclose(v, -0.1 * grad[1])


def test_update_field_agrees_with_single_point_trajectories():
    surface = get_surface("rosenbrock")
    x, y, u, v = nh.update_field(surface, "nadam", 0.02, resolution=5, steps=3)
    for i, j in [(0, 0), (2, 3), (4, 1)]:
        path = trajectory("nadam", surface.grad, numpy.array([x[i, j], y[i, j]]), 3, lr=0.02,
                          **rules.select_hparams("nadam", RACE_HPARAMS))
        assert numpy.allclose([u[i, j], v[i, j]], (path[-1] - path[0]) / 3, rtol=1e-12, atol=1e-15)


def test_first_adaptive_step_is_about_lr_per_coordinate():
    _, _, u, v = nh.update_field(QUADRATIC, "adam", 0.05, resolution=6)  # the grid avoids g = 0
    assert numpy.allclose(numpy.abs(u), 0.05, rtol=1e-4) and numpy.allclose(numpy.abs(v), 0.05, rtol=1e-4)


def test_bias_correction_factors_line_up():
    f = nh.bias_correction_factors(steps=500)
    assert numpy.allclose(f["m_hat (nadam)"][:-1], f["m_hat (adam)"][1:])  # ∏ to t+1 is adam's at t+1
    assert numpy.allclose(f["m_hat (constant mu)"], 1 / (1 - 0.99 ** f["t"]))
    assert f["sqrt n_hat"][0] == pytest.approx(1 / numpy.sqrt(0.001))
    assert (numpy.diff(f["m_hat (adam)"]) <= 0).all()


def test_effective_step_sizes_are_lr_over_the_rules_denominator():
    steps, lr = 40, 0.05
    sizes = nh.effective_step_sizes(get_surface("rosenbrock"), "adam", lr, steps)
    assert sizes.shape == (steps, 2)
    from nadam_ref.trajectory import trace_steps

    traces = trace_steps("adam", get_surface("rosenbrock").grad, numpy.array(get_surface("rosenbrock").start), steps,
                         lr=lr, **rules.select_hparams("adam", RACE_HPARAMS))
    expected = numpy.stack([lr / numpy.sqrt(t["n_hat"] + RACE_HPARAMS["eps"]) for t in traces])
    assert numpy.allclose(sizes, expected, rtol=1e-9)
    with pytest.raises(ValueError, match="not adaptive"):
        nh.effective_step_sizes(QUADRATIC, "momentum", lr, steps)


def test_adaptive_rules_are_those_with_a_second_moment():
    assert set(nh.adaptive_rules()) == {"rmsprop", "adam", "nadam", "maxaprop", "adamax", "nadamax", "adagrad"}


@pytest.mark.parametrize("nesterov, rule", [(False, "momentum"), (True, "nag")])
@pytest.mark.parametrize("lr, mu", [(0.1, 0.5), (0.3, 0.9), (0.05, 0.2)])
def test_momentum_rate_is_the_rate_the_rule_actually_converges_at(nesterov, rule, lr, mu):
    curvature = 4.0
    path = trajectory(rule, lambda th: curvature * th, numpy.array([1.0]), 400, lr=lr, mu=mu, schedule="constant")
    energy = numpy.abs(path[:, 0])
    measured = (energy[300:400].max() / energy[200:300].max()) ** (1 / 100)
    assert measured == pytest.approx(float(nh.momentum_rate(lr, mu, curvature, nesterov)), rel=0.02)


def test_rate_map_finds_the_heavy_ball_optimum():
    lrs, mus, rate = nh.momentum_rate_map((0.2, 4.0), numpy.linspace(0.01, 1.0, 400), numpy.linspace(0, 0.99, 400))
    best = numpy.unravel_index(numpy.argmin(rate), rate.shape)
    root_l, root_big = numpy.sqrt(0.2), numpy.sqrt(4.0)  # Polyak's optimum for eigenvalues in [0.2, 4]
    assert lrs[best[1]] == pytest.approx((2 / (root_l + root_big)) ** 2, rel=0.02)
    assert mus[best[0]] == pytest.approx(((root_big - root_l) / (root_big + root_l)) ** 2, rel=0.02)
    assert rate[best] < 1 and rate.max() > 1


@pytest.mark.parametrize("curvatures", [(0.2, 4.0), (1.0, 20.0), (0.01, 1.0, 0.3)])
@pytest.mark.parametrize("nesterov, name", [(False, "momentum"), (True, "nag")])
def test_optimal_rates_are_attained_and_no_grid_point_beats_them(curvatures, nesterov, name):
    best = nh.optimal_rates(curvatures)[name]
    attained = max(float(nh.momentum_rate(best["lr"], best["mu"], c, nesterov)) for c in curvatures)
    assert attained == pytest.approx(best["rate"], abs=1e-6)  # a double root there: sqrt of a rounded 0
    big = max(curvatures)
    _, _, rate = nh.momentum_rate_map(curvatures, numpy.linspace(0.001, 4 / big, 600),
                                      numpy.linspace(0, 0.999, 600), nesterov=nesterov)
    assert rate.min() >= best["rate"] - 1e-6
    assert rate.min() == pytest.approx(best["rate"], abs=5e-3)  # and the grid comes close to it


def test_optimal_rates_for_kappa_20_are_the_known_closed_forms():
    best = nh.optimal_rates((0.2, 4.0))
    assert best["momentum"]["rate"] == pytest.approx((20**0.5 - 1) / (20**0.5 + 1))
    assert best["nag"]["rate"] == pytest.approx(1 - 2 / 61**0.5)


@given(steps=st.integers(1, 5000), frames=st.integers(2, 200))
def test_frame_steps_are_increasing_from_zero_to_the_end(steps, frames):
    shown = plots.frame_steps(steps, frames)
    assert shown[0] == 0 and shown[-1] == steps
    assert len(shown) == min(frames, steps + 1)
    assert all(a < b for a, b in zip(shown, shown[1:], strict=False))


def test_every_helper_figure_draws(tmp_path):
    figures = [
        nh.plot_update_field(QUADRATIC, "nadam", 0.5, resolution=9),
        nh.plot_momentum_schedule(steps=2000),
        nh.plot_bias_corrections(steps=2000),
        nh.plot_effective_step_sizes(QUADRATIC, {"adam": 0.5, "nadamax": 1.0}, steps=50),
        nh.plot_momentum_rate_map(),
        nh.plot_momentum_rate_map(nesterov=True),
    ]
    for k, fig in enumerate(figures):
        fig.savefig(tmp_path / f"{k}.png", dpi=40)
        assert (tmp_path / f"{k}.png").stat().st_size > 1000
    assert len(figures[3].axes[0].lines) == 2


def test_race_figure_shows_a_divergence_in_its_legend():
    surface = get_surface("rosenbrock")
    results = [run_rule(surface, "gd", 1.0, 50), run_rule(surface, "adam", 0.05, 50)]
    race_fig = plots.RaceFigure(surface, results)
    race_fig.show(50)
    labels = [t.get_text() for t in race_fig.rule_texts]
    assert "diverged at t=" in labels[0] and "diverged" not in labels[1]
    assert race_fig.counter.get_text() == "step t = 50"
    anim = plots.animate(surface, results, 50, frames=5)
    assert "<script" in plots.jshtml(anim)
