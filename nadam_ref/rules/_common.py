"""What the rule modules share: hyper-parameters, their checks, and the few helpers several boxes use.

A rule module defines

* ``NAME``, ``ALGORITHM`` (where the box is in the paper), ``DEFAULT_LR`` and ``HPARAMS`` (the ones it reads);
* ``STATE`` — the names of its state arrays, each starting at zero (``m``, ``n``);
* ``BOX`` — the lines of its algorithm box as ``(symbol, text)`` pairs, in order, for traces;
* ``step(theta, g, state, hp) -> (theta, state, trace)`` — one step, written line for line as the box.
  ``nag_lookahead`` takes a gradient function in place of ``g``.

``state`` holds ``t`` (steps taken), ``mu_prod`` (the running product of the schedule) and the arrays.
``step`` never modifies its inputs: it returns a new state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .. import schedules
from ..backend import array_module

#: Where ε goes. ``"inside"`` (the paper) and ``"outside"`` serve the rules with a square root; ``"hat"`` is Adam's
#: ε̂ form (keras); ``"max"`` puts ε inside AdaMax's max (torch, optax). A rule lists those it accepts in its own
#: ``EPS_PLACEMENTS`` (default: inside and outside).
EPS_PLACEMENTS = ("inside", "outside", "hat", "max")

PAPER_DEFAULTS = {"mu": 0.99, "nu": 0.999, "eps": 1e-8, "schedule": "paper", "eps_placement": "inside",
                  "bias_correction": False, "eps_root": 0.0, "n0": 0.0}

#: Every hyper-parameter a rule can be given. A rule ignores those it does not read (``HPARAMS`` lists those).
HPARAM_NAMES = ("lr", "mu", "nu", "eps", "schedule", "eps_placement", "bias_correction", "eps_root", "n0")


@dataclass(frozen=True)
class HParams:
    r"""Checked hyper-parameters of one rule.

    ``lr`` is :math:`\eta`, ``mu`` is :math:`\mu`, ``nu`` is :math:`\nu`, ``eps`` is :math:`\varepsilon`,
    ``schedule`` gives :math:`\mu_t` (see :mod:`nadam_ref.schedules`), ``eps_placement`` puts
    :math:`\varepsilon` inside the root, :math:`\sqrt{\hat n + \varepsilon}` (the paper), or outside,
    :math:`\sqrt{\hat n} + \varepsilon` (Kingma & Ba, torch, keras). ``bias_correction`` is RMSProp's
    :math:`\hat n_t = n_t / (1 - \nu^t)`, which the paper's experiments used ("All algorithms used initialization
    bias correction") though Algorithm 5 does not print it.

    Two more exist only so that other libraries can be expressed exactly (both 0 reproduce the paper):
    ``eps_root`` is optax's second constant inside the root, :math:`\sqrt{\hat n + \varepsilon_{root}} +
    \varepsilon` (Adam, Nadam); ``n0`` is AdaGrad's starting accumulator :math:`n_0` (``initial_accumulator_value``:
    0.1 by default in optax and keras, 0 in torch).
    """

    lr: float
    mu: float = PAPER_DEFAULTS["mu"]
    nu: float = PAPER_DEFAULTS["nu"]
    eps: float = PAPER_DEFAULTS["eps"]
    schedule: object = PAPER_DEFAULTS["schedule"]
    eps_placement: str = PAPER_DEFAULTS["eps_placement"]
    bias_correction: bool = False
    eps_root: float = PAPER_DEFAULTS["eps_root"]
    n0: float = PAPER_DEFAULTS["n0"]
    mu_at: schedules.Schedule = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        _check_number("lr", self.lr, "a finite number > 0", lambda v: v > 0)
        _check_number("mu", self.mu, "a number in [0, 1)", lambda v: 0 <= v < 1)
        _check_number("nu", self.nu, "a number in (0, 1)", lambda v: 0 < v < 1)
        _check_number("eps", self.eps, "a finite number >= 0", lambda v: v >= 0)
        _check_number("eps_root", self.eps_root, "a finite number >= 0", lambda v: v >= 0)
        _check_number("n0", self.n0, "a finite number >= 0", lambda v: v >= 0)
        if self.eps_placement not in EPS_PLACEMENTS:
            raise ValueError(f"eps_placement={self.eps_placement!r}; expected one of {EPS_PLACEMENTS}")
        if not isinstance(self.bias_correction, bool):
            raise TypeError(f"bias_correction={self.bias_correction!r}; expected True or False")
        schedule = schedules.resolve(self.schedule, self.mu)
        object.__setattr__(self, "mu_at", lambda t: schedules.check_mu_t(schedule(t), t))

    def describe(self) -> dict:
        """The hyper-parameters as plain values (a callable schedule shows as its name)."""
        out = {k: getattr(self, k) for k in HPARAM_NAMES}
        if callable(out["schedule"]):
            out["schedule"] = getattr(out["schedule"], "__name__", "callable")
        return out


def make_hparams(rule, **given) -> HParams:
    """Fill the paper's defaults and the rule's default ``lr``; reject unknown names, naming them."""
    unknown = sorted(set(given) - set(HPARAM_NAMES))
    if unknown:
        raise TypeError(f"unknown hyper-parameter(s) {unknown} for rule {rule.NAME!r}; expected some of {HPARAM_NAMES}")
    given = {k: v for k, v in given.items() if v is not None}
    given.setdefault("lr", rule.DEFAULT_LR)
    accepted = getattr(rule, "EPS_PLACEMENTS", ("inside", "outside"))
    placement = given.get("eps_placement", PAPER_DEFAULTS["eps_placement"])
    if "eps_placement" in rule.HPARAMS and placement not in accepted:
        raise ValueError(f"eps_placement={placement!r}; expected one of {accepted} for rule {rule.NAME!r}")
    return HParams(**given)


def _check_number(name, value, expected, ok):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}={value!r}; expected {expected}") from None
    if isinstance(value, bool) or not math.isfinite(v) or not ok(v):
        raise ValueError(f"{name}={value!r}; expected {expected}")


def momentum_schedule(state, hp: HParams):
    r"""The schedule quantities of step :math:`t`, for the boxes that use them.

    Returns :math:`t`, :math:`\mu_t`, :math:`\mu_{t+1}`, :math:`\prod_{i=1}^{t}\mu_i` and
    :math:`\prod_{i=1}^{t+1}\mu_i`.
    """
    t = state["t"] + 1
    mu_t, mu_next = hp.mu_at(t), hp.mu_at(t + 1)
    mu_prod = schedules.advance_product(state["mu_prod"], mu_t)
    mu_prod_next = schedules.advance_product(mu_prod, mu_next)
    return t, mu_t, mu_next, mu_prod, mu_prod_next


def root(n_hat, eps: float, eps_placement: str):
    r""":math:`\sqrt{\hat n + \varepsilon}` (``"inside"``, the paper) or
    :math:`\sqrt{\hat n} + \varepsilon` (``"outside"``)."""
    xp = array_module(n_hat)
    if eps_placement == "inside":
        return xp.sqrt(n_hat + eps)
    return xp.sqrt(n_hat) + eps


def maximum(a, b):
    """Element-wise max, on the backend of the arrays."""
    xp = array_module(a, b)
    return xp.maximum(a, b)


def absolute(g):
    """Element-wise absolute value, on the backend of ``g``."""
    xp = array_module(g)
    return xp.abs(g)
