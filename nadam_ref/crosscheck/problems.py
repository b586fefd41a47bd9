"""The problems the cross-check runs every library on: small, with analytic gradients, defined so that any
language can rebuild them from the numbers in :data:`PROBLEMS` (the golden vectors store the same definitions).

* ``quadratic``: :math:`f(\\theta) = \\sum_i a_i \\theta_i^2` with curvatures spread over five decades, so that
  :math:`\\hat n` is tiny in one coordinate and the place of :math:`\\varepsilon` shows in the iterates.
* ``rosenbrock``: :math:`f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`, non-separable and curved: the race's surface,
  its gradient :func:`nadam_ref.surfaces.functions.rosenbrock_grad`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..backend import array_module, to_device
from ..surfaces.functions import rosenbrock_grad

#: The quadratic's curvatures a_i.
QUADRATIC_A = (1e-4, 1.0, 10.0)


def quadratic_grad(theta):
    r""":math:`\nabla f(\theta) = 2 a \theta` on the backend of ``theta``."""
    return 2 * to_device(QUADRATIC_A, array_module(theta), theta.dtype) * theta


@dataclass(frozen=True)
class Problem:
    name: str
    formula: str
    theta0: tuple
    params: dict
    gradient: Callable
    raw_lr: float | None = None

    def lr(self, rule_module) -> float:
        """η for a rule on this problem: the rule's default, or ``raw_lr`` for the rules that step by the raw
        gradient (no normaliser), where the default would diverge on a steep problem."""
        if self.raw_lr is not None and "eps" not in rule_module.HPARAMS:
            return self.raw_lr
        return rule_module.DEFAULT_LR

    def grad(self, theta):
        r""":math:`\nabla f(\theta)` on the backend of ``theta``."""
        return self.gradient(theta)

    def start(self, xp, dtype="float64"):
        """:math:`\\theta_0` as an array of ``xp`` in ``dtype``."""
        return to_device(self.theta0, xp, dtype)


PROBLEMS = {
    "quadratic": Problem("quadratic", "f(θ) = Σ_i a_i θ_i²", (1.0, -1.0, 0.5), {"a": QUADRATIC_A},
                         quadratic_grad, raw_lr=0.01),
    "rosenbrock": Problem("rosenbrock", "f(x, y) = (1 − x)² + 100 (y − x²)²", (-1.2, 1.0), {},
                          rosenbrock_grad, raw_lr=1e-4),
}


def get(name: str) -> Problem:
    """The problem called ``name``; an error listing the valid names otherwise."""
    try:
        return PROBLEMS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown problem {name!r}; expected one of {', '.join(PROBLEMS)}") from None
