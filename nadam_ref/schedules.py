r"""Momentum schedules :math:`\mu_t` and their running products.

Dozat (2016), Section 4: "a momentum schedule given by :math:`\mu_t = \mu(1 - .5 \times .96^{t/250})` with
:math:`\mu = .99`, similar to the recommendation in [Sutskever et al. 2013]". We call it the *warming* schedule:
:math:`\mu_1 \approx 0.495` and :math:`\mu_t \to \mu` as training goes on (half-way after about 4,250 steps).

A schedule here is any callable ``t -> mu_t`` for ``t = 1, 2, ...``. Three ways to ask for one
(the ``schedule`` hyper-parameter):

* ``"paper"``: :func:`warming` with the paper's constants (the default);
* ``"constant"``: :math:`\mu_t = \mu` for every t, which reduces every rule to its algorithm box as printed;
* ``"keras"``: :func:`warming` with timescale 1, :math:`\mu_t = \mu(1 - \tfrac12\, 0.96^{t})`, as keras 3's
  ``Nadam`` computes it (250 times faster than the paper's; no keras argument changes it). torch's ``NAdam``
  computes :math:`0.96^{t\psi}` with ``momentum_decay`` :math:`\psi` = 0.004 by default, which is ``"paper"``;
  another :math:`\psi` is ``partial(warming, mu=mu, timescale=1/psi)``;
* a callable ``t -> mu_t`` of your own.

The rules that bias-correct momentum (Adam, AdaMax, Nadam, NadaMax) divide by
:math:`1 - \prod_{i=1}^{t} \mu_i`. That product is carried in the optimizer state and updated by one
multiplication a step (:func:`advance_product`), never recomputed, so a run resumed from a checkpoint multiplies
the very same floats as an uninterrupted one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

Schedule = Callable[[int], float]
SCHEDULE_NAMES = ("paper", "constant")
#: Named schedules that reproduce a library rather than the paper.
LIBRARY_SCHEDULES = ("keras",)
#: Every schedule name :func:`resolve` knows (a rule's declaration says which of them it offers).
NAMED = SCHEDULE_NAMES + LIBRARY_SCHEDULES
KERAS_TIMESCALE = 1.0

PAPER_MU = 0.99
PAPER_DECAY = 0.96
PAPER_TIMESCALE = 250.0


def warming(t: int, mu: float = PAPER_MU, decay: float = PAPER_DECAY, timescale: float = PAPER_TIMESCALE) -> float:
    r""":math:`\mu_t = \mu\,(1 - \tfrac12\,\text{decay}^{t/\text{timescale}})`.

    The paper's: decay .96, timescale 250."""
    return mu * (1.0 - 0.5 * decay ** (t / timescale))


def constant(t: int, mu: float = PAPER_MU) -> float:
    r""":math:`\mu_t = \mu`."""
    return mu


def resolve(schedule, mu: float) -> Schedule:
    """Turn the ``schedule`` hyper-parameter into a callable ``t -> mu_t``.

    Raises ValueError naming the bad value for an unknown name, and TypeError for something that is neither a
    name nor a callable.
    """
    if callable(schedule):
        return schedule
    if isinstance(schedule, str):
        if schedule == "paper":
            return partial(warming, mu=mu)
        if schedule == "constant":
            return partial(constant, mu=mu)
        if schedule == "keras":
            return partial(warming, mu=mu, timescale=KERAS_TIMESCALE)
        raise ValueError(f"unknown schedule {schedule!r}; expected one of {SCHEDULE_NAMES}, a library's "
                         f"{LIBRARY_SCHEDULES} or a callable t -> mu_t")
    raise TypeError(f"schedule must be one of {SCHEDULE_NAMES} or a callable t -> mu_t, got {schedule!r}")


def identify(schedule) -> str:
    """A name for ``schedule`` that tells it apart from any other, for state files: the name itself, or the
    qualified name of a module-level function, with the arguments of a ``functools.partial`` around it, e.g.
    ``"nadam_ref.schedules.warming(mu=0.99, timescale=100.0)"``.

    Raises ValueError for a schedule that cannot be named so (a lambda, a nested function, a callable object, a
    partial with arguments other than numbers and strings): two of them could not be told apart.
    """
    if isinstance(schedule, str):
        return schedule
    args, kwargs, function = (), {}, schedule
    while isinstance(function, partial):
        args, kwargs, function = function.args + args, {**function.keywords, **kwargs}, function.func
    name = getattr(function, "__qualname__", None)
    module = getattr(function, "__module__", None)
    plain = all(_plain(v) for v in (*args, *kwargs.values()))
    if not (name and module and plain) or "<" in name:
        raise ValueError(f"the schedule {schedule!r} cannot be identified in a state file (only a schedule name, a "
                         "module-level function or a functools.partial of one with number or string arguments can); "
                         "give one of those")
    given = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in sorted(kwargs.items())]
    return f"{module}.{name}" + (f"({', '.join(given)})" if given else "")


def _plain(value) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) or value is None


def advance_product(product_so_far: float, mu_t: float) -> float:
    r""":math:`\prod_{i=1}^{t} \mu_i` from :math:`\prod_{i=1}^{t-1} \mu_i` (1.0 before the first step)."""
    return product_so_far * mu_t


def products(schedule: Schedule, steps: int) -> list[float]:
    r"""The running products :math:`\prod_{i=1}^{t} \mu_i` for ``t = 1 .. steps``, for plots and notebooks."""
    out, prod = [], 1.0
    for t in range(1, steps + 1):
        prod = advance_product(prod, schedule(t))
        out.append(prod)
    return out


def check_mu_t(value: float, t: int) -> float:
    """A callable schedule must give a finite mu_t in [0, 1); say which t broke it."""
    try:
        mu_t = float(value)
    except (TypeError, ValueError):
        mu_t = math.nan
    if not (math.isfinite(mu_t) and 0.0 <= mu_t < 1.0):
        raise ValueError(f"the schedule gave mu_{t} = {value!r}; expected a finite number in [0, 1)")
    return mu_t
