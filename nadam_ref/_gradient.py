"""The one check on a user's gradient function, shared by :func:`nadam_ref.trajectory` and the cross-check."""

from __future__ import annotations

from .backend import array_module, is_array


def checked_gradient(grad_fn, theta, where: str = "grad_fn"):
    """``grad_fn(theta)``, refused with a ValueError naming ``where`` unless it is an array of ``theta``'s shape,
    and with :class:`nadam_ref.backend.BackendMismatchError` unless it is on ``theta``'s backend."""
    g = grad_fn(theta)
    if not is_array(g) or g.shape != theta.shape:
        got = getattr(g, "shape", type(g).__name__)
        raise ValueError(f"{where} returned {got}; expected an array of shape {theta.shape} like theta")
    array_module(g, theta)
    return g
