r"""The LSTM cell and its unrolled sequence, with backpropagation through time.

One step (Hochreiter & Schmidhuber 1997, with a forget gate; the form of TensorFlow's ``BasicLSTMCell``
that Zaremba et al. 2014 and the paper's LSTM LM used). The four gates are stacked in one weight matrix,
columns ``[i | f | o | g]``, so a step is two matrix products:

.. math::
    a &= x W_x + h_{t-1} W_h + b \\
    i &= \sigma(a_i),\quad f = \sigma(a_f + b_{\text{forget}}),\quad o = \sigma(a_o),\quad g = \tanh(a_g) \\
    c_t &= f \odot c_{t-1} + i \odot g,\qquad h_t = o \odot \tanh(c_t)

``forget_bias`` is TensorFlow's constant added to the forget gate (0 in Zaremba's PTB configs).
Sequences are batch-major: ``x`` is ``(B, T, D)``.
"""

from __future__ import annotations

from ..backend import array_module
from .layers import sigmoid


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b, forget_bias: float = 0.0):
    """One LSTM step. ``x`` ``(B, D)``, ``h_prev``/``c_prev`` ``(B, H)``, ``Wx`` ``(D, 4H)``, ``Wh`` ``(H,
    4H)``, ``b`` ``(4H,)``. Returns ``(h, c, cache)``."""
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i = sigmoid(a[:, :H])
    f = sigmoid(a[:, H:2 * H] + forget_bias)
    o = sigmoid(a[:, 2 * H:3 * H])
    g = array_module(a).tanh(a[:, 3 * H:])
    c = f * c_prev + i * g
    tanh_c = array_module(c).tanh(c)
    h = o * tanh_c
    return h, c, (x, h_prev, c_prev, Wx, Wh, i, f, o, g, tanh_c)


def lstm_step_backward(dh, dc, cache):
    r"""Gradients of one step, given :math:`\partial h_t` and :math:`\partial c_t` (from above and from
    the future).

    :math:`\partial c_t` collects both paths into the cell: directly, and through :math:`h_t = o\tanh c_t`.
    Returns ``(dx, dh_prev, dc_prev, dWx, dWh, db)``.
    """
    xp = array_module(dh)
    x, h_prev, c_prev, Wx, Wh, i, f, o, g, tanh_c = cache
    do = dh * tanh_c
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
    di, df, dg = dc * g, dc * c_prev, dc * i
    dc_prev = dc * f
    da = xp.concatenate([di * i * (1.0 - i),      # σ'(a) = σ(1 − σ)
                         df * f * (1.0 - f),
                         do * o * (1.0 - o),
                         dg * (1.0 - g * g)], axis=1)  # tanh'(a) = 1 − tanh²
    return da @ Wx.T, da @ Wh.T, dc_prev, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, c0, Wx, Wh, b, forget_bias: float = 0.0):
    """Run the cell over ``T`` steps. ``x`` ``(B, T, D)``; returns ``hs`` ``(B, T, H)``, the final ``(h, c)``
    (to carry into the next batch, as truncated BPTT does) and the cache."""
    xp = array_module(x)
    B, T, _ = x.shape
    hs = xp.empty((B, T, h0.shape[1]), dtype=x.dtype)
    h, c, steps = h0, c0, []
    for t in range(T):
        h, c, step_cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b, forget_bias)
        hs[:, t] = h
        steps.append(step_cache)
    return hs, (h, c), steps


def lstm_backward(dhs, cache, dh_last=None, dc_last=None):
    """Backpropagation through time: walk the steps backwards, carrying :math:`\\partial h` and
    :math:`\\partial c` into the past and summing the weight gradients of every step.

    ``dhs`` ``(B, T, H)`` is the gradient of the loss with respect to every output; ``dh_last``/``dc_last``
    are gradients with respect to the final state (None when the final state is not used in the loss).
    Returns ``(dx, dh0, dc0, dWx, dWh, db)``.
    """
    xp = array_module(dhs)
    B, T, H = dhs.shape
    x0, _, _, Wx, Wh = cache[0][:5]
    dx = xp.empty((B, T, x0.shape[1]), dtype=dhs.dtype)
    dWx, dWh, db = xp.zeros_like(Wx), xp.zeros_like(Wh), xp.zeros(Wh.shape[1], dtype=dhs.dtype)
    dh_next = xp.zeros((B, H), dtype=dhs.dtype) if dh_last is None else dh_last
    dc_next = xp.zeros((B, H), dtype=dhs.dtype) if dc_last is None else dc_last
    for t in reversed(range(T)):
        dh = dhs[:, t] + dh_next  # from the layer above, and from step t + 1
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh, dc_next, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dh_next, dc_next, dWx, dWh, db
