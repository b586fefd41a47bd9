r"""Fast paths for every rule: the same numbers as :mod:`nadam_ref.rules`, computed in place, in one pass.

The reference rules are written to be read, one new array per line of the box. A step of them on 10M float32
parameters makes a dozen 40 MB temporaries and runs many times slower than memory allows. This package does the
same step as one pass over memory: each rule's update of one element is written once
(:mod:`nadam_ref.fused.elements`), with the step's scalars computed once on the host
(:mod:`nadam_ref.fused.coefficients`), and made into

* a numba loop over the elements for NumPy arrays (:mod:`nadam_ref.fused.compiled`; threads: ``NUMBA_NUM_THREADS``
  or :func:`set_threads`);
* a CuPy ``ElementwiseKernel`` for CuPy arrays (:mod:`nadam_ref.fused.cupy_kernels`, translated from the same
  function).

Which one runs is decided by ``backend.backend_name`` of the parameter's array module, so, as everywhere in
nadam_ref, only ``backend.py`` knows NumPy from CuPy.

The state keeps the reference's layout (``t``, ``mu_prod``, ``m``, ``n``), so state files, resuming and switching
between ``impl="reference"`` and ``impl="fused"`` mid-run all work. On NumPy the state arrays ``m`` and ``n`` are
bit-identical to the reference's; θ agrees to a few ulps (the bias corrections are folded into one coefficient).

    >>> import numpy as np
    >>> from nadam_ref import fused, rules
    >>> theta, g = np.ones(4), np.full(4, 0.5)
    >>> hp = rules.make_hparams(rules.get("adam"))
    >>> state = rules.init_state(rules.get("adam"), theta)
    >>> state = fused.step("adam", theta, g, state, hp, fused.Workspace())
    >>> state["t"], float(theta[0]) < 1.0
    (1, True)
"""

from __future__ import annotations

from ..backend import array_module, backend_name
from . import coefficients, compiled, elements
from .compiled import set_threads, threads

__all__ = ["IMPLS", "NOT_IMPLEMENTED", "Workspace", "all_finite", "check_impl", "check_supported", "lookahead_point",
           "set_threads", "step", "threads"]

IMPLS = ("reference", "fused")


class Workspace:
    """Buffers kept across steps, so a fused step allocates no arrays: the look-ahead point of each parameter for
    ``nag_lookahead`` (the compiled loops need no scratch)."""

    def __init__(self):
        self._lookahead = {}

    def lookahead(self, name, like):
        """The reusable buffer for the look-ahead point of parameter ``name``, shaped like ``like``."""
        xp = array_module(like)
        key = (name, backend_name(xp), like.shape, str(like.dtype))
        if key not in self._lookahead:
            self._lookahead[key] = xp.empty_like(like)
        return self._lookahead[key]


def check_impl(impl) -> str:
    """``impl`` if it is one of :data:`IMPLS`; a ValueError naming it otherwise."""
    if impl not in IMPLS:
        raise ValueError(f"impl={impl!r}; expected one of {IMPLS}")
    return impl


def step(rule: str, theta, g, state: dict, hp, workspace: Workspace) -> dict:
    """One step of ``rule``, updating ``theta`` and the state arrays in place; returns the new state dict.

    The returned dict holds the same arrays ``m``/``n`` as ``state`` (updated) and the new ``t`` and ``mu_prod``.
    For ``nag_lookahead``, ``g`` is the gradient taken at :func:`lookahead_point`.
    """
    scalars, coef = coefficients.BY_RULE[rule](state, hp)
    name = elements.kernel_name(rule, hp)  # AMSGrad (max_n) runs its own function, with n_max
    xp = array_module(theta, g)
    # A reference step on a 0-d parameter leaves NumPy scalars in the state; in-place updates need arrays.
    arrays = {k: xp.asarray(state[k]) for k in elements.signature(name)[2] if k != "theta"}
    m, n, n_max = arrays.get("m"), arrays.get("n"), arrays.get("n_max")
    if backend_name(xp) == "cupy":
        from . import cupy_kernels

        cupy_kernels.run(name, theta, g, m, n, coef, n_max=n_max)
    else:
        compiled.run(name, theta, g, m, n, coef, n_max=n_max)
    return {**state, **arrays, **scalars}


def check_supported(rule: str, hp) -> None:
    """Refuse, naming the option, a variant the fused engine does not compute exactly. Every option value that
    :func:`nadam_ref.rules.variants` enumerates is implemented here; an engine that leaves one out lists it in
    :data:`NOT_IMPLEMENTED` and is refused by name instead of computing other numbers."""
    for name, value in NOT_IMPLEMENTED.get(rule, ()):
        if getattr(hp, name) == value or (value is NONZERO and getattr(hp, name)):
            shown = "a non-zero value" if value is NONZERO else repr(value)
            raise NotImplementedError(f"impl='fused' does not implement {name}={shown} for rule {rule!r}; "
                                      "use impl='reference'")


#: Stands for "any non-zero value" of a numeric option in :data:`NOT_IMPLEMENTED`.
NONZERO = object()
#: rule -> ((option, value), ...) that the fused engine refuses. Empty: every variant is implemented.
NOT_IMPLEMENTED: dict[str, tuple] = {}


def all_finite(g) -> bool:
    """True when ``g`` holds no NaN or inf, in one pass and, on NumPy, without a boolean array like ``g`` (a
    compiled sum of g − g on the fused step's threads: :mod:`nadam_ref.fused.finite`)."""
    xp = array_module(g)
    if backend_name(xp) == "cupy":
        return bool(xp.isfinite(g).all())
    return compiled.all_finite(g)


def lookahead_point(name: str, theta, state: dict, hp, workspace: Workspace):
    r""":math:`\theta_{t-1} - \eta\,\mu_t\, m_{t-1}` (Algorithm 3), written into the workspace's buffer for ``name``.

    The same operations as :func:`nadam_ref.rules.nag_lookahead.lookahead_point`, so the point is bit-identical.
    The buffer is reused next step: a gradient function must not keep it.
    """
    xp = array_module(theta)
    out = workspace.lookahead(name, theta)
    xp.multiply(state["m"], hp.lr * hp.mu_at(state["t"] + 1), out=out)
    xp.subtract(theta, out, out=out)
    return out
