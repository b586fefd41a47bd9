"""What the rule modules share: hyper-parameters, their checks, and the few helpers several boxes use.

A rule module defines

* ``NAME``, ``ALGORITHM`` (where the box is in the paper), ``DEFAULT_LR``;
* ``SPEC`` — its declaration (:class:`nadam_ref.rules._spec.RuleSpec`): the hyper-parameters it reads, its options
  and their values, the library variants; ``HPARAMS`` is ``SPEC.hparams``;
* ``STATE`` — the names of its state arrays, each starting at zero (``m``, ``n``);
* ``BOX`` — the lines of its algorithm box as ``(symbol, text)`` pairs, in order, for traces;
* ``step(theta, g, state, hp) -> (theta, state, trace)`` — one step, written line for line as the box.
  ``nag_lookahead`` takes a gradient function in place of ``g``.

``state`` holds ``t`` (steps taken), ``mu_prod`` (the running product of the schedule) and the arrays.
``step`` never modifies its inputs: it returns a new state.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from fractions import Fraction
from typing import NamedTuple

from .. import schedules
from ..backend import array_module

#: Where ε goes. ``"inside"`` (the paper) and ``"outside"`` serve the rules with a square root; ``"hat"`` is Adam's
#: ε̂ form (keras); ``"max"`` puts ε inside AdaMax's max (torch, optax). Each rule's ``SPEC.options`` says which it
#: accepts.
EPS_PLACEMENTS = ("inside", "outside", "hat", "max")
#: What m decays with: the schedule's μ_t (Adam's and AdaMax's default: Section 4's schedule put into m) or the
#: constant μ (Algorithms 6 and 8 as printed; Nadam's and NadaMax's default).
M_DECAYS = ("scheduled", "constant")
#: Nadam's m̂: divided by 1 − ∏_{i≤t+1} μ_i (``"next"``, the box) or by 1 − ∏_{i≤t} μ_i (``"current"``: TF1's
#: ApplyAdam(use_nesterov=True), timm's NAdamW, pytorch-optimizer's AdamP(nesterov=True)).
M_HAT_CORRECTIONS = ("next", "current")
#: AMSGrad (Reddi et al. 2018) on Adam's and Nadam's n: ``"none"`` (the boxes), the running max of the raw
#: :math:`n_t` then divided by :math:`1-\nu^t` (``"n"``: torch's ``Adam(amsgrad=True)``, keras'), or the running max
#: of the bias-corrected :math:`\hat n_t` (``"n_hat"``: optax's ``amsgrad``). See :func:`max_n`.
MAX_NS = ("none", "n", "n_hat")
#: The state array AMSGrad adds: the running maximum :func:`max_n` keeps.
MAX_N_STATE = "n_max"

PAPER_DEFAULTS = {"mu": 0.99, "nu": 0.999, "eps": 1e-8, "schedule": "paper", "eps_placement": "inside",
                  "bias_correction": False, "eps_root": 0.0, "n0": 0.0}

#: Every hyper-parameter a rule can be given; each rule reads some of them (``SPEC.hparams``), the others are errors.
HPARAM_NAMES = ("lr", "mu", "nu", "eps", "schedule", "eps_placement", "bias_correction", "eps_root", "n0", "m_decay",
                "m_hat_correction", "max_n")


@dataclass(frozen=True)
class HParams:
    r"""Checked hyper-parameters of one rule, held as plain Python numbers, strings and booleans.

    ``lr`` is :math:`\eta`, ``mu`` is :math:`\mu`, ``nu`` is :math:`\nu`, ``eps`` is :math:`\varepsilon`,
    ``schedule`` gives :math:`\mu_t` (see :mod:`nadam_ref.schedules`), ``eps_placement`` puts
    :math:`\varepsilon` inside the root, :math:`\sqrt{\hat n + \varepsilon}` (the paper), or outside,
    :math:`\sqrt{\hat n} + \varepsilon` (Kingma & Ba, torch, keras). ``bias_correction`` is RMSProp's
    :math:`\hat n_t = n_t / (1 - \nu^t)`, which the paper's experiments used ("All algorithms used initialization
    bias correction") though Algorithm 5 does not print it. ``m_decay`` says whether :math:`m` decays with
    :math:`\mu_t` (``"scheduled"``) or with :math:`\mu` (``"constant"``); see :func:`m_decay`.
    ``m_hat_correction`` is Nadam's :math:`\hat m` denominator (see :mod:`nadam_ref.rules.nadam`). ``max_n`` is
    AMSGrad's running maximum of Adam's and Nadam's second moment (see :func:`max_n`).

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
    m_decay: str = "scheduled"
    m_hat_correction: str = "next"
    max_n: str = "none"
    mu_at: schedules.Schedule = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        for name, expected, ok in _NUMBERS:
            object.__setattr__(self, name, _number(name, getattr(self, name), expected, ok))
        for name, allowed in (("eps_placement", EPS_PLACEMENTS), ("m_decay", M_DECAYS),
                              ("m_hat_correction", M_HAT_CORRECTIONS), ("max_n", MAX_NS)):
            object.__setattr__(self, name, _choice(name, getattr(self, name), allowed))
        object.__setattr__(self, "bias_correction", _flag("bias_correction", self.bias_correction))
        if isinstance(self.schedule, str) or not callable(self.schedule):
            object.__setattr__(self, "schedule", _choice("schedule", self.schedule, schedules.NAMED, "or a callable"))
        schedule = schedules.resolve(self.schedule, self.mu)
        object.__setattr__(self, "mu_at", lambda t: schedules.check_mu_t(schedule(t), t))

    def describe(self) -> dict:
        """The hyper-parameters as plain values; a callable schedule as :func:`nadam_ref.schedules.identify` names
        it (a ValueError for one that cannot be named, such as a lambda)."""
        out = {k: getattr(self, k) for k in HPARAM_NAMES}
        if callable(out["schedule"]):
            out["schedule"] = schedules.identify(out["schedule"])
        return out


