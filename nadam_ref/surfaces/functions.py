r"""Six classic 2D test functions, each with its analytic gradient, known minima, a plot window and a start.

Every function takes ``theta`` whose first axis holds the two coordinates, :math:`\theta = (x, y)`, so the same
code evaluates one point (shape ``(2,)``) or a whole grid (shape ``(2, H, W)``) on NumPy or CuPy; the array
namespace comes from the input. Sources of the formulas: Rosenbrock (1960); Beale (1958); Himmelblau (1972);
Rastrigin (1974); the quadratic is the one ``nadam-ref trace`` prints, and the saddle is a two-well surface chosen
so that a path started near the saddle's stable direction must escape it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..backend import array_module


class UnknownSurfaceError(ValueError):
    """A surface name that nadam_ref does not know."""


@dataclass(frozen=True)
class Surface:
    """A 2D loss surface with everything a race needs.

    ``f(theta)`` and ``grad(theta)`` take an array whose first axis is (x, y); ``minima`` are the points the race
    measures distance to (for Rastrigin only the global one); ``f_min`` is the lowest value, used to put the loss on
    a log scale as :math:`f - f_{\\min}`; ``window`` is ``((x_lo, x_hi), (y_lo, y_hi))``; ``tolerance`` is the
    distance to a minimum that counts as arrived; ``steps`` is the default length of a race; ``saddles`` are the
    saddle points the pictures mark.
    """

    name: str
    title: str
    formula: str
    f: Callable
    grad: Callable
    minima: tuple[tuple[float, float], ...]
    f_min: float
    window: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    tolerance: float
    steps: int
    saddles: tuple[tuple[float, float], ...] = ()

    def contains(self, point) -> bool:
        """Whether ``(x, y)`` lies inside the plot window (edges included)."""
        (x_lo, x_hi), (y_lo, y_hi) = self.window
        return x_lo <= float(point[0]) <= x_hi and y_lo <= float(point[1]) <= y_hi


def _stack(theta, dx, dy):
    return array_module(theta).stack([dx, dy])


# --- ill-conditioned quadratic: f = 0.1 x² + 2 y², condition number 20 -------------------------------------------

def quadratic(theta):
    x, y = theta[0], theta[1]
    return 0.1 * x**2 + 2.0 * y**2


def quadratic_grad(theta):
    x, y = theta[0], theta[1]
    return _stack(theta, 0.2 * x, 4.0 * y)


# --- Rosenbrock: f = (1 − x)² + 100 (y − x²)², a curved flat valley ---------------------------------------------

def rosenbrock(theta):
    x, y = theta[0], theta[1]
    return (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2


def rosenbrock_grad(theta):
    x, y = theta[0], theta[1]
    return _stack(theta, -2.0 * (1.0 - x) - 400.0 * x * (y - x**2), 200.0 * (y - x**2))


# --- Beale: f = Σ_k (c_k − x + x yᵏ)², c = (1.5, 2.25, 2.625); flat plateau, steep walls ---------------------------

BEALE_C = (1.5, 2.25, 2.625)


def beale(theta):
    x, y = theta[0], theta[1]
    return sum((c - x + x * y**k) ** 2 for k, c in enumerate(BEALE_C, start=1))


def beale_grad(theta):
    x, y = theta[0], theta[1]
    residuals = [(k, c - x + x * y**k) for k, c in enumerate(BEALE_C, start=1)]
    dx = sum(2.0 * r * (y**k - 1.0) for k, r in residuals)
    dy = sum(2.0 * r * k * x * y ** (k - 1) for k, r in residuals)
    return _stack(theta, dx, dy)


# --- saddle: f = x² + ¼y⁴ − ½y², a saddle at the origin between minima (0, ±1) ----------------------------------

def saddle(theta):
    x, y = theta[0], theta[1]
    return x**2 + 0.25 * y**4 - 0.5 * y**2


def saddle_grad(theta):
    x, y = theta[0], theta[1]
    return _stack(theta, 2.0 * x, y**3 - y)


# --- Himmelblau: f = (x² + y − 11)² + (x + y² − 7)², four minima of value 0 ------------------------------------

def himmelblau(theta):
    x, y = theta[0], theta[1]
    return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2


def himmelblau_grad(theta):
    x, y = theta[0], theta[1]
    a, b = x**2 + y - 11.0, x + y**2 - 7.0
    return _stack(theta, 4.0 * x * a + 2.0 * b, 2.0 * a + 4.0 * y * b)


# --- Rastrigin: f = 20 + Σ (z² − 10 cos 2πz), a bowl covered in local minima -----------------------------------

def rastrigin(theta):
    xp = array_module(theta)
    x, y = theta[0], theta[1]
    return 20.0 + x**2 - 10.0 * xp.cos(2 * xp.pi * x) + y**2 - 10.0 * xp.cos(2 * xp.pi * y)


def rastrigin_grad(theta):
    xp = array_module(theta)
    x, y = theta[0], theta[1]
    return _stack(theta, 2.0 * x + 20.0 * xp.pi * xp.sin(2 * xp.pi * x),
                  2.0 * y + 20.0 * xp.pi * xp.sin(2 * xp.pi * y))


SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("quadratic", "Ill-conditioned quadratic", "0.1·x² + 2·y²", quadratic, quadratic_grad,
            minima=((0.0, 0.0),), f_min=0.0, window=((-5.0, 5.0), (-2.5, 2.5)), start=(-4.5, 2.0),
            tolerance=1e-3, steps=500),
    Surface("rosenbrock", "Rosenbrock", "(1 − x)² + 100·(y − x²)²", rosenbrock, rosenbrock_grad,
            minima=((1.0, 1.0),), f_min=0.0, window=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.5, 2.5),
            tolerance=5e-2, steps=2000),
    Surface("beale", "Beale", "Σₖ (cₖ − x + x·yᵏ)², c = (1.5, 2.25, 2.625)", beale, beale_grad,
            minima=((3.0, 0.5),), f_min=0.0, window=((-4.5, 4.5), (-4.5, 4.5)), start=(1.0, 1.5),
            tolerance=1e-2, steps=1000),
    Surface("saddle", "Saddle between two wells", "x² + ¼·y⁴ − ½·y²", saddle, saddle_grad,
            minima=((0.0, -1.0), (0.0, 1.0)), f_min=-0.25, window=((-2.0, 2.0), (-2.0, 2.0)),
            start=(-1.8, 1e-3), tolerance=1e-2, steps=300, saddles=((0.0, 0.0),)),
    Surface("himmelblau", "Himmelblau", "(x² + y − 11)² + (x + y² − 7)²", himmelblau, himmelblau_grad,
            minima=((3.0, 2.0), (-2.805118086952745, 3.131312518250573), (-3.779310253377747, -3.283185991286170),
                    (3.584428340330492, -1.848126526964404)),
            f_min=0.0, window=((-5.0, 5.0), (-5.0, 5.0)), start=(-0.27, -0.92), tolerance=1e-2, steps=500,
            saddles=((0.0866775046, 2.8842547012), (-3.0730257508, -0.0813530443), (3.3851541836, 0.0738518798),
                     (-0.1279613467, -1.9537149802))),
    Surface("rastrigin", "Rastrigin", "20 + Σ (z² − 10·cos 2πz)", rastrigin, rastrigin_grad,
            minima=((0.0, 0.0),), f_min=0.0, window=((-4.5, 4.5), (-4.5, 4.5)), start=(-3.3, 2.6),
            tolerance=1e-2, steps=500),
)}


def get_surface(name: str) -> Surface:
    """The surface called ``name``; an error listing the valid names otherwise."""
    try:
        return SURFACES[name]
    except (KeyError, TypeError):
        raise UnknownSurfaceError(f"unknown surface {name!r}; expected one of {', '.join(SURFACES)}") from None
