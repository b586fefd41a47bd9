r"""Pictures for the notebooks: what a rule does at every point, and the quantities inside its box over time.

* :func:`update_field` / :func:`plot_update_field` — the update vector field of a rule (quiver);
* :func:`plot_momentum_schedule` — :math:`\mu_t` and :math:`\prod_{i\le t}\mu_i`, warming against constant;
* :func:`bias_correction_factors` / :func:`plot_bias_corrections` — the factors the boxes divide by, over t;
* :func:`effective_step_sizes` / :func:`plot_effective_step_sizes` — :math:`\eta` over the denominator, per
  coordinate, along a run of an adaptive rule;
* :func:`momentum_rate` / :func:`plot_momentum_rate_map` — the convergence rate of momentum on a quadratic over
  :math:`(\eta, \mu)`, as in Goh, "Why Momentum Really Works", Distill (2017).

Every quantity comes from the rules themselves (:func:`nadam_ref.trajectory`, :func:`nadam_ref.trajectory.trace_steps`)
or from :mod:`nadam_ref.schedules`; the rules run with the races' hyper-parameters
(:data:`nadam_ref.surfaces.race.RACE_HPARAMS`) unless told otherwise.
"""

from __future__ import annotations

import numpy  # host-side: grids for plotting; the rules still run on the backend of their inputs
from matplotlib.colors import LogNorm

from .. import rules as _rules
from .. import schedules
from ..backend import array_module, to_host
from ..trajectory import trace_steps, trajectory
from .functions import Surface
from .plots import RULE_STYLE, draw_surface, new_figure
from .race import RACE_HPARAMS, check_start, check_steps

# --- the update vector field ------------------------------------------------------------------------------------


def update_field(surface: Surface, rule: str, lr: float, resolution: int = 21, steps: int = 1, **hparams):
    r"""The mean displacement per step, :math:`(\theta_k - \theta_0)/k` with :math:`k` = ``steps``, of ``rule``
    started from fresh state at every point of a ``resolution`` × ``resolution`` grid over the window.

    All points run at once: the rules act element-wise, so a grid of shape ``(2, H, W)`` is one θ.
    Returns host arrays ``(x, y, u, v)``. With ``steps=1`` the adaptive rules' field is nearly
    :math:`-\eta\,\mathrm{sign}(g)`: their first step normalises each coordinate.
    """
    check_steps(steps)
    (x_lo, x_hi), (y_lo, y_hi) = surface.window
    x, y = numpy.meshgrid(numpy.linspace(x_lo, x_hi, resolution), numpy.linspace(y_lo, y_hi, resolution))
    hparams = {**_rules.select_hparams(rule, RACE_HPARAMS), **hparams}
    path = trajectory(rule, surface.grad, numpy.stack([x, y]), steps, lr=lr, **hparams)
    u, v = to_host((path[-1] - path[0]) / steps)
    return x, y, u, v


def plot_update_field(surface: Surface, rule: str, lr: float, resolution: int = 21, steps: int = 1, **hparams):
    """Quiver of :func:`update_field` on the surface's contours: arrows show direction, colour the step length."""
    x, y, u, v = update_field(surface, rule, lr, resolution, steps, **hparams)
    length = numpy.hypot(u, v)
    unit = numpy.where(length > 0, 1.0 / numpy.maximum(length, 1e-300), 0.0)
    fig = new_figure(6.4, 5.2)
    ax = fig.add_subplot()
    draw_surface(ax, surface)
    positive = length[length > 0]
    varied = positive.size > 0 and positive.max() > 1.05 * positive.min()
    arrows = ax.quiver(x, y, u * unit, v * unit, length, norm=LogNorm(positive.min(), positive.max()) if varied
                       else None, cmap="viridis", pivot="mid", angles="xy", scale=resolution * 1.1)
    if varied:
        fig.colorbar(arrows, ax=ax, label="step length |Δθ| per step")
    else:  # every arrow as long as the next (an adaptive rule's first step): a colour bar would say nothing
        ax.text(0.02, 0.02, f"every step ≈ {float(positive.max()) if positive.size else 0.0:.3g} long",
                transform=ax.transAxes, fontsize=8, bbox={"facecolor": "white", "alpha": 0.85})
    ax.set_title(f"{rule} (η={lr:g}) on {surface.title}: mean update over {steps} step(s)", fontsize=10)
    return fig


