r"""How much a race's verdict depends on :math:`\eta`, on the start and on the noise: many runs at once.

A single race answers "which rule got there first, from this start, with this :math:`\eta`". A lucky jump from
one start can win it (Rosenbrock's GD crosses the valley in one long step). This module runs each rule at every
:math:`\eta` of a grid from several starts and with several noise seeds, and reports the spread.

* :func:`race_starts` — the surface's start plus seeded points around it (the same list for every rule);
* :func:`run_many` — one rule, one :math:`\eta`, every start at once (the rules act element-wise, so the starts are
  the columns of one :math:`\theta` of shape ``(2, K)``), with one noise seed;
* :func:`sensitivity` — the table: rule × :math:`\eta` × start × seed → final and mean log excess loss;
* :func:`plot_sensitivity` — for each rule, the median final loss against :math:`\eta` with the spread as a band.

A run that leaves the box :math:`|\theta_i| \le` :data:`~nadam_ref.surfaces.race.DIVERGENCE_BOUND` or stops being
finite counts as diverged: its losses are :math:`+\infty`.
"""

from __future__ import annotations

import math

import numpy  # host-side: the runs are two numbers per start; a GPU would only add latency

from .. import rules as _rules
from ..backend import host_rng
from ..trajectory import iterate
from .functions import Surface
from .race import DIVERGENCE_BOUND, RACE_HPARAMS, check_start, check_steps, noisy_gradient

LOSS_FLOOR = 1e-12  # the same floor as the η policy's score: a run to machine zero does not dominate a mean
SENSITIVITY_FIELDS = ("rule", "lr", "start", "x0", "y0", "noise", "seed", "final_loss", "mean_log10_loss",
                      "diverged")


