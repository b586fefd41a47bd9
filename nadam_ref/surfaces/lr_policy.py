r"""The learning-rate policy of the races, in the spirit of Dozat (2016), Section 4.

The paper gave all nine rules the same :math:`\nu`, :math:`\varepsilon`, :math:`\mu` and momentum schedule, and
"Only the learning rate :math:`\eta` differed across algorithms and experiments". The races do the same
(:data:`nadam_ref.surfaces.race.RACE_HPARAMS`) and pick each rule's :math:`\eta` per surface by a grid search:

* the grid :data:`LR_GRID` is 1, 2 and 5 times each power of ten from :math:`10^{-5}` to :math:`1`;
* the score of one :math:`\eta` is the **mean over the whole run and over** :data:`POLICY_STARTS` **starts** of
  :math:`\log_{10}(f(\theta_t) - f_{\min} + 10^{-12})`, :math:`t = 0 \dots T` — the area under the log-loss curve.
  It rewards getting low early *and* staying low, so a rule that dives fast and then oscillates or stalls does
  not win on its first steps alone; averaging over the surface's start and points around it
  (:func:`nadam_ref.surfaces.sensitivity.race_starts`) means that a lucky jump from one start cannot win;
  the floor :math:`10^{-12}` stops a run to machine zero from dominating;
* an :math:`\eta` that diverges from any of the starts (not finite, or beyond
  :data:`~nadam_ref.surfaces.race.DIVERGENCE_BOUND`) scores :math:`+\infty`; ties go to the smaller :math:`\eta`.

The chosen values ship as ``learning_rates.json`` beside this file, searched at each surface's default start and
number of steps. ``nadam-ref race --tune`` repeats the search for the race at hand, and
``python -m nadam_ref.surfaces.lr_policy --write`` regenerates the shipped table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from importlib import resources

from .. import rules as _rules
from .._io import atomic_write_text
from .functions import SURFACES, Surface
from .race import RACE_HPARAMS
from .sensitivity import LOSS_FLOOR, mean_log_loss, race_starts, run_many

LR_GRID: tuple[float, ...] = tuple(m * 10.0**e for e in range(-5, 0) for m in (1, 2, 5)) + (1.0,)

TABLE_FILE = "learning_rates.json"
POLICY_STARTS = 5
POLICY = ("Only eta differs between rules (Dozat 2016, Section 4); each eta is the grid value with the lowest mean "
          "log10(f - f_min + 1e-12) over the whole run and over 5 starts (the surface's start and 4 seeded points "
          "within 10% of the window around it); an eta that diverges from any start scores +inf; "
          "ties go to the smaller eta.")


def score(surface: Surface, result) -> float:
    """The mean log₁₀ excess loss over the run; +inf for a diverged run."""
    if result.diverged:
        return math.inf
    excess = [max(float(v) - surface.f_min, 0.0) + LOSS_FLOOR for v in result.losses.tolist()]
    return sum(math.log10(v) for v in excess) / len(excess)


def tune(surface: Surface, rule: str, steps: int, start=None, grid=LR_GRID,
         starts=POLICY_STARTS) -> tuple[float, float]:
    """``(best η, its score)`` for one rule on one surface, scored over ``starts`` starts around ``start`` (default:
    the surface's); the smaller η wins a tie."""
    points = race_starts(surface, starts, center=start)
    scored = []
    for lr in sorted(grid):
        excess, diverged = run_many(surface, rule, lr, steps, points)
        scored.append((math.inf if diverged.any() else float(mean_log_loss(excess).mean()), lr))
    best_score, best_lr = min(scored, key=lambda pair: (pair[0], pair[1]))
    return best_lr, best_score


def tune_all(surface: Surface, rules, steps: int, start=None, progress=None) -> dict:
    """``{rule: {"lr": η, "score": s}}`` for each rule (``score`` is None when every η diverged)."""
    out = {}
    for rule in rules:
        lr, s = tune(surface, rule, steps, start=start)
        out[rule] = {"lr": lr, "score": s if math.isfinite(s) else None}
        if progress is not None:
            progress(rule)
    return out


def shipped_table() -> dict:
    """The shipped table: ``{"policy": ..., "grid": [...], "surfaces": {name: {"steps", "start", "rules"}}}``."""
    text = resources.files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def learning_rates(surface: Surface, rules, overrides=None) -> dict:
    """``{rule: η}`` from the shipped table, with ``overrides`` (rule → η) taking precedence; checks every η."""
    table = shipped_table()["surfaces"].get(surface.name, {}).get("rules", {})
    overrides = dict(overrides or {})
    out = {}
    for rule in rules:
        module = _rules.get(rule)
        lr = overrides[rule] if rule in overrides else table.get(rule, {}).get("lr", module.DEFAULT_LR)
        _rules.make_hparams(module, lr=lr)  # the same check every rule applies: a finite η > 0
        out[rule] = float(lr)
    unused = sorted(set(overrides) - set(out))
    if unused:
        raise ValueError(f"a learning rate was given for {unused}, which is not in this race's rules {list(rules)}")
    return out


def build_table(surfaces=None, rules=_rules.RULES, progress=None) -> dict:
    """Search every surface × rule at the surfaces' default start and steps (about a minute on one core)."""
    table = {"policy": POLICY, "hparams": RACE_HPARAMS, "grid": list(LR_GRID), "starts": POLICY_STARTS,
             "loss_floor": LOSS_FLOOR, "surfaces": {}}
    for surface in surfaces or SURFACES.values():
        table["surfaces"][surface.name] = {"steps": surface.steps, "start": list(surface.start),
                                           "rules": tune_all(surface, rules, surface.steps, progress=progress)}
    return table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nadam_ref.surfaces.lr_policy", description=__doc__)
    parser.add_argument("--write", action="store_true", help=f"overwrite the shipped {TABLE_FILE}")
    args = parser.parse_args(argv)
    table = build_table(progress=lambda rule: print(".", end="", flush=True))
    text = json.dumps(table, indent=1, ensure_ascii=False) + "\n"
    if args.write:
        path = os.path.join(os.path.dirname(__file__), TABLE_FILE)
        atomic_write_text(path, text)
        print(f"\nwrote {path}")
    else:
        print("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
