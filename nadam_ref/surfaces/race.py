r"""Race any set of rules from one start on one surface, stopping a rule's path where it diverges.

The paths come from :func:`nadam_ref.trajectory.iterate` (the generator behind :func:`nadam_ref.trajectory`), so
the rules run exactly as written in :mod:`nadam_ref.rules`; the race only watches each iterate and stops a rule
the first time it is not finite or leaves the box :math:`|\theta_i| \le` :data:`DIVERGENCE_BOUND`. Every rule gets
the paper's Section 4 settings, :data:`RACE_HPARAMS`, and its own :math:`\eta` (see :mod:`.lr_policy`).

Paths live on the host: the race carries two numbers per rule, where a GPU would only add kernel-launch latency,
so the default backend here is NumPy (pass ``xp`` to run the rules elsewhere).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import rules as _rules
from ..backend import array_module, get_xp, to_device, to_host
from ..trajectory import iterate
from .functions import Surface

#: Dozat (2016), Section 4: "All algorithms used ν = .999 and ε = 1e-8 ... a momentum schedule ... with μ = .99 ...
#: Only the learning rate η differed ... All algorithms used initialization bias correction." Every rule gets the
#: part of this dict it reads (``rules.select_hparams``), and only ``lr`` differs.
RACE_HPARAMS = {"mu": 0.99, "nu": 0.999, "eps": 1e-8, "schedule": "paper", "eps_placement": "inside",
                "bias_correction": True}

#: A coordinate beyond this is a divergence, even while still finite (the paths would be off any plot anyway).
DIVERGENCE_BOUND = 1e6


@dataclass(frozen=True)
class RulePath:
    r"""One rule's run: ``path`` holds :math:`\theta_0 \dots \theta_k` (host array of shape ``(k + 1, 2)``),
    ``losses`` :math:`f(\theta_0) \dots f(\theta_k)`. ``diverged_at`` is the step whose iterate was not finite or
    out of bounds (the path stops just before it), or None."""

    rule: str
    lr: float
    path: object
    losses: object
    diverged_at: int | None

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def steps_taken(self) -> int:
        return len(self.path) - 1


def check_start(surface: Surface, start) -> tuple[float, float]:
    """``start`` as two floats inside the surface's window; a ValueError naming it and the window otherwise."""
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"start={start!r}; expected two numbers x, y") from None
    if not (math.isfinite(x) and math.isfinite(y) and surface.contains((x, y))):
        raise ValueError(f"start=({x:g}, {y:g}) is outside the {surface.name} window "
                         f"x in {list(surface.window[0])}, y in {list(surface.window[1])}")
    return x, y


def run_rule(surface: Surface, rule: str, lr: float, steps: int, start=None, xp=None) -> RulePath:
    """The path of one rule, stopped at divergence. ``start`` defaults to the surface's, ``xp`` to NumPy."""
    _rules.get(rule)
    xp = xp or get_xp("numpy")
    theta0 = to_device(check_start(surface, surface.start if start is None else start), xp, dtype="float64")
    points, diverged_at = [theta0], None
    for t, (theta, _) in enumerate(iterate(rule, surface.grad, theta0, steps, lr=lr,
                                                 **_rules.select_hparams(rule, RACE_HPARAMS)), start=1):
        if not _within_bounds(theta):
            diverged_at = t
            break
        points.append(theta)
    path = xp.stack(points)
    losses = surface.f(path.T)
    return RulePath(rule, float(lr), to_host(path), to_host(losses), diverged_at)


def race(surface: Surface, lrs: dict, steps: int, start=None, xp=None, progress=None) -> list[RulePath]:
    """Every rule of ``lrs`` (rule → η) from the same start, in the order given.

    ``progress``, if given, is called with each rule's name after it finishes (the CLI's progress bar).
    """
    check_steps(steps)
    results = []
    for rule, lr in lrs.items():
        results.append(run_rule(surface, rule, lr, steps, start=start, xp=xp))
        if progress is not None:
            progress(rule)
    return results


def check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps={steps!r}; expected an integer >= 1")
    return steps


def _within_bounds(theta) -> bool:
    xp = array_module(theta)
    return bool(xp.all(xp.isfinite(theta))) and float(xp.max(xp.abs(theta))) <= DIVERGENCE_BOUND


# --- what the summary reports ------------------------------------------------------------------------------------

def distances_to_minima(surface: Surface, path):
    """Distance of every iterate in ``path`` (shape ``(k + 1, 2)``) to the nearest known minimum."""
    xp = array_module(path)
    minima = xp.asarray(surface.minima, dtype=path.dtype)
    gaps = path[:, None, :] - minima[None, :, :]
    return xp.sqrt((gaps**2).sum(axis=-1)).min(axis=1)


def summarize(surface: Surface, result: RulePath) -> dict:
    """The row of ``summary.csv``: η, final loss, distance to the nearest minimum, the first step within the
    surface's tolerance of a minimum (None if never), and whether (and where) the rule diverged."""
    distances = distances_to_minima(surface, result.path)
    arrived = [t for t, d in enumerate(distances.tolist()) if d <= surface.tolerance]
    return {
        "rule": result.rule,
        "lr": result.lr,
        "steps": result.steps_taken,
        "final_loss": float(result.losses[-1]),
        "distance_to_minimum": float(distances[-1]),
        "first_step_within_tolerance": arrived[0] if arrived else None,
        "diverged": result.diverged,
        "diverged_at_step": result.diverged_at,
    }
