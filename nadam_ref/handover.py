"""What nadam_ref hands to code it does not own is a copy.

A user's step function or gradient function, or a peer library, may work in place (``theta -= lr * g``, torch's
``param.add_``). Given one of our arrays, it would overwrite what we keep: the θ₀ that the next variant starts from,
an iterate already stored in a path, the gradient the reference goes on to use. ``compare``, ``identify``,
``trajectory`` and the cross-check harness hand arrays over through :func:`handed` only, so that none of them has
to remember it.

    >>> import numpy as np
    >>> theta0 = np.array([1.0, 2.0])
    >>> def in_place(theta):
    ...     theta -= 1.0
    ...     return theta
    >>> in_place(handed(theta0)), calling_with_copies(in_place)(theta0), theta0
    (array([0., 1.]), array([0., 1.]), array([1., 2.]))
"""

from __future__ import annotations

import functools

from .backend import is_array


def handed(value):
    """``value`` as code we do not own may receive it: an array (NumPy or CuPy) copied on its own backend; anything
    else (a number, a dict of the user's own state, a function) as it is."""
    return value.copy() if is_array(value) else value  # ndarray.copy() keeps the backend and the device



def calling_with_copies(fn):
    """``fn``, called with :func:`handed` copies of its arguments (a user's gradient or step function)."""

    @functools.wraps(fn)
    def call(*args):
        return fn(*map(handed, args))

    return call