# --- momentum schedule and bias corrections ---------------------------------------------------------------------


def plot_momentum_schedule(steps: int = 10_000, mu: float = schedules.PAPER_MU):
    r""":math:`\mu_t` (left) and :math:`\prod_{i\le t}\mu_i` (right) for the paper's warming schedule and for a
    constant :math:`\mu`, over ``steps`` steps."""
    t = numpy.arange(1, check_steps(steps) + 1)
    fig = new_figure(10, 3.8)
    left, right = fig.subplots(1, 2)
    for name, style in (("paper", "-"), ("constant", "--")):
        at = schedules.resolve(name, mu)
        label = "warming μ(1 − ½·0.96^{t/250})" if name == "paper" else f"constant μ = {mu}"
        left.plot(t, [at(int(k)) for k in t], style, label=label)
        right.semilogy(t, schedules.products(at, steps), style, label=label)
    left.set(xlabel="t", ylabel="μ_t", title="the momentum schedule μ_t")
    right.set(xlabel="t", ylabel="∏_{i≤t} μ_i", title="its running product (what the bias corrections use)")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=11)
    fig.tight_layout()
    return fig


def bias_correction_factors(steps: int = 10_000, mu: float = schedules.PAPER_MU, nu: float = 0.999,
                            schedule="paper") -> dict:
    r"""The factors by which the boxes scale their averages, for t = 1 … ``steps`` (host arrays):

    * ``"m_hat (adam)"``: :math:`1/(1-\prod_{i\le t}\mu_i)` (Algorithm 6 under the schedule);
    * ``"m_hat (nadam)"``: :math:`1/(1-\prod_{i\le t+1}\mu_i)` (Algorithm 8's :math:`\hat m_t`);
    * ``"m_hat (constant mu)"``: :math:`1/(1-\mu^t)` (Kingma & Ba);
    * ``"sqrt n_hat"``: :math:`1/\sqrt{1-\nu^t}`, what :math:`\hat n_t = n_t/(1-\nu^t)` does to the step.
    """
    at = schedules.resolve(schedule, mu)
    products = numpy.asarray(schedules.products(at, check_steps(steps) + 1))
    t = numpy.arange(1, steps + 1)
    return {
        "t": t,
        "m_hat (adam)": 1.0 / (1.0 - products[:-1]),
        "m_hat (nadam)": 1.0 / (1.0 - products[1:]),
        "m_hat (constant mu)": 1.0 / (1.0 - mu**t),
        "sqrt n_hat": 1.0 / numpy.sqrt(1.0 - nu**t),
    }


