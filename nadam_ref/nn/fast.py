r"""Fast variants of the convolution and max-pool layers, tested equal to the readable ones in ``layers.py``.

The readable convolution builds its patch matrix by transposing a 6-D window view (a strided gather),
and its backward adds the patch gradients back through strided slabs. Here the patch matrix is built
*channel-first*, :math:`\mathrm{cols}^\top` of shape ``(kh·kw·C, H·W·N)``, one slab copy per kernel
offset, into buffers kept across steps (Caffe's layout, but with the batch innermost: the padded input is held as
``(C, H, W, N)``, so a slab is made of runs of W·N contiguous elements rather than rows of W, which halves
the time of the slab copies and additions; the GEMM's output rows come in (H, W, N) order and one cheap
transpose puts them back to (N, H, W)):

.. math::
   y = \mathrm{cols}\, W_{2d} + b, \qquad
   \partial W_{2d} = \mathrm{cols}^\top \delta, \qquad
   \partial\mathrm{cols}^\top = W_{2d}\, \delta^\top

so all three products are single GEMMs on contiguous operands (BLAS takes the transposes as flags), and
``col2im`` adds contiguous slabs. Max-pooling compares the four strided views of each 2×2 block instead of
copying the blocks out, and keeps the winner as an int8 index (first maximum wins, as in the readable layer).

A layer's buffers are keyed by its weight array and input shape, and hold its last forward pass: call a
layer's backward before its next forward (as a training step does). :class:`FastLayers` is a drop-in for the
``nadam_ref.nn`` namespace that a model can use (``model.layers = FastLayers()``).
"""

from __future__ import annotations

from types import SimpleNamespace

from ..backend import array_module
from .layers import same_padding


class Buffers:
    """Arrays kept across steps, keyed by (layer weight, role, shape, dtype)."""

    def __init__(self):
        self._held = {}

    def get(self, owner, role, shape, like, zero=False):
        """An array of ``shape`` and ``like``'s dtype and backend; ``zero`` fills it with zeros when created."""
        key = (id(owner), role, tuple(shape), str(like.dtype))
        held = self._held.get(key)
        if held is None or held[0] is not owner:  # the id of a freed weight may come back for a new one
            xp = array_module(like)
            held = (owner, (xp.zeros if zero else xp.empty)(shape, dtype=like.dtype))
            self._held[key] = held
        return held[1]


def _padded_channels_first(x, kh, kw, buffer):
    """``x`` (N, H, W, C) into ``buffer`` (C, H + kh − 1, W + kw − 1, N), whose zero border is the 'SAME' padding."""
    N, H, W, C = x.shape
    (top, _), (left, _) = same_padding(kh), same_padding(kw)
    xp = array_module(x)
    xp.copyto(buffer[:, top:top + H, left:left + W, :], x.transpose(3, 1, 2, 0))
    return buffer


def conv2d_forward(x, W, b, buffers: Buffers | None = None):
    """Same as :func:`nadam_ref.nn.layers.conv2d_forward`, by the channel-first patch matrix."""
    buffers = buffers or Buffers()
    xp = array_module(x)
    N, H, Wd, C = x.shape
    kh, kw, C_in, F = W.shape
    if C_in != C:
        raise ValueError(f"conv2d: input has {C} channels, kernel expects {C_in}")
    padded = _padded_channels_first(x, kh, kw, buffers.get(W, "padded", (C, H + kh - 1, Wd + kw - 1, N), x,
                                                           zero=True))
    cols_t = buffers.get(W, "cols_t", (kh, kw, C, H, Wd, N), x)
    for i in range(kh):
        for j in range(kw):
            cols_t[i, j] = padded[:, i:i + H, j:j + Wd, :]
    cols_t = cols_t.reshape(kh * kw * C, H * Wd * N)
    out_hwn = xp.matmul(cols_t.T, W.reshape(kh * kw * C, F), out=buffers.get(W, "out_hwn", (H * Wd * N, F), x))
    out = xp.ascontiguousarray(out_hwn.reshape(H, Wd, N, F).transpose(2, 0, 1, 3))
    out += b
    return out, (x.shape, cols_t, W, buffers)


