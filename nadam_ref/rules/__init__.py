"""The update rules of Dozat (2016), one module per algorithm box, and their registry.

Each module reads like its box (see :mod:`nadam_ref.rules._common` for the interface). Look rules up by name::

    >>> from nadam_ref import rules
    >>> rules.get("nadam").ALGORITHM
    'Algorithm 8'
"""

from __future__ import annotations

from types import ModuleType

from ..backend import array_module
from . import adagrad, adam, adamax, gd, maxaprop, momentum, nadam, nadamax, nag, nag_lookahead, rmsprop
from ._common import HPARAM_NAMES, PAPER_DEFAULTS, HParams, MomentumSchedule, box, make_hparams, state_names
from ._common import select_hparams as _select
from ._spec import LibraryVariant, RuleSpec, spec_golden_variants, spec_variants

_MODULES = (gd, momentum, nag, rmsprop, adam, nadam, maxaprop, adamax, nadamax, adagrad, nag_lookahead)

#: Every rule name, in the paper's order, then AdaGrad and NAG's look-ahead form.
RULES: tuple[str, ...] = tuple(m.NAME for m in _MODULES)

#: The nine rules the paper's experiments compare, in the order of its 3×3 tables.
PAPER_RULES: tuple[str, ...] = ("gd", "momentum", "nag", "rmsprop", "adam", "nadam", "maxaprop", "adamax", "nadamax")

_BY_NAME = {m.NAME: m for m in _MODULES}


class UnknownRuleError(ValueError):
    """A rule name that nadam_ref does not know."""


def get(name: str) -> ModuleType:
    """The module of rule ``name``; an error listing the valid names otherwise."""
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise UnknownRuleError(f"unknown rule {name!r}; expected one of {', '.join(RULES)}") from None


def spec(name: str) -> RuleSpec:
    """The declaration of rule ``name``: what it reads, its options, its library variants."""
    return get(name).SPEC


def variants(name: str) -> list[dict]:
    """Hyper-parameter dicts covering every option value of rule ``name`` (all their combinations) and every numeric
    variant: what the fused parity tests, the cross-check's search for a closest variant and ``nadam-ref rules``
    enumerate. The first is the rule's default (the box as printed, except Adam's and AdaMax's m, which decays with
    the schedule's μ_t by default; see ``m_decay``)."""
    return spec_variants(spec(name))


def golden_variants(name: str) -> list[dict]:
    """The variants of rule ``name`` that the committed golden vectors hold (see :attr:`RuleSpec.golden`)."""
    return spec_golden_variants(spec(name))


def select_hparams(name: str, settings: dict) -> dict:
    """The part of ``settings`` that rule ``name`` reads, for code that applies common settings to many rules."""
    return _select(get(name), settings)


def init_state(rule: ModuleType, theta, hp: HParams | None = None) -> dict:
    """The state before the first step: t = 0, an empty product of μ's, and zero arrays like ``theta``: the
    rule's ``STATE``, and the arrays its options add under ``hp`` (AMSGrad's ``n_max``, :func:`state_names`)."""
    xp = array_module(theta)
    state = {"t": 0, "mu_prod": 1.0}
    for name in state_names(rule, hp):
        state[name] = xp.zeros_like(theta)
    return state


__all__ = ["RULES", "PAPER_RULES", "HParams", "HPARAM_NAMES", "PAPER_DEFAULTS", "LibraryVariant", "MomentumSchedule",
           "RuleSpec", "UnknownRuleError", "box", "get", "golden_variants", "init_state", "make_hparams",
           "select_hparams", "spec", "state_names", "variants"]
