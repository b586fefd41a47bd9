"""``trajectory``: the iterates of one rule on one gradient function; ``trace_steps``: the same with every
intermediate of the box.

This is what the toy surfaces, the cross-check harness, the golden vectors and ``nadam-ref trace`` use.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator

from . import rules as _rules
from .backend import array_module, is_array
from .handover import calling_with_copies


def trajectory(rule: str, grad_fn, theta0, steps: int, **hparams):
    """The iterates θ₀, θ₁, …, θ_steps of ``rule`` started at ``theta0``, as one array of shape
    ``(steps + 1, *theta0.shape)`` on the backend of ``theta0``.

    ``grad_fn(theta) -> gradient`` (same shape and backend as ``theta``). For ``nag_lookahead`` it is called at
    the look-ahead point, and the iterates are the θ of Algorithm 3 (not the look-ahead points).
    A NaN or inf is carried on, not raised: callers that race rules check for divergence themselves.
    ``grad_fn`` gets a copy of each point (:mod:`nadam_ref.handover`), so one that works in place changes nothing here.
    """
    xp = array_module(theta0) if is_array(theta0) else None
    path = [theta0] + [theta for theta, _ in iterate(rule, grad_fn, theta0, steps, **hparams)]
    return xp.stack(path)


def trace_steps(rule: str, grad_fn, theta0, steps: int, **hparams) -> list[dict]:
    """One dict per step with every intermediate of the box, keyed by the paper's symbols
    (``g``, ``g_hat``, ``m``, ``m_hat``, ``n``, ``n_hat``, ``m_bar``, ``update``, ``theta``, and ``t``, ``mu_t``,
    ``mu_next`` where the rule uses them)."""
    return [trace for _, trace in iterate(rule, grad_fn, theta0, steps, **hparams)]


def iterate(rule: str, grad_fn, theta0, steps: int, **hparams) -> Iterator[tuple[object, dict]]:
    """Yield ``(theta_t, trace_t)`` for t = 1 .. steps."""
    module = _rules.get(rule)
    hp = _rules.make_hparams(module, **hparams)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps={steps!r}; expected an integer >= 0")
    if not is_array(theta0):
        raise TypeError(f"theta0 must be a NumPy or CuPy array, got {type(theta0).__name__}")
    if theta0.dtype.kind != "f":
        raise TypeError(f"theta0 has dtype {theta0.dtype}; expected a floating dtype")

    needs_fn = module.SPEC.needs_grad_fn
    grad_fn = calling_with_copies(grad_fn)  # it may work in place on the point it is given: give it a copy
    theta, state = theta0, _rules.init_state(module, theta0, hp)
    for _ in range(steps):
        g_or_fn = ((lambda point: gradient_like(grad_fn(point), point)) if needs_fn
                   else gradient_like(grad_fn(theta), theta))
        theta, state, trace = module.step(theta, g_or_fn, state, hp)
        yield theta, trace


def gradient_like(g, theta):
    """``g`` if it is an array like ``theta``; a NumPy scalar or a number for a 0-d ``theta`` (which is what NumPy
    arithmetic on a 0-d array returns) as a 0-d array on ``theta``'s backend."""
    if not is_array(g) and getattr(theta, "ndim", None) == 0:
        xp = array_module(theta)
        if getattr(g, "shape", None) == () and hasattr(g, "dtype"):
            g = xp.asarray(g)
        elif isinstance(g, numbers.Real) and not isinstance(g, bool):
            g = xp.asarray(g, dtype=theta.dtype)
    if not is_array(g) or g.shape != theta.shape:
        raise ValueError(f"grad_fn returned {getattr(g, 'shape', type(g).__name__)}; expected an array of shape "
                         f"{theta.shape} like theta")
    array_module(g, theta)
    return g