def race_starts(surface: Surface, count: int = 5, seed: int = 0, spread: float = 0.1,
                center=None) -> list[tuple[float, float]]:
    """``center`` (default: the surface's start) and ``count - 1`` more points, drawn uniformly within ``spread`` ×
    the window's size around it (clipped to the window), from :func:`host_rng` ``(seed)``: the same starts for
    every rule and every η."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count={count!r}; expected an integer >= 1")
    rng = host_rng(seed)
    (x_lo, x_hi), (y_lo, y_hi) = surface.window
    x0, y0 = check_start(surface, surface.start if center is None else center)
    starts = [(x0, y0)]
    for _ in range(count - 1):
        x = x0 + spread * (x_hi - x_lo) * rng.uniform(-1, 1)
        y = y0 + spread * (y_hi - y_lo) * rng.uniform(-1, 1)
        starts.append((float(min(max(x, x_lo), x_hi)), float(min(max(y, y_lo), y_hi))))
    return starts


def run_many(surface: Surface, rule: str, lr: float, steps: int, starts, noise: float = 0.0, seed: int = 0):
    r"""``(excess, diverged)``: :math:`f(\theta_t) - f_{\min}` of every start (host array ``(steps + 1, K)``, +inf
    from a diverged run's divergence on) and a boolean per start."""
    _rules.get(rule)
    check_steps(steps)
    theta0 = numpy.array([check_start(surface, s) for s in starts], dtype="float64").T  # (2, K)
    grad = noisy_gradient(surface, noise, seed)
    excess = numpy.empty((steps + 1, theta0.shape[1]))
    diverged = numpy.zeros(theta0.shape[1], dtype=bool)
    excess[0] = surface.f(theta0) - surface.f_min
    with numpy.errstate(all="ignore"):  # a diverged column may overflow; it is marked and its losses set to inf
        hparams = _rules.select_hparams(rule, RACE_HPARAMS)
        for t, (theta, _) in enumerate(iterate(rule, grad, theta0, steps, lr=lr, **hparams), start=1):
            diverged |= ~numpy.all(numpy.isfinite(theta) & (numpy.abs(theta) <= DIVERGENCE_BOUND), axis=0)
            excess[t] = numpy.where(diverged, numpy.inf, surface.f(theta) - surface.f_min)
    return excess, diverged


def mean_log_loss(excess) -> numpy.ndarray:
    r"""Per column, the mean over the run of :math:`\log_{10}(\max(f - f_{\min}, 0) + 10^{-12})`; +inf if diverged."""
    return numpy.log10(numpy.maximum(excess, 0.0) + LOSS_FLOOR).mean(axis=0)


def sensitivity(surface: Surface, rules, lrs, steps: int, starts, noise: float = 0.0, seeds=(0,),
                progress=None) -> list[dict]:
    """One row per rule × η × start × noise seed (:data:`SENSITIVITY_FIELDS`). Every rule and η see the same
    starts and the same noise for a given seed. ``progress()`` is called after each rule × η."""
    rows = []
    for rule in rules:
        for lr in lrs:
            for seed in seeds:
                excess, diverged = run_many(surface, rule, lr, steps, starts, noise, seed)
                scores = mean_log_loss(excess)
                for k, start in enumerate(starts):
                    rows.append({"rule": rule, "lr": float(lr), "start": k, "x0": start[0], "y0": start[1],
                                 "noise": float(noise), "seed": int(seed), "final_loss": float(excess[-1, k]),
                                 "mean_log10_loss": float(scores[k]), "diverged": bool(diverged[k])})
            if progress is not None:
                progress()
    return rows


def summarize_sensitivity(rows) -> dict:
    """``{rule: {"lr": [...], "median": [...], "low": [...], "high": [...], "diverged": [...]}}``: the median,
    minimum and maximum final excess loss over starts × seeds at each η, and the share of diverged runs."""
    out: dict = {}
    for row in rows:
        out.setdefault(row["rule"], {}).setdefault(row["lr"], []).append(row)
    table = {}
    for rule, by_lr in out.items():
        lrs = sorted(by_lr)
        finals = [numpy.array([r["final_loss"] for r in by_lr[lr]]) for lr in lrs]
        table[rule] = {"lr": lrs,
                       "median": [float(numpy.median(f)) for f in finals],
                       "low": [float(f.min()) for f in finals],
                       "high": [float(f.max()) for f in finals],
                       "diverged": [float(numpy.mean([r["diverged"] for r in by_lr[lr]])) for lr in lrs]}
    return table


def plot_sensitivity(surface: Surface, rows, steps: int, small_multiples: bool = True, panel_size=(5.0, 3.6),
                     fontsize: int = 11):
    """For each rule, the median final :math:`f - f_{\\min}` against η (log-log), the band from the best to the
    worst start × seed, and an X where more than half the runs diverged; one panel per rule by default, three
    to a row, each ``panel_size`` inches (the CLI's sensitivity.png: 5 × 3.6 in, 15 in wide). ``fontsize`` is the
    tick labels' size in points; titles and axis labels are 1–3 pt larger. For the book's ~700 px column:
    ``panel_size=(2.6, 2.4), fontsize=10`` (7.8 in wide at 90 dpi)."""
    from .plots import RULE_STYLE, new_figure  # matplotlib only when drawing

    table = summarize_sensitivity(rows)
    n = len(table)
    cols = min(3, n) if small_multiples else 1
    panels = math.ceil(n / cols) if small_multiples else 1
    fig = new_figure(panel_size[0] * cols if small_multiples else 10, panel_size[1] * panels if small_multiples else 6)
    fig.set_layout_engine("constrained")  # unlike tight_layout, makes room for the sup-labels: no overlap
    axes = fig.subplots(panels, cols, sharex=True, sharey=True, squeeze=False).ravel()
    runs = {(r["start"], r["seed"]) for r in rows}
    finite = [v for s in table.values() for v in s["high"] + s["median"] if math.isfinite(v)]
    cap = 10.0 ** math.ceil(math.log10(max(finite + [1.0])) + 1)  # diverged runs (+inf) are drawn at this level
    noise = rows[0]["noise"] if rows else 0.0
    for k, (rule, s) in enumerate(table.items()):
        ax = axes[k] if small_multiples else axes[0]
        colour, style = RULE_STYLE.get(rule, ("black", "-"))
        lr = numpy.array(s["lr"])
        median, low, high = (numpy.minimum(numpy.array(s[key]), cap) for key in ("median", "low", "high"))
        ax.fill_between(lr, numpy.maximum(low, LOSS_FLOOR), numpy.maximum(high, LOSS_FLOOR), color=colour, alpha=0.25,
                        linewidth=0)
        ok = numpy.array(s["diverged"]) <= 0.5
        ax.plot(lr[ok], numpy.maximum(median[ok], LOSS_FLOOR), color=colour, linestyle=style, marker="o", lw=2.2,
                ms=5, label=rule)
        ax.plot(lr[~ok], numpy.full((~ok).sum(), cap), linestyle="none", marker="X", ms=9, color=colour)
        if small_multiples:
            ax.set_title(rule, fontsize=fontsize + 2, color=colour)
    for ax in axes[:n if small_multiples else 1]:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, which="major", alpha=0.3)
        ax.tick_params(labelsize=fontsize)
    for ax in axes[n:] if small_multiples else axes[1:]:
        ax.set_visible(False)
    if not small_multiples:
        axes[0].legend(fontsize=fontsize + 1, ncol=3)
    fig.supxlabel("learning rate η", fontsize=fontsize + 2)
    narrow = fig.get_figwidth() < 10  # a narrow figure breaks its title in two
    fig.supylabel(f"final f − f_min after {steps} steps\n(median, band: best to worst; X at the top: diverged)",
                  fontsize=fontsize + 1)
    fig.suptitle(f"{surface.title}: η sensitivity over {len(runs)} runs per η" + ("\n" if narrow else " ")
                 + f"(starts × noise seeds, noise σ = {noise:g})", fontsize=fontsize + 3)
    return fig