_NUMBERS = (("lr", "a finite number > 0", lambda v: v > 0),
            ("mu", "a number in [0, 1)", lambda v: 0 <= v < 1),
            ("nu", "a number in (0, 1)", lambda v: 0 < v < 1),
            ("eps", "a finite number >= 0", lambda v: v >= 0),
            ("eps_root", "a finite number >= 0", lambda v: v >= 0),
            ("n0", "a finite number >= 0", lambda v: v >= 0))


def _number(name, value, expected, ok) -> float:
    """``value`` as a Python float: ints, floats and NumPy scalars pass; bool, str, Decimal, Fraction, complex do
    not (they would pass ``float()`` and fail later, far from here)."""
    if isinstance(value, (bool, Fraction)) or not isinstance(value, numbers.Real):  # NumPy's bool is not Real
        raise TypeError(f"{name}={value!r} ({type(value).__name__}); expected {expected}, given as an int, a float "
                        "or a NumPy scalar")
    v = float(value)
    if not math.isfinite(v) or not ok(v):
        raise ValueError(f"{name}={value!r}; expected {expected}")
    return v


def _choice(name, value, allowed, also="") -> str:
    """``value`` as a Python str if it is one of ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name}={value!r}; expected one of {allowed}{' ' + also if also else ''}")
    return str(value)


def _flag(name, value) -> bool:
    """``value`` as a Python bool: True, False or a NumPy bool, nothing else (1 and "yes" are refused)."""
    numpy_bool = type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")
    if not (isinstance(value, bool) or numpy_bool):
        raise TypeError(f"{name}={value!r} ({type(value).__name__}); expected True or False")
    return bool(value)


def make_hparams(rule, **given) -> HParams:
    """Check ``given`` against the rule's declaration and fill the defaults (the paper's, the rule's ``lr``, its
    options' first values). A hyper-parameter the rule does not read is an error naming the rule and those it
    reads; a value the rule does not offer is an error naming the values it does. ``None`` means "the default"."""
    spec = rule.SPEC
    given = {k: v for k, v in given.items() if v is not None}
    unread = sorted(set(given) - set(spec.hparams))
    if unread:
        raise TypeError(f"rule {spec.name!r} does not read {', '.join(unread)}; it reads {', '.join(spec.hparams)}")
    given.setdefault("lr", rule.DEFAULT_LR)
    for name, allowed in spec.options.items():
        value = given.setdefault(name, allowed[0])
        if not (name == "schedule" and callable(value)) and not _offered(value, allowed):
            also = " or a callable t -> mu_t" if name == "schedule" else ""
            raise ValueError(f"{name}={value!r} is not an option of rule {spec.name!r}; "
                             f"expected one of {allowed}{also}")
    return HParams(**given)


def _offered(value, allowed) -> bool:
    try:
        return bool(value in allowed)
    except (TypeError, ValueError):  # an array compares element-wise
        return False


def select_hparams(rule, settings: dict) -> dict:
    """The subset of ``settings`` that ``rule`` reads: for code that applies common settings (the paper's μ, ν, ε,
    schedule, ...) to many rules. The one place that drops the others, so that nothing else is lenient."""
    return {k: v for k, v in settings.items() if k in rule.SPEC.hparams}


class MomentumSchedule(NamedTuple):
    r"""The schedule quantities of step :math:`t`: :math:`t, \mu_t, \mu_{t+1}, \prod_{i\le t}\mu_i,
    \prod_{i\le t+1}\mu_i`."""

    t: int
    mu_t: float
    mu_next: float
    mu_prod: float
    mu_prod_next: float


def momentum_schedule(state, hp: HParams) -> MomentumSchedule:
    r"""The schedule quantities of step :math:`t`, for the boxes that use them (a :class:`MomentumSchedule`)."""
    t = state["t"] + 1
    mu_t, mu_next = hp.mu_at(t), hp.mu_at(t + 1)
    mu_prod = schedules.advance_product(state["mu_prod"], mu_t)
    mu_prod_next = schedules.advance_product(mu_prod, mu_next)
    return MomentumSchedule(t, mu_t, mu_next, mu_prod, mu_prod_next)


class MDecay(NamedTuple):
    """What :math:`m` decays with, and the product whose complement corrects its bias."""

    mu: float
    prod: float


def m_decay(s: MomentumSchedule, hp: HParams) -> MDecay:
    r"""The decay of :math:`m_t \leftarrow \beta\, m_{t-1} + (1-\beta)\, g_t` and its bias correction.

    Under a constant gradient :math:`\bar g` and :math:`m_0 = 0`, induction on
    :math:`m_t = \beta_t m_{t-1} + (1-\beta_t)\bar g` gives :math:`m_t = (1 - \prod_{i\le t}\beta_i)\,\bar g`, so
    :math:`m_t / (1 - \prod_{i\le t}\beta_i)` is unbiased. Hence

    * ``"scheduled"``: :math:`\beta_t = \mu_t`, corrected by :math:`1 - \prod_{i\le t}\mu_i` (Section 4's schedule
      put into Adam's m: this package's default for Adam and AdaMax);
    * ``"constant"``: :math:`\beta_t = \mu`, corrected by :math:`1 - \mu^t` (Algorithm 6 as printed, Kingma & Ba's
      :math:`\hat m`; Nadam's and NadaMax's default, as Algorithm 8 prints their m).

    Under ``schedule="constant"`` the two are the same numbers.
    """
    if hp.m_decay == "constant":
        return MDecay(hp.mu, hp.mu**s.t)
    return MDecay(s.mu_t, s.mu_prod)


def max_eps(hp: HParams) -> tuple[float, float]:
    r"""Where ε goes in an :math:`L_\infty` rule: ``(inside the max, in the denominator)``.

    ``"inside"`` (the paper): :math:`\max(\nu n, |g|)` and :math:`n + \varepsilon`, i.e. ``(0, ε)``;
    ``"max"`` (torch, optax): :math:`\max(\nu n, |g| + \varepsilon)` and :math:`n`, i.e. ``(ε, 0)``. Adding 0.0
    changes no bit, so one line of code serves both.
    """
    return (hp.eps, 0.0) if hp.eps_placement == "max" else (0.0, hp.eps)


def root(n_hat, eps: float, eps_placement: str, eps_root: float = 0.0):
    r""":math:`\sqrt{\hat n + \varepsilon}` (``"inside"``, the paper) or
    :math:`\sqrt{\hat n} + \varepsilon` (``"outside"``, and keras' ``"hat"`` once its ε is rescaled).

    ``eps_root`` is optax's second constant under the root, :math:`\sqrt{\hat n + \varepsilon_{root}}`; it is added
    only when non-zero, so the paper's path does no extra pass."""
    xp = array_module(n_hat)
    if eps_root:
        n_hat = n_hat + eps_root
    if eps_placement == "inside":
        return xp.sqrt(n_hat + eps)
    return xp.sqrt(n_hat) + eps


def max_n(n, n_hat, state, hp, bias: float) -> tuple:
    r"""AMSGrad's :math:`\hat n_t` and the state it keeps, ``(n_hat, {"n_max": ...})``; under ``max_n="none"``
    (the boxes) ``(n_hat, {})``, with ``n_hat`` as given.

    * ``"n"`` (torch's and keras' ``Adam(amsgrad=True)``): :math:`n^{max}_t = \max(n^{max}_{t-1}, n_t)`,
      :math:`\hat n_t = n^{max}_t / (1-\nu^t)`;
    * ``"n_hat"`` (optax's ``amsgrad``): :math:`n^{max}_t = \max(n^{max}_{t-1}, n_t / (1-\nu^t))`,
      :math:`\hat n_t = n^{max}_t`.

    ``bias`` is :math:`1-\nu^t`. Both start from :math:`n^{max}_0 = 0`.
    """
    if hp.max_n == "none":
        return n_hat, {}
    if MAX_N_STATE not in state:
        raise KeyError(f"max_n={hp.max_n!r} keeps its running maximum in state[{MAX_N_STATE!r}], which this state "
                       "lacks; start it with nadam_ref.rules.init_state(rule, theta, hp)")
    if hp.max_n == "n":
        n_max = maximum(state[MAX_N_STATE], n)
        return n_max / bias, {MAX_N_STATE: n_max}
    n_max = maximum(state[MAX_N_STATE], n_hat)
    return n_max, {MAX_N_STATE: n_max}


#: The lines AMSGrad puts in place of the box's n̂ line, by ``max_n`` reading (see :func:`box`).
MAX_N_BOX = {"n": (("n_max", "n^max_t ← max(n^max_{t−1}, n_t)"), ("n_hat", "n̂_t ← n^max_t / (1 − ν^t)")),
             "n_hat": (("n_hat", "n̂_t ← max(n̂_{t−1}, n_t / (1 − ν^t))"),)}


def box(rule, hp: HParams | None = None) -> tuple:
    """The lines of ``rule``'s box as ``(symbol, text)`` pairs under ``hp``: its ``BOX``, with AMSGrad's lines in
    place of the n̂ line when ``max_n`` keeps a maximum."""
    if hp is None or "max_n" not in rule.SPEC.hparams or hp.max_n == "none":
        return tuple(rule.BOX)
    lines = []
    for symbol, text in rule.BOX:
        lines += MAX_N_BOX[hp.max_n] if symbol == "n_hat" else [(symbol, text)]
    return tuple(lines)


def state_names(rule, hp: HParams | None = None) -> tuple[str, ...]:
    """The names of the state arrays of ``rule`` under ``hp``: its ``STATE``, and AMSGrad's running maximum when
    ``max_n`` asks for one."""
    if hp is not None and "max_n" in rule.SPEC.hparams and hp.max_n != "none":
        return (*rule.STATE, MAX_N_STATE)
    return tuple(rule.STATE)


def maximum(a, b):
    """Element-wise max, on the backend of the arrays."""
    xp = array_module(a, b)
    return xp.maximum(a, b)


def absolute(g):
    """Element-wise absolute value, on the backend of ``g``."""
    xp = array_module(g)
    return xp.abs(g)
