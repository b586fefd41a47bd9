"""nadam_ref: a reference implementation of Dozat (2016), "Incorporating Nesterov Momentum into Adam".

The rules (``nadam_ref.rules``), written line for line as the paper's algorithm boxes, run on NumPy or CuPy
(``nadam_ref.backend``). Public entry points:

* :data:`RULES` — the rule names;
* :func:`trajectory` — the iterates of one rule on one gradient function;
* :class:`Optimizer` — a rule applied to a dict of named parameters, with state files.
"""

from .optimizer import NonFiniteGradientError, Optimizer, StateFileError
from .rules import PAPER_RULES, RULES, UnknownRuleError
from .trajectory import trajectory

__version__ = "0.1.0"
__all__ = ["RULES", "PAPER_RULES", "Optimizer", "trajectory", "NonFiniteGradientError", "StateFileError",
           "UnknownRuleError", "__version__"]
