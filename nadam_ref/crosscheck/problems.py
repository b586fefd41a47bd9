"""The problems the cross-check runs every library on: small, with analytic gradients, defined so that any
language can rebuild them from the numbers in :data:`PROBLEMS` (the golden vectors store the same definitions).

* ``quadratic``: :math:`f(\\theta) = \\sum_i a_i \\theta_i^2` with curvatures spread over five decades, so that
  :math:`\\hat n` is tiny in one coordinate and the place of :math:`\\varepsilon` shows in the iterates.
* ``rosenbrock``: :math:`f(x, y) = (1 - x)^2 + 100 (y - x^2)^2`, non-separable and curved.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..backend import array_module, is_array, to_device


@dataclass(frozen=True)
class Problem:
    name: str
    formula: str
    theta0: tuple
    params: dict
    raw_lr: float | None = None

    def lr(self, rule_module) -> float:
        """η for a rule on this problem: the rule's default, or ``raw_lr`` for the rules that step by the raw
        gradient (no normaliser), where the default would diverge on a steep problem."""
        if self.raw_lr is not None and "eps" not in rule_module.HPARAMS:
            return self.raw_lr
        return rule_module.DEFAULT_LR

    def grad(self, theta):
        r""":math:`\nabla f(\theta)` on the backend of ``theta``."""
        xp = array_module(theta)
        if self.name == "quadratic":
            return 2 * to_device(self.params["a"], xp, theta.dtype) * theta
        x, y = theta[0], theta[1]
        return xp.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])

    def start(self, xp, dtype="float64"):
        """:math:`\\theta_0` as an array of ``xp`` in ``dtype``."""
        return to_device(self.theta0, xp, dtype)


PROBLEMS = {
    "quadratic": Problem("quadratic", "f(θ) = Σ_i a_i θ_i²", (1.0, -1.0, 0.5),
                         {"a": (1e-4, 1.0, 10.0)},
                         raw_lr=0.01),
    "rosenbrock": Problem("rosenbrock", "f(x, y) = (1 − x)² + 100 (y − x²)²", (-1.2, 1.0), {},
                          raw_lr=1e-4),
}


def get(name: str) -> Problem:
    """The problem called ``name``; an error listing the valid names otherwise."""
    try:
        return PROBLEMS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown problem {name!r}; expected one of {', '.join(PROBLEMS)}") from None


def checked_gradient(grad_fn, theta, where: str = "grad_fn"):
    """``grad_fn(theta)``, refused with a clear error unless it is an array of ``theta``'s shape."""
    g = grad_fn(theta)
    if not is_array(g) or g.shape != theta.shape:
        got = getattr(g, "shape", type(g).__name__)
        raise ValueError(f"{where} returned {got}; expected an array of shape {theta.shape} like theta")
    return g