def plot_bias_corrections(steps: int = 10_000, mu: float = schedules.PAPER_MU, nu: float = 0.999):
    """:func:`bias_correction_factors` against t, both axes logarithmic."""
    factors = bias_correction_factors(steps, mu, nu)
    t = factors.pop("t")
    fig = new_figure(7, 4.2)
    ax = fig.add_subplot()
    for (name, values), style in zip(factors.items(), ("-", "--", ":", "-."), strict=False):
        ax.loglog(t, values, style, label=name)
    ax.set(xlabel="t", ylabel="factor", title=f"bias-correction factors (μ = {mu}, ν = {nu})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=11)
    fig.tight_layout()
    return fig


# --- effective per-coordinate step sizes ----------------------------------------------------------------------


def adaptive_rules() -> tuple[str, ...]:
    """The rules that divide by a running norm of the gradients (those with an ``n`` in their state)."""
    return tuple(name for name in _rules.RULES if "n" in _rules.get(name).STATE)


def effective_step_sizes(surface: Surface, rule: str, lr: float, steps: int, start=None, **hparams):
    r"""Per step and coordinate, :math:`\eta` divided by the rule's denominator — the learning rate each
    coordinate actually gets — as a host array of shape ``(steps, 2)``.

    It is read off the rule's own trace as update / numerator, where the numerator is :math:`\bar m_t` (Nadam,
    NadaMax), :math:`\hat m_t` (Adam, AdaMax) or :math:`g_t` (RMSProp, MaxaProp, AdaGrad); NaN where the
    numerator is exactly zero.
    """
    if rule not in adaptive_rules():
        raise ValueError(f"rule {rule!r} is not adaptive: every coordinate gets η; expected one of {adaptive_rules()}")
    x, y = check_start(surface, surface.start if start is None else start)
    theta0 = numpy.array([x, y])
    rows = []
    hparams = {**_rules.select_hparams(rule, RACE_HPARAMS), **hparams}
    for trace in trace_steps(rule, surface.grad, theta0, check_steps(steps), lr=lr, **hparams):
        numerator = trace.get("m_bar", trace.get("m_hat", trace["g"]))
        xp = array_module(numerator)
        safe = xp.where(numerator != 0, numerator, 1.0)
        rows.append(xp.where(numerator != 0, trace["update"] / safe, xp.nan))
    return to_host(array_module(theta0).stack(rows))


def plot_effective_step_sizes(surface: Surface, lrs: dict, steps: int, start=None, stacked: bool = False):
    """:func:`effective_step_sizes` of each adaptive rule in ``lrs`` (rule → η), x on the left, y on the right;
    ``stacked``: x above y, 7.8 in wide, for the book's ~700 px column."""
    fig = new_figure(7.8, 7.2) if stacked else new_figure(10, 3.8)
    axes = fig.subplots(2, 1, sharex=True, sharey=True) if stacked else fig.subplots(1, 2, sharey=True)
    for rule, lr in lrs.items():
        sizes = effective_step_sizes(surface, rule, lr, steps, start)
        colour, style = RULE_STYLE.get(rule, ("black", "-"))
        for k, ax in enumerate(axes):
            ax.semilogy(numpy.arange(1, steps + 1), sizes[:, k], color=colour, linestyle=style,
                        label=f"{rule} η={lr:g}")
    for ax, coord in zip(axes, "xy", strict=False):
        ax.set(title=f"effective step size along {coord} on {surface.title}")
        ax.grid(True, which="major", alpha=0.3)
        if stacked:
            ax.set_ylabel("η / denominator")
    axes[-1].set_xlabel("step t")
    if not stacked:
        axes[0].set(xlabel="step t", ylabel="η / denominator")
    axes[1].legend(fontsize=12)
    fig.tight_layout()
    return fig


# --- convergence rate of momentum on a quadratic --------------------------------------------------------------


def momentum_rate(lr, mu, curvature, nesterov: bool = False):
    r"""The linear convergence rate of momentum with constant :math:`\mu` on :math:`f = \tfrac{\lambda}{2}\theta^2`:
    the spectral radius of the step's 2 × 2 iteration matrix on :math:`(m, \theta)`.

    Classical momentum (Algorithm 2), :math:`m_t = \mu m_{t-1} + \lambda\theta_{t-1}`,
    :math:`\theta_t = \theta_{t-1} - \eta m_t`, has trace :math:`1 + \mu - \eta\lambda` and determinant
    :math:`\mu`; NAG (Algorithm 7) has trace :math:`1 + \mu - \eta\lambda(1 + \mu)` and determinant
    :math:`\mu(1 - \eta\lambda)`. The eigenvalues solve :math:`z^2 - \mathrm{tr}\,z + \det = 0`; a rate below 1
    converges, and the error shrinks by that factor per step. Works element-wise on arrays (any backend).
    """
    xp = array_module(lr, mu)
    lr, mu = xp.asarray(lr, dtype="float64"), xp.asarray(mu, dtype="float64")
    h = lr * curvature
    trace = 1 + mu - h * (1 + mu) if nesterov else 1 + mu - h
    det = mu * (1 - h) if nesterov else mu + 0 * h
    disc = trace**2 - 4 * det
    root = xp.sqrt(xp.abs(disc))
    real_case = xp.maximum(xp.abs(trace + root), xp.abs(trace - root)) / 2
    complex_case = xp.sqrt(xp.abs(det))  # |z|² = det for a complex pair
    return xp.where(disc >= 0, real_case, complex_case)


def momentum_rate_map(curvatures=(0.2, 4.0), lrs=None, mus=None, nesterov: bool = False):
    r"""The rate on a quadratic with Hessian eigenvalues ``curvatures`` (default: 0.1x² + 2y², eigenvalues 0.2 and
    4) over a grid of :math:`\eta` (columns) and :math:`\mu` (rows): the slowest eigen-direction decides.
    Returns host arrays ``(lrs, mus, rate)``."""
    lrs = numpy.linspace(0.005, 1.0, 200) if lrs is None else numpy.asarray(lrs, dtype="float64")
    mus = numpy.linspace(0.0, 0.995, 200) if mus is None else numpy.asarray(mus, dtype="float64")
    lr_grid, mu_grid = numpy.meshgrid(lrs, mus)
    rate = numpy.max(numpy.stack([momentum_rate(lr_grid, mu_grid, c, nesterov) for c in curvatures]), axis=0)
    return lrs, mus, rate


def plot_momentum_rate_map(curvatures=(0.2, 4.0), nesterov: bool = False):
    """Heat map of :func:`momentum_rate_map` (dark = fast), white where it diverges, the best cell marked."""
    lrs, mus, rate = momentum_rate_map(curvatures, nesterov=nesterov)
    fig = new_figure(6.4, 4.8)
    ax = fig.add_subplot()
    shown = numpy.ma.masked_where(rate >= 1, rate)
    mesh = ax.pcolormesh(lrs, mus, shown, cmap="magma", vmin=float(rate.min()), vmax=1.0, shading="auto")
    ax.contour(lrs, mus, rate, levels=[1.0], colors="black", linewidths=1.0)
    best = numpy.unravel_index(numpy.argmin(rate), rate.shape)
    ax.plot(lrs[best[1]], mus[best[0]], marker="*", markersize=14, color="cyan", markeredgecolor="black",
            label=f"fastest: η={lrs[best[1]]:.3f}, μ={mus[best[0]]:.3f}, rate {rate[best]:.3f}")
    fig.colorbar(mesh, ax=ax, label="rate: error shrinks by this factor per step")
    name = "NAG (Algorithm 7)" if nesterov else "momentum (Algorithm 2)"
    ax.set_xlabel("learning rate η")
    ax.set_ylabel("momentum μ")
    ax.set_title(f"{name}, Hessian eigenvalues {tuple(curvatures)}\nwhite: diverges", fontsize=9)
    ax.legend(fontsize=11, loc="lower right")
    return fig


def stability_limits(mu: float, curvature: float) -> dict:
    r"""The largest stable :math:`\eta` of momentum and of NAG (constant :math:`\mu`) for one eigenvalue
    :math:`\lambda`, and the :math:`\eta` of critical damping (a double root of the iteration):

    * momentum: stable for :math:`\eta\lambda < 2(1+\mu)`; critically damped at :math:`\eta\lambda = (1\mp\sqrt\mu)^2`;
    * NAG: stable for :math:`\eta\lambda < 2(1+\mu)/(1+2\mu)`; critically damped at
      :math:`\eta\lambda = ((1-\mu)/(1+\mu))^2` (and, trivially, at :math:`\eta\lambda = 1`, where both roots are 0).
    """
    return {"momentum_stable": 2 * (1 + mu) / curvature,
            "nag_stable": 2 * (1 + mu) / ((1 + 2 * mu) * curvature),
            "momentum_critical": ((1 - mu**0.5) ** 2 / curvature, (1 + mu**0.5) ** 2 / curvature),
            "nag_critical": ((1 - mu) / (1 + mu)) ** 2 / curvature}


def optimal_rates(curvatures=(0.2, 4.0)) -> dict:
    r"""The best rate over the whole :math:`(\eta, \mu)` plane on a quadratic whose Hessian eigenvalues lie in
    :math:`[\lambda, L]` (``min`` and ``max`` of ``curvatures``), :math:`\kappa = L/\lambda`, in closed form, with the
    :math:`(\eta, \mu)` that attains it:

    * momentum (Polyak 1964): rate :math:`(\sqrt\kappa - 1)/(\sqrt\kappa + 1)` at
      :math:`\eta = 4/(\sqrt L + \sqrt\lambda)^2`, :math:`\mu = \bigl((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\bigr)^2`;
    * NAG (Lessard, Recht & Packard 2016): rate :math:`1 - 2/\sqrt{3\kappa + 1}` at :math:`\eta = 4/(3L + \lambda)`,
      :math:`\mu = (\sqrt{3\kappa + 1} - 2)/(\sqrt{3\kappa + 1} + 2)`.
    """
    small, big = min(curvatures), max(curvatures)
    kappa = big / small
    heavy = (kappa**0.5 - 1) / (kappa**0.5 + 1)
    root = (3 * kappa + 1) ** 0.5
    return {"momentum": {"rate": heavy, "lr": 4 / (big**0.5 + small**0.5) ** 2, "mu": heavy**2},
            "nag": {"rate": 1 - 2 / root, "lr": 4 / (3 * big + small), "mu": (root - 2) / (root + 2)}}


def plot_rate_analysis(mu: float = 0.9, curvatures=(0.2, 4.0), lr_max: float = 1.2, figsize=(11, 4.6)):
    r"""The rate per eigenvalue against :math:`\eta` at one :math:`\mu`, momentum (solid) and NAG (dashed), with
    each method's stability limit, momentum's critical damping and :math:`\eta = 1/L` marked; the slowest
    eigenvalue (the upper envelope) is the rate of the whole quadratic. ``mu`` is what a slider moves;
    ``figsize=(7.8, 5.2)`` for the book's ~700 px column (a narrow figure breaks its title in two)."""
    lrs = numpy.linspace(lr_max / 600, lr_max, 600)
    big = max(curvatures)
    fig = new_figure(*figsize)
    ax = fig.add_subplot()
    for k, c in enumerate(curvatures):
        colour = ("#0072B2", "#D55E00", "#009E73", "#CC79A7")[k % 4]
        ax.plot(lrs, momentum_rate(lrs, mu, c), color=colour, lw=2.2, label=f"momentum, λ = {c:g}")
        ax.plot(lrs, momentum_rate(lrs, mu, c, nesterov=True), color=colour, lw=2.2, ls="--",
                label=f"NAG, λ = {c:g}")
    limits = stability_limits(mu, big)
    marks = ((1 / big, "η = 1/L", "black", "-"), (limits["nag_stable"], "NAG's limit", "#D55E00", ":"),
             (limits["momentum_stable"], "momentum's limit", "#D55E00", "-."))
    for lr, text, colour, style in marks:
        if lr <= lr_max:
            ax.axvline(lr, color=colour, ls=style, lw=1.2)
            ax.text(lr, 1.17, text, rotation=90, va="top", ha="right", fontsize=11)
    for lr in limits["momentum_critical"]:
        if lr <= lr_max:
            ax.plot([lr], [momentum_rate(lr, mu, big)], marker="o", ms=8, color="#D55E00", mec="black")
    ax.axhline(numpy.sqrt(mu), color="0.5", lw=0.8)
    ax.text(lr_max, numpy.sqrt(mu), "√μ", va="bottom", ha="right", fontsize=12, color="0.3")
    ax.set(xlim=(0, lr_max), ylim=(0, 1.2), xlabel="learning rate η", ylabel="rate per step (< 1 converges)")
    ax.set_title(f"rate per eigenvalue, μ = {mu:g}, L = {big:g}" + ("\n" if figsize[0] < 10 else " ")
                 + "(dots: momentum's critical damping)", fontsize=12)
    ax.legend(fontsize=11, ncol=2, loc="lower left")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig
