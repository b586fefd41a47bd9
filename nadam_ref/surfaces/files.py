"""A race, or an η-sensitivity study, into a folder: the one definition that ``nadam-ref race``, ``nadam-ref demo``
and notebook 7 share.

:func:`write_race` runs :func:`~nadam_ref.surfaces.race.race` with the shipped (or tuned, or given) η and writes
``race.gif`` (or ``race.html``), ``race.png``, ``loss.png``, ``summary.csv`` (and ``learning_rates.json`` when it
tuned). :func:`write_sensitivity` writes ``sensitivity.png`` and ``sensitivity.csv``. Files are staged in a hidden
folder inside ``out`` and moved into place only when all of them are complete (:mod:`.output`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field

from .. import rules as _rules
from .._io import atomic_write_text
from .._io import staged_folder as staged_files
from .functions import Surface
from .race import RulePath, check_noise, check_start, check_steps, race, summarize

#: The rules of a race unless told otherwise: the paper's nine (Section 4's 3 × 3 table).
RACE_RULES = _rules.PAPER_RULES
FORMATS = ("gif", "html", "png")
SUMMARY_FIELDS = ("rule", "lr", "steps", "final_loss", "distance_to_minimum", "first_step_within_tolerance",
                  "diverged", "diverged_at_step")


@dataclass
class RaceRun:
    """What :func:`write_race` did: the paths, the summary rows, η per rule, the files written (names in ``out``)."""

    surface: Surface
    steps: int
    noise: float
    seed: int
    lrs: dict
    results: list[RulePath]
    rows: list[dict]
    written: list[str] = field(default_factory=list)
    tuned: dict | None = None


def race_learning_rates(surface: Surface, rules, steps: int, overrides=None, tune: bool = False, start=None,
                        progress=None) -> tuple[dict, dict | None]:
    """``(rule → η, tuned)``: ``overrides`` first, then a fresh grid search (``tune``) or the shipped table."""
    from . import lr_policy

    overrides = dict(overrides or {})
    if not tune:
        return lr_policy.learning_rates(surface, rules, overrides), None
    to_tune = [r for r in rules if r not in overrides]
    tuned = lr_policy.tune_all(surface, to_tune, steps, start=start, progress=progress)
    lrs = lr_policy.learning_rates(surface, rules, {**{r: tuned[r]["lr"] for r in to_tune}, **overrides})
    return lrs, tuned


def write_race(out, surface: Surface, rules=RACE_RULES, steps: int | None = None, overrides=None,
               tune: bool = False, start=None, noise: float = 0.0, seed: int = 0, fmt: str = "gif",
               frames: int = 80, small_multiples: bool = False, progress=None) -> RaceRun:
    """Race ``rules`` on ``surface`` (``steps`` defaults to the surface's) and write the files into ``out``.

    ``progress(stage, total)`` is called once per stage ("tuning", "racing", "drawing") with its number of units,
    and the returned callable after each unit; pass None for silence.
    """
    from . import plots  # matplotlib only when drawing

    if fmt not in FORMATS:
        raise ValueError(f"fmt={fmt!r}; expected one of {FORMATS}")
    steps = check_steps(surface.steps if steps is None else steps)
    start = check_start(surface, surface.start if start is None else start)
    noise = check_noise(noise)
    tick = _ticker(progress)
    lrs, tuned = race_learning_rates(surface, list(rules), steps, overrides, tune, start,
                                     progress=tick("tuning", len(rules)) if tune else None)
    results = race(surface, lrs, steps, start=start, noise=noise, seed=seed, progress=tick("racing", len(lrs)))
    run = RaceRun(surface, steps, noise, seed, lrs, results, [summarize(surface, r) for r in results], tuned=tuned)
    with staged_files(out) as stage:
        if fmt == "gif":
            plots.save_gif(surface, results, steps, os.path.join(stage, "race.gif"), frames=frames, noise=noise,
                           small_multiples=small_multiples,
                           progress=tick("drawing", len(plots.frame_steps(steps, frames))))
            run.written.append("race.gif")
        elif fmt == "html":
            anim = plots.animate(surface, results, steps, frames=frames, noise=noise, small_multiples=small_multiples)
            atomic_write_text(os.path.join(stage, "race.html"), _html_page(surface, plots.jshtml(anim)))
            run.written.append("race.html")
        plots.save_final_frame(surface, results, steps, os.path.join(stage, "race.png"), noise=noise,
                               small_multiples=small_multiples)
        plots.loss_figure(surface, results, noise=noise).savefig(os.path.join(stage, "loss.png"), dpi=plots.PNG_DPI)
        run.written += ["race.png", "loss.png"]
        if tuned is not None:
            atomic_write_text(os.path.join(stage, "learning_rates.json"),
                              json.dumps({"surface": surface.name, "steps": steps, "start": list(start),
                                          "rules": tuned}, indent=1) + "\n")
            run.written.append("learning_rates.json")
        atomic_write_text(os.path.join(stage, "summary.csv"), rows_to_csv(run.rows, SUMMARY_FIELDS))
        run.written.append("summary.csv")
    return run


def write_sensitivity(out, surface: Surface, rules=RACE_RULES, steps: int | None = None, starts: int = 4,
                      noise: float = 0.0, seeds=(0, 1, 2), grid=None, progress=None) -> list[dict]:
    """For each rule and each η of ``grid`` (default: the policy's), run from ``starts`` starts
    (:func:`~.sensitivity.race_starts`) with each noise seed, and write ``sensitivity.csv`` (one row per run) and
    ``sensitivity.png`` (median and spread against η, one panel per rule). Returns the rows."""
    from . import lr_policy, sensitivity

    steps = check_steps(surface.steps if steps is None else steps)
    noise = check_noise(noise)
    seeds = tuple(seeds) if noise > 0 else (0,)  # without noise every seed gives the same run
    grid = tuple(lr_policy.LR_GRID if grid is None else grid)
    points = sensitivity.race_starts(surface, starts)
    rows = sensitivity.sensitivity(surface, list(rules), grid, steps, points, noise, seeds,
                                   progress=_ticker(progress)("sensitivity", len(rules) * len(grid)))
    with staged_files(out) as stage:
        atomic_write_text(os.path.join(stage, "sensitivity.csv"), rows_to_csv(rows, sensitivity.SENSITIVITY_FIELDS))
        sensitivity.plot_sensitivity(surface, rows, steps).savefig(os.path.join(stage, "sensitivity.png"), dpi=100)
    return rows


def rows_to_csv(rows, fields) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in fields})
    return buffer.getvalue()


def _ticker(progress):
    """``tick(stage, total)`` -> a no-argument callable for one unit of work, or None when ``progress`` is None."""
    def tick(stage, total):
        if progress is None:
            return None
        step = progress(stage, total)
        return lambda *_: step()
    return tick


def _html_page(surface, player: str) -> str:
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>nadam-ref race: {surface.title}</title></head>\n<body>\n{player}\n</body></html>\n")
