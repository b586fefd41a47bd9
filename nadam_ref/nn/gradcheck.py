r"""Gradient checking by central differences, in float64.

.. math:: \frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}

has error :math:`O(h^2)` (Taylor), against :math:`O(h)` for the one-sided difference. With float64 and
:math:`h = 10^{-5}`, the truncation error (:math:`\sim h^2`) and the rounding error
(:math:`\sim 10^{-16}|f|/h`) leave a correct backward pass well below a relative error of 1e-7; at
:math:`h = 10^{-6}` rounding already reaches ~2e-7 on the tiny LSTM LM, at :math:`10^{-4}` about 3e-9.

Kinks (ReLU at 0, ties in max-pooling) make the difference quotient wrong when :math:`x \pm h` straddles one
(cs231n, "Gradient checks"). The tests keep inputs at least :math:`100 h` from every kink, so no
perturbation crosses one; :func:`relu_kink_crossed` tells whether a given input would.

Usable from a notebook::

    from nadam_ref.nn import gradcheck
    err = gradcheck.check_model(model, batch)      # {param name: relative error}
"""

from __future__ import annotations

from ..backend import array_module, to_host


def numerical_gradient(f, x, h: float = 1e-5):
    """Central-difference gradient of the scalar function ``f()`` with respect to the array ``x``.

    ``x`` is perturbed in place, one entry at a time, and restored; ``f`` must read it (a closure over ``x``
    or over a model that owns it). Returns an array shaped like ``x``.
    """
    xp = array_module(x)
    if not x.flags.c_contiguous:  # reshape would copy, and the perturbations would never reach f
        raise ValueError("numerical_gradient needs a C-contiguous array it can perturb in place")
    grad = xp.zeros(x.shape, dtype="float64")
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = float(flat[i])
        flat[i] = saved + h
        f_plus = float(f())
        flat[i] = saved - h
        f_minus = float(f())
        flat[i] = saved
        flat_grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def rel_error(analytic, numeric) -> float:
    r"""Relative error of two gradients of one array,
    :math:`\lVert a - n\rVert / (\lVert a\rVert + \lVert n\rVert)`.

    Measured over the whole array rather than entry by entry, so an entry that is exactly zero in one and
    1e-11 in the other (rounding) does not count as a 100% error; both zero gives 0.
    """
    a, n = to_host(analytic).astype("float64"), to_host(numeric).astype("float64")
    if a.shape != n.shape:
        raise ValueError(f"gradient shapes differ: {a.shape} vs {n.shape}")
    scale = float((a * a).sum() ** 0.5 + (n * n).sum() ** 0.5)
    diff = float(((a - n) ** 2).sum() ** 0.5)
    return 0.0 if scale == 0.0 else diff / scale


def check_function(f, arrays: dict, analytic: dict, h: float = 1e-5) -> dict:
    """Relative error of ``analytic[name]`` against the numerical gradient of ``f()`` for every array in
    ``arrays`` (a dict name → float64 array that ``f`` reads)."""
    errors = {}
    for name, x in arrays.items():
        if str(x.dtype) != "float64":
            raise TypeError(f"gradient check of {name!r} needs float64, got {x.dtype}")
        errors[name] = rel_error(analytic[name], numerical_gradient(f, x, h))
    return errors


def check_layer(forward, backward, inputs: dict, rng, h: float = 1e-5) -> dict:
    r"""Check one forward/backward pair on float64 ``inputs`` (a dict of named arrays, passed as keywords).

    The scalar checked is :math:`f = \sum \mathrm{out} \odot \delta` for a fixed random :math:`\delta`, whose
    gradient with respect to the output is exactly :math:`\delta`, so ``backward(δ, cache)`` must return its
    gradients; ``backward`` returns them as a tuple in the order of ``inputs``.
    Returns {name: relative error}.
    """
    xp = array_module(*inputs.values())
    out, cache = forward(**inputs)
    dout = xp.asarray(rng.standard_normal(out.shape))
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    analytic = dict(zip(inputs, grads, strict=True))

    def f():
        return (forward(**inputs)[0] * dout).sum()

    return check_function(f, inputs, analytic, h)


def check_model(model, batch, h: float = 1e-5, names=None) -> dict:
    """Whole-model check: every entry of every parameter (or of ``names``) against ``model.loss_and_grads``.
    The model must be float64 (build it with ``dtype="float64"``). Returns {param name: relative error}."""
    _, grads = model.loss_and_grads(batch)
    chosen = {name: model.params[name] for name in (names or model.params)}

    def f():
        return model.loss_and_grads(batch)[0]

    return check_function(f, chosen, grads, h)


def relu_kink_crossed(x, h: float = 1e-5) -> bool:
    """True when some entry of ``x`` lies within ``h`` of ReLU's kink at 0, where central differences lie."""
    xp = array_module(x)
    return bool((xp.abs(x) < h).any())