def conv2d_backward(dout, cache, input_grad: bool = True):
    """Same as :func:`nadam_ref.nn.layers.conv2d_backward`: three GEMMs, then contiguous slab additions."""
    xp = array_module(dout)
    (N, H, Wd, C), cols_t, W, buffers = cache
    kh, kw, _, F = W.shape
    db = dout.reshape(-1, F).sum(axis=0)
    dout2d = buffers.get(W, "dout_hwn", (H, Wd, N, F), dout)  # rows in the patches' (H, W, N) order
    xp.copyto(dout2d, dout.transpose(1, 2, 0, 3))
    dout2d = dout2d.reshape(-1, F)
    dW = (cols_t @ dout2d).reshape(W.shape)
    if not input_grad:
        return None, dW, db
    dcols_t = xp.matmul(W.reshape(kh * kw * C, F), dout2d.T, out=cols_t)  # cols are spent: reuse them
    dcols_t = dcols_t.reshape(kh, kw, C, H, Wd, N)
    dpadded = buffers.get(W, "dpadded", (C, H + kh - 1, Wd + kw - 1, N), dout)
    dpadded.fill(0)
    for i in range(kh):
        for j in range(kw):
            dpadded[:, i:i + H, j:j + Wd, :] += dcols_t[i, j]
    (top, _), (left, _) = same_padding(kh), same_padding(kw)
    dx = dpadded[:, top:top + H, left:left + Wd, :].transpose(3, 1, 2, 0)
    return xp.ascontiguousarray(dx), dW, db


def _corners(x):
    """The four strided views x[:, p::2, q::2] of a 2×2 pooling, in the readable layer's window order."""
    return [x[:, p::2, q::2] for p in (0, 1) for q in (0, 1)]


def max_pool_forward(x):
    """Same as :func:`nadam_ref.nn.layers.max_pool_forward`, without copying the blocks out."""
    xp = array_module(x)
    N, H, W, C = x.shape
    if H % 2 or W % 2:
        raise ValueError(f"max_pool 2×2/2 needs even height and width, got {H}×{W}")
    a, b, c, d = _corners(x)
    out = xp.maximum(xp.maximum(a, b), xp.maximum(c, d))
    # The first corner equal to the max wins, as argmax does: its index counts the corners before it that lost.
    lost_a = a != out
    lost_ab = lost_a & (b != out)
    lost_abc = lost_ab & (c != out)
    winner = xp.add(lost_a, lost_ab, dtype="int8")
    winner += lost_abc
    return out, (x.shape, winner)


def max_pool_backward(dout, cache):
    """Same as :func:`nadam_ref.nn.layers.max_pool_backward`: each block's gradient to its winner."""
    xp = array_module(dout)
    shape, winner = cache
    dx = xp.empty(shape, dtype=dout.dtype)
    for k, corner in enumerate(_corners(dx)):  # every element is written once: no zero fill first
        xp.multiply(dout, winner == k, out=corner)
    return dx


def relu_forward(x):
    """:func:`nadam_ref.nn.layers.relu_forward` in place: ``x`` becomes max(0, x) and is the cache.

    The backward's mask ``cache > 0`` is the same on the output as on the input, so the readable
    :func:`~nadam_ref.nn.layers.relu_backward` still applies; the saving is one array the size of ``x``.
    """
    xp = array_module(x)
    xp.maximum(x, 0, out=x)
    return x, x


def relu_backward(dout, cache):
    """:func:`nadam_ref.nn.layers.relu_backward` in place: ``dout`` is overwritten by the result."""
    xp = array_module(dout)
    return xp.multiply(dout, cache > 0, out=dout)


class FastLayers(SimpleNamespace):
    """The ``nadam_ref.nn`` layer functions with the fast convolution and pooling, sharing one :class:`Buffers`,
    and ReLU in place (a model that uses these must not need a ReLU's input or a gradient after passing it on).

    A model that calls its layers through an attribute (``self.layers.conv2d_forward``) switches with
    ``model.layers = FastLayers()``.
    """

    def __init__(self):
        from .. import nn as package  # the readable namespace, at call time (it does not import this module)

        buffers = Buffers()
        names = {name: getattr(package, name) for name in package.__all__}
        names.update(buffers=buffers, conv2d_forward=lambda x, W, b: conv2d_forward(x, W, b, buffers),
                     conv2d_backward=conv2d_backward, max_pool_forward=max_pool_forward,
                     max_pool_backward=max_pool_backward, relu_forward=relu_forward, relu_backward=relu_backward)
        super().__init__(**names)
