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
from ..backend import array_module, get_xp, host_rng, random_normal, to_device, to_host
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


def check_noise(noise) -> float:
    """``noise`` as a finite float >= 0; a ValueError naming it otherwise."""
    try:
        sigma = float(noise)
    except (TypeError, ValueError):
        sigma = math.nan
    if isinstance(noise, bool) or not (math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"noise={noise!r}; expected a finite number >= 0 (the standard deviation of the noise)")
    return sigma


def noisy_gradient(surface: Surface, noise: float = 0.0, seed: int = 0):
    r"""The surface's gradient plus seeded Gaussian noise, :math:`g = \nabla f(\theta) + \sigma\,\xi`,
    :math:`\xi \sim \mathcal N(0, I)` drawn afresh at every call (once per step) from :func:`host_rng` ``(seed)``:
    a stand-in for a minibatch gradient whose error does not depend on :math:`\theta`. Rules raced with the same
    seed see the same noise (paired). ``noise=0`` returns the exact gradient."""
    sigma = check_noise(noise)
    if sigma == 0:
        return surface.grad
    generator = host_rng(seed)

    def grad(theta):
        return surface.grad(theta) + random_normal(generator, theta.shape, array_module(theta), scale=sigma)

    return grad


def run_rule(surface: Surface, rule: str, lr: float, steps: int, start=None, xp=None, noise: float = 0.0,
             seed: int = 0) -> RulePath:
    """The path of one rule, stopped at divergence. ``start`` defaults to the surface's, ``xp`` to NumPy;
    ``noise`` > 0 adds seeded Gaussian noise to every gradient (:func:`noisy_gradient`)."""
    _rules.get(rule)
    xp = xp or get_xp("numpy")
    grad = noisy_gradient(surface, noise, seed)
    theta0 = to_device(check_start(surface, surface.start if start is None else start), xp, dtype="float64")
    points, diverged_at = [theta0], None
    hparams = _rules.select_hparams(rule, RACE_HPARAMS)
    for t, (theta, _) in enumerate(iterate(rule, grad, theta0, steps, lr=lr, **hparams), start=1):
        if not _within_bounds(theta):
            diverged_at = t
            break
        points.append(theta)
    path = xp.stack(points)
    losses = surface.f(path.T)
    return RulePath(rule, float(lr), to_host(path), to_host(losses), diverged_at)


def race(surface: Surface, lrs: dict, steps: int, start=None, xp=None, progress=None, noise: float = 0.0,
         seed: int = 0) -> list[RulePath]:
    """Every rule of ``lrs`` (rule → η) from the same start, in the order given, each with the same noise
    (``noise``, ``seed``: see :func:`noisy_gradient`).

    ``progress``, if given, is called with each rule's name after it finishes (the CLI's progress bar).
    """
    check_steps(steps)
    results = []
    for rule, lr in lrs.items():
        results.append(run_rule(surface, rule, lr, steps, start=start, xp=xp, noise=noise, seed=seed))
        if progress is not None:
            progress(rule)
    return results


#: A race keeps every iterate of every rule in memory (for the animation and the loss plot), so its length is bounded.
MAX_STEPS = 100_000


def check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps={steps!r}; expected an integer from 1 to {MAX_STEPS:,} (a race keeps every iterate)")
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


def ranking(rows) -> list[dict]:
    """The summary rows (:func:`summarize`) best first: by the distance to the nearest minimum at the end, the rules
    that diverged last. The end, not the first visit: with noisy gradients a rule may pass near the minimum and
    wander off again."""
    return sorted(rows, key=lambda r: (r["diverged"], r["distance_to_minimum"]))


def race_table(surface: Surface, rows, noise: float = 0.0) -> str:
    """The race as a ranked table (:func:`ranking`), then one line that says who ended closest, and when a rule
    first came within the surface's tolerance of a minimum (the race of ``nadam-ref race`` and ``nadam-ref demo``)."""
    within = f"first within {surface.tolerance:g}"
    lines = [f"{'':>3} {'rule':<14}{'η':>8}{'final loss':>13}{'distance at end':>17}{within:>20}  diverged"]
    ranked = ranking(rows)
    for place, r in enumerate(ranked, start=1):
        first = "never" if r["first_step_within_tolerance"] is None else f"t={r['first_step_within_tolerance']}"
        diverged = f"yes, at t={r['diverged_at_step']}" if r["diverged"] else "no"
        lines.append(f"{place:>2}. {r['rule']:<14}{r['lr']:>8g}{r['final_loss']:>13.4g}"
                     f"{r['distance_to_minimum']:>17.3g}{first:>20}  {diverged}")
    if not ranked:
        return "\n".join([*lines, "(no rules raced: nothing to rank)"])
    best = ranked[0]
    reached = [r for r in ranked if r["first_step_within_tolerance"] is not None]
    lines.append(f"Ranked by the distance to the minimum at the end (step {max(r['steps'] for r in ranked)}). "
                 f"Closest: {best['rule']}, at {best['distance_to_minimum']:.3g}.")
    if not reached:
        lines.append(f"No rule came within {surface.tolerance:g} of a minimum.")
    else:
        first = min(reached, key=lambda r: r["first_step_within_tolerance"])
        lines.append(f"First within {surface.tolerance:g} of a minimum: {first['rule']} at "
                     f"t={first['first_step_within_tolerance']}, ended at distance {first['distance_to_minimum']:.3g}"
                     + (" (with noise a rule can reach the minimum and leave it again)" if noise else "") + ".")
    return "\n".join(lines)
