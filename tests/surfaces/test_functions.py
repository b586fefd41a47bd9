"""The six surfaces: analytic gradients against central differences, minima, windows, starts."""

from __future__ import annotations

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadam_ref.backend import to_host as to_numpy
from nadam_ref.surfaces import SURFACES, UnknownSurfaceError, get_surface

NAMES = sorted(SURFACES)


def central_difference(f, theta, h=1e-6):
    grad = numpy.zeros(2)
    for i in range(2):
        step = numpy.zeros(2)
        step[i] = h
        grad[i] = (f(theta + step) - f(theta - step)) / (2 * h)
    return grad


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None)
@given(u=st.floats(0.0, 1.0), v=st.floats(0.0, 1.0))
def test_gradient_matches_finite_differences_inside_the_window(name, u, v):
    surface = get_surface(name)
    (x_lo, x_hi), (y_lo, y_hi) = surface.window
    theta = numpy.array([x_lo + u * (x_hi - x_lo), y_lo + v * (y_hi - y_lo)])
    analytic = surface.grad(theta)
    numeric = central_difference(surface.f, theta)
    scale = max(1.0, float(numpy.abs(analytic).max()))
    assert numpy.allclose(analytic, numeric, rtol=1e-6, atol=1e-6 * scale), (theta, analytic, numeric)


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_stationary_with_the_stated_lowest_value(name):
    surface = get_surface(name)
    for point in surface.minima:
        theta = numpy.array(point)
        assert numpy.abs(surface.grad(theta)).max() < 1e-9, point
        assert surface.f(theta) == pytest.approx(surface.f_min, abs=1e-12)
        assert surface.contains(point)


@pytest.mark.parametrize("name", NAMES)
def test_no_grid_point_of_the_window_is_below_the_stated_minimum(name):
    surface = get_surface(name)
    (x_lo, x_hi), (y_lo, y_hi) = surface.window
    x, y = numpy.meshgrid(numpy.linspace(x_lo, x_hi, 301), numpy.linspace(y_lo, y_hi, 301))
    assert surface.f(numpy.stack([x, y])).min() >= surface.f_min - 1e-12


@pytest.mark.parametrize("name", NAMES)
def test_start_is_inside_the_window_and_not_at_a_minimum(name):
    surface = get_surface(name)
    assert surface.contains(surface.start)
    distances = [numpy.hypot(surface.start[0] - a, surface.start[1] - b) for a, b in surface.minima]
    assert min(distances) > 10 * surface.tolerance


@pytest.mark.parametrize("name", NAMES)
def test_a_grid_evaluates_like_its_points_on_every_backend(name, xp):
    surface = get_surface(name)
    rng = numpy.random.default_rng(1)
    grid = rng.uniform(-2, 2, size=(2, 3, 4))
    values = to_numpy(surface.f(xp.asarray(grid)))
    grads = to_numpy(surface.grad(xp.asarray(grid)))
    assert values.shape == (3, 4) and grads.shape == (2, 3, 4)
    for i in range(3):
        for j in range(4):
            point = grid[:, i, j]
            assert values[i, j] == pytest.approx(float(surface.f(point)), rel=1e-12)
            assert numpy.allclose(grads[:, i, j], surface.grad(point), rtol=1e-12)


def test_unknown_surface_is_named_with_the_valid_ones():
    with pytest.raises(UnknownSurfaceError, match=r"'nope'.*rosenbrock"):
        get_surface("nope")


@pytest.mark.parametrize("surface", [s for s in SURFACES.values() if s.saddles], ids=lambda s: s.name)
def test_marked_saddles_are_critical_points_with_curvature_of_both_signs(surface):
    h = 1e-5
    for point in surface.saddles:
        p = numpy.array(point)
        assert numpy.abs(surface.grad(p)).max() < 1e-6, (surface.name, point)
        hessian = numpy.stack([(surface.grad(p + h * e) - surface.grad(p - h * e)) / (2 * h) for e in numpy.eye(2)])
        low, high = numpy.linalg.eigvalsh((hessian + hessian.T) / 2)
        assert low < 0 < high, (surface.name, point, low, high)
