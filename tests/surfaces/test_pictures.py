"""What the race's pictures show a newcomer: where everyone starts, how the frames are spaced, trails that do not
hide one another, a readable noisy loss plot, curves that lie on each other told apart."""

from __future__ import annotations

import numpy as np
from PIL import Image

from nadam_ref.rules import PAPER_RULES
from nadam_ref.surfaces import get_surface, plots
from nadam_ref.surfaces.race import race

QUADRATIC = get_surface("quadratic")
LRS = dict.fromkeys(PAPER_RULES, 0.05)


def test_the_first_frame_says_all_nine_start_at_one_point_and_the_note_goes_once_they_part():
    results = race(QUADRATIC, LRS, 60)
    figure = plots.RaceFigure(QUADRATIC, results, steps=60)
    figure.show(0)
    assert figure.start_note.get_visible() and figure.start_note.get_text() == "all nine rules start here"
    figure.show(60)
    assert not figure.start_note.get_visible()
    assert figure.counter.get_text() == "step t = 60 of 60"


def test_trails_get_thinner_in_drawing_order_so_shared_paths_show_every_colour():
    figure = plots.RaceFigure(QUADRATIC, race(QUADRATIC, LRS, 10))
    widths = [line.get_linewidth() for line in figure.lines]
    assert all(a > b for a, b in zip(widths, widths[1:], strict=False)) and widths[0] >= 3 * widths[-1]


def test_the_frame_schedule_is_said_when_frames_skip_steps():
    shown = plots.frame_steps(2000, 80)
    note = plots.schedule_note(shown)
    assert "80 frames, spaced quadratically" in note and f"last jump {shown[-1] - shown[-2]} steps" in note
    assert plots.schedule_note(plots.frame_steps(30, 80)) == ""  # every step has its frame


def test_the_gif_holds_its_first_frame_and_names_the_schedule(tmp_path):
    results = race(QUADRATIC, {"gd": 0.1, "adam": 0.1}, 200)
    path = tmp_path / "race.gif"
    plots.save_gif(QUADRATIC, results, 200, path, frames=10, fps=10, hold_first_s=1.5, hold_s=2.0)
    with Image.open(path) as gif:
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
    assert durations[0] == 1600 and durations[1] == 100 and durations[-1] == 2100


def test_the_noisy_loss_plot_is_smoothed_and_its_legend_stands_beside_the_axes():
    rosenbrock = get_surface("rosenbrock")
    results = race(rosenbrock, {"adam": 0.1, "nadam": 0.1}, 500, noise=20.0)
    fig = plots.loss_figure(rosenbrock, results, noise=20.0)
    ax = fig.axes[0]
    window = plots.smoothing_window(501)
    line = ax.get_lines()[0]
    raw = np.maximum(results[0].losses - rosenbrock.f_min, 1e-12)
    assert len(line.get_ydata()) == len(raw) - window + 1
    assert np.isclose(line.get_ydata()[0], np.exp(np.log(raw[:window]).mean()))
    assert f"over {window} steps" in ax.get_ylabel()
    fig.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 > ax.get_window_extent().x1


def test_curves_that_lie_on_each_other_are_told_apart_by_markers():
    beale = get_surface("beale")
    fig = plots.loss_figure(beale, race(beale, {"momentum": 0.002, "nag": 0.002}, 200))
    momentum, nag = fig.axes[0].get_lines()[:2]
    assert momentum.get_marker() != nag.get_marker() and momentum.get_markevery() != nag.get_markevery()
    assert momentum.get_zorder() > nag.get_zorder()  # the dashed line is drawn over the solid one


def test_moving_geometric_mean():
    assert np.allclose(plots.moving_geometric_mean([1.0, 100.0, 1.0, 100.0], 2), [10.0, 10.0, 10.0])
    assert np.allclose(plots.moving_geometric_mean([3.0, 4.0], 5), [3.0, 4.0])
