"""The race's ranked table (:func:`nadam_ref.surfaces.race.race_table`), which ``nadam-ref race`` and the demo print."""

from __future__ import annotations

from nadam_ref import cli
from nadam_ref.surfaces import get_surface
from nadam_ref.surfaces.race import race, race_table, ranking, summarize

ROSENBROCK = get_surface("rosenbrock")


def row(rule, distance, first=None, diverged_at=None):
    return {"rule": rule, "lr": 0.1, "steps": 100, "final_loss": distance**2, "distance_to_minimum": distance,
            "first_step_within_tolerance": first, "diverged": diverged_at is not None, "diverged_at_step": diverged_at}


def test_ranking_is_by_the_distance_at_the_end_with_diverged_rules_last():
    rows = [row("a", 0.5, first=10), row("b", 0.01), row("c", 1e-9, diverged_at=7), row("d", 0.2)]
    assert [r["rule"] for r in ranking(rows)] == ["b", "d", "a", "c"]


def test_a_race_nobody_finishes_still_has_a_ranking_and_says_nobody_arrived():
    text = race_table(ROSENBROCK, [row("adam", 0.06), row("gd", 0.9)])
    lines = text.splitlines()
    assert lines[1].startswith(" 1. adam") and lines[2].startswith(" 2. gd")
    assert "Closest: adam, at 0.06." in text and "No rule came within 0.05 of a minimum." in text
    assert "never" in lines[1]


def test_the_noisy_race_says_first_reached_and_where_it_ended():
    text = race_table(ROSENBROCK, [row("adam", 0.95, first=466), row("nadam", 0.74, first=487)], noise=20)
    assert "Closest: nadam, at 0.74." in text
    assert "First within 0.05 of a minimum: adam at t=466, ended at distance 0.95" in text
    assert "arrived" not in text


def test_an_empty_race_ranks_nothing():
    assert "nothing to rank" in race_table(ROSENBROCK, [])


def test_the_race_command_prints_the_library_table(tmp_path, capsys):
    lrs = {"gd": 0.001, "adam": 0.1}
    assert cli.main(["race", "--rules", "gd,adam", "--steps", "200", "--lr", "gd=0.001", "adam=0.1", "--format",
                     "png", "--out", str(tmp_path / "r")]) == 0
    rows = [summarize(ROSENBROCK, r) for r in race(ROSENBROCK, lrs, 200)]
    assert race_table(ROSENBROCK, rows) in capsys.readouterr().out
