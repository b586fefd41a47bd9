"""Noisy races, the η-sensitivity study, the multi-start η policy and the readable race pictures."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PIL import Image

from nadam_ref import cli
from nadam_ref.surfaces import files, get_surface, lr_policy, plots, sensitivity
from nadam_ref.surfaces.race import check_noise, noisy_gradient, race, run_rule

QUADRATIC = get_surface("quadratic")


def test_noise_is_seeded_paired_and_zero_means_the_exact_gradient():
    theta = np.array([1.0, -2.0])
    assert noisy_gradient(QUADRATIC, 0.0) is QUADRATIC.grad
    a, b, c = (noisy_gradient(QUADRATIC, 0.5, seed) for seed in (3, 3, 4))
    first_a, first_b, first_c = a(theta), b(theta), c(theta)
    assert np.array_equal(first_a, first_b) and not np.array_equal(first_a, first_c)
    expected = QUADRATIC.grad(theta) + 0.5 * np.random.default_rng(3).standard_normal(2)
    np.testing.assert_allclose(first_a, expected, rtol=0, atol=1e-15)


def test_a_noisy_gd_step_is_the_exact_step_plus_eta_sigma_xi():
    lr, sigma = 0.1, 2.0
    path = run_rule(QUADRATIC, "gd", lr, 1, noise=sigma, seed=7).path
    theta0 = np.array(QUADRATIC.start)
    xi = np.random.default_rng(7).standard_normal(2)
    np.testing.assert_allclose(path[1], theta0 - lr * (QUADRATIC.grad(theta0) + sigma * xi), rtol=0, atol=1e-14)


def test_every_rule_of_a_noisy_race_sees_the_same_noise():
    a, b = race(QUADRATIC, {"gd": 0.1, "adam": 0.1}, 20, noise=1.0, seed=5)
    again = run_rule(QUADRATIC, "adam", 0.1, 20, noise=1.0, seed=5)
    np.testing.assert_array_equal(b.path, again.path)
    assert not np.array_equal(b.path, run_rule(QUADRATIC, "adam", 0.1, 20).path)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf, "x", True])
def test_bad_noise_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match="noise="):
        check_noise(bad)


def test_race_starts_are_seeded_inside_the_window_and_begin_with_the_surfaces_start():
    surface = get_surface("rosenbrock")
    starts = sensitivity.race_starts(surface, 6, seed=1)
    assert starts[0] == surface.start and len(set(starts)) == 6
    assert all(surface.contains(s) for s in starts)
    assert starts == sensitivity.race_starts(surface, 6, seed=1)


def test_run_many_runs_each_start_exactly_as_run_rule_does():
    starts = [(-4.5, 2.0), (3.0, -1.0)]
    excess, diverged = sensitivity.run_many(QUADRATIC, "nadam", 0.05, 40, starts)
    for k, start in enumerate(starts):
        single = run_rule(QUADRATIC, "nadam", 0.05, 40, start=start)
        np.testing.assert_allclose(excess[:, k], single.losses - QUADRATIC.f_min, rtol=1e-12, atol=1e-15)
    assert not diverged.any()


def test_run_many_marks_a_diverged_start_and_scores_it_infinite():
    excess, diverged = sensitivity.run_many(QUADRATIC, "gd", 1.0, 200, [(-4.5, 2.0)])  # η > 2/4 diverges
    assert diverged.all() and math.isinf(excess[-1, 0])
    assert math.isinf(sensitivity.mean_log_loss(excess)[0])


def test_the_eta_policy_refuses_an_eta_that_diverges_from_any_start():
    lr, score = lr_policy.tune(QUADRATIC, "gd", 100, grid=(0.2, 0.45, 0.6))
    assert lr in (0.2, 0.45) and math.isfinite(score)
    assert lr_policy.shipped_table()["starts"] == lr_policy.POLICY_STARTS


def test_cli_noise_race_writes_a_wide_gif_and_differs_from_the_noiseless_race(tmp_path):
    quick = ["race", "--surface", "quadratic", "--rules", "gd,nadam", "--steps", "30", "--frames", "4"]
    assert cli.main([*quick, "--noise", "0.5", "--seed", "1", "--out", str(tmp_path / "n")]) == 0
    assert cli.main([*quick, "--format", "png", "--out", str(tmp_path / "q")]) == 0
    with Image.open(tmp_path / "n" / "race.gif") as gif:
        assert gif.size[0] >= 1200
    noisy, exact = ((tmp_path / d / "summary.csv").read_text() for d in ("n", "q"))
    assert noisy != exact


def test_cli_sensitivity_writes_one_csv_row_per_rule_eta_start_and_seed(tmp_path):
    out = tmp_path / "s"
    argv = ["race", "--surface", "quadratic", "--rules", "gd,adam", "--steps", "20", "--sensitivity",
            "--starts", "2", "--seeds", "2", "--noise", "0.1", "--out", str(out)]
    assert cli.main(argv) == 0
    with open(out / "sensitivity.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * len(lr_policy.LR_GRID) * 2 * 2
    assert {r["seed"] for r in rows} == {"0", "1"} and {r["start"] for r in rows} == {"0", "1"}
    with Image.open(out / "sensitivity.png") as png:
        assert png.size[0] >= 1000


@pytest.mark.parametrize("argv, message", [
    (["--noise", "-1"], "--noise"),
    (["--sensitivity", "--lr", "gd=0.1"], "--sensitivity"),
    (["--starts", "0"], "--starts"),
])
def test_cli_refuses_bad_race_options(tmp_path, capsys, argv, message):
    assert cli.main(["race", "--surface", "quadratic", "--rules", "gd", *argv, "--out", str(tmp_path / "x")]) != 0
    assert message in capsys.readouterr().err


def test_nesterov_rules_have_distinct_colours_and_small_multiples_give_one_panel_per_rule():
    colours = {plots.RULE_STYLE[r][0] for r in ("nag", "nadam", "nadamax")}
    assert len(colours) == 3
    results = race(QUADRATIC, {"gd": 0.1, "nag": 0.05, "nadam": 0.1}, 10)
    figure = plots.RaceFigure(QUADRATIC, results, small_multiples=True)
    assert len(set(figure.axes)) == 3 and [t.get_text() for t in figure.rule_texts][0].startswith("gd")


def test_arrival_is_marked_from_the_first_step_within_tolerance():
    result = run_rule(QUADRATIC, "gd", 0.4, 200)
    arrived = plots.arrival_step(QUADRATIC, result)
    figure = plots.RaceFigure(QUADRATIC, [result])
    figure.show(arrived - 1)
    assert len(figure.marks[0].get_xdata()) == 0
    figure.show(arrived)
    assert len(figure.marks[0].get_xdata()) == 1 and f"t={arrived}" in figure.rule_texts[0].get_text()


def test_write_race_is_the_race_of_the_cli(tmp_path):
    run = files.write_race(tmp_path, QUADRATIC, ("gd", "adam"), steps=25, fmt="png")
    assert run.written == ["race.png", "loss.png", "summary.csv"]
    assert [r.rule for r in run.results] == ["gd", "adam"]
    assert run.lrs == lr_policy.learning_rates(QUADRATIC, ["gd", "adam"])
