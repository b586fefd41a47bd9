r"""Fast paths for every rule: the same numbers as :mod:`nadam_ref.rules`, computed in place.

The reference rules are written to be read, one new array per line of the box. A step of them on 10M float32
parameters makes a dozen 40 MB temporaries and runs several times slower than memory allows. This package does the
same step in place:

* NumPy (:mod:`nadam_ref.fused.chunked`): ``out=`` operations over cache-sized chunks, into scratch buffers that a
  :class:`Workspace` allocates once;
* CuPy (:mod:`nadam_ref.fused.cupy_kernels`): one ``ElementwiseKernel`` per rule.

Both take their scalars from :mod:`nadam_ref.fused.coefficients`. Which one runs is decided by
``backend.backend_name`` of the parameter's array module, so, as everywhere in nadam_ref, only ``backend.py`` (and
the CuPy kernel module it leads to) knows NumPy from CuPy.

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

from ..backend import array_module, backend_name, float_errors_ignored
from . import chunked, coefficients

IMPLS = ("reference", "fused")


class Workspace:
    """Scratch buffers kept across steps, so a fused step allocates no arrays.

    One workspace serves every parameter of an optimizer: three chunk-sized scratch buffers per dtype (NumPy),
    whole-shape ones for strided parameters, the step's coefficients as 0-d arrays, and a look-ahead buffer per
    parameter for ``nag_lookahead``.
    """

    def __init__(self):
        self._scratch = {}
        self._lookahead = {}
        self._scalars = {}

    def scratch(self, shape, like) -> list:
        """Three scratch arrays of ``shape``, on the backend and of the dtype of ``like`` (allocated once)."""
        xp = array_module(like)
        key = (backend_name(xp), tuple(shape), str(like.dtype))
        if key not in self._scratch:
            self._scratch[key] = [xp.empty(shape, dtype=like.dtype) for _ in range(3)]
        return self._scratch[key]

    def scalars(self, coef: dict, like) -> dict:
        """``coef`` as 0-d arrays of ``like``'s dtype, refilled in place: a ufunc given a Python float converts it
        on every call, which costs as much as the arithmetic on a cache-sized chunk."""
        xp = array_module(like)
        key = (backend_name(xp), str(like.dtype))
        held = self._scalars.setdefault(key, {})
        for name, value in coef.items():
            if name not in held:
                held[name] = xp.zeros((), dtype=like.dtype)
            held[name][...] = value
        return held

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
    xp = array_module(theta, g)
    # A reference step on a 0-d parameter leaves NumPy scalars in the state; in-place updates need arrays.
    arrays = {k: xp.asarray(state[k]) for k in ("m", "n") if k in state}
    m, n = arrays.get("m"), arrays.get("n")
    where = form(rule, hp)
    if backend_name(xp) == "cupy":
        from . import cupy_kernels

        cupy_kernels.run(rule, theta, g, m, n, coef, where)
    else:
        with float_errors_ignored(xp):  # a warning raised as an error (-W error) must not stop a step half-way
            chunked.run(xp, chunked.BY_RULE[rule], theta, g, m, n, coef, where, workspace)
    return {**state, **arrays, **scalars}


def form(rule: str, hp) -> str:
    """Where ε goes in the kernel of ``rule``: ``"inside"`` √(n + e) (and, for the L∞ rules, ε in the denominator),
    ``"outside"`` √n + e (also keras' ``"hat"``, whose ε is rescaled in the coefficients), ``"both"`` √(n + r) + e
    (optax's ``eps_root`` with ε outside), or ``"max"`` (ε inside the L∞ rules' max)."""
    if hp.eps_placement in ("inside", "max"):  # a rule that reads no eps_placement holds the default, "inside"
        return hp.eps_placement
    return "both" if hp.eps_root else "outside"


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
    """True when ``g`` holds no NaN or inf; on NumPy without allocating a boolean array like ``g``."""
    xp = array_module(g)
    if backend_name(xp) == "cupy":
        return bool(xp.isfinite(g).all())
    return chunked.all_finite(xp, g)


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
