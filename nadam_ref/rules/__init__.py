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
from ._common import HPARAM_NAMES, PAPER_DEFAULTS, HParams, make_hparams

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


def init_state(rule: ModuleType, theta) -> dict:
    """The state before the first step: t = 0, an empty product of μ's, and zero arrays like ``theta``."""
    xp = array_module(theta)
    state = {"t": 0, "mu_prod": 1.0}
    for name in rule.STATE:
        state[name] = xp.zeros_like(theta)
    return state


__all__ = ["RULES", "PAPER_RULES", "HParams", "HPARAM_NAMES", "PAPER_DEFAULTS", "UnknownRuleError", "get",
           "init_state", "make_hparams"]
