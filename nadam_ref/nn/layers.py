r"""Feed-forward layers as ``forward -> (out, cache)`` / ``backward(dout, cache) -> grads`` pairs.

Every function takes its array namespace from its inputs (:func:`nadam_ref.backend.array_module`), so the same
code runs on NumPy and CuPy. Layouts follow TensorFlow, whose models the paper ran: images are NHWC
(batch, height, width, channels) and convolution kernels are ``(kh, kw, C_in, C_out)``.

The backward passes are written for reading next to their forward passes (the cs231n layout). Fast variants
belong next to these readable ones, under their own names, checked against them.
"""

from __future__ import annotations

from ..backend import array_module, scatter_add, sliding_windows

# -- affine --------------------------------------------------------------------------------------------------


def affine_forward(x, W, b):
    r"""Fully connected layer :math:`y = x W + b`.

    ``x`` is ``(N, D)``, ``W`` is ``(D, M)``, ``b`` is ``(M,)``; returns ``y`` ``(N, M)`` and the cache.
    """
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    r"""Gradients of :func:`affine_forward`: :math:`\partial x = \delta W^\top`,
    :math:`\partial W = x^\top \delta`, :math:`\partial b = \sum_n \delta_n`. Returns ``(dx, dW, db)``."""
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


# -- ReLU ----------------------------------------------------------------------------------------------------


def relu_forward(x):
    r""":math:`\max(0, x)` elementwise."""
    xp = array_module(x)
    return xp.maximum(x, 0), x


def relu_backward(dout, cache):
    """The gradient passes where the input was positive (at the kink, 0 gets gradient 0, as in TF/torch)."""
    x = cache
    return dout * (x > 0)


# -- convolution (im2col / col2im) ---------------------------------------------------------------------------


def same_padding(kernel: int) -> tuple[int, int]:
    """TensorFlow's 'SAME' padding for stride 1: ``kernel - 1`` zeros in all, the odd one after."""
    before = (kernel - 1) // 2
    return before, kernel - 1 - before


def im2col(x, kh, kw):
    """All ``kh × kw`` patches of the 'SAME'-padded NHWC ``x`` as rows: ``(N·H·W, kh·kw·C)``.

    Row ``(n, i, j)`` holds the patch whose top-left corner is output pixel ``(i, j)``, ordered
    ``(kh, kw, C)`` like a TensorFlow kernel, so ``im2col(x) @ W.reshape(-1, C_out)`` is the convolution.
    """
    xp = array_module(x)
    N, H, W, C = x.shape
    (top, bottom), (left, right) = same_padding(kh), same_padding(kw)
    padded = xp.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    windows = sliding_windows(padded, (kh, kw), axis=(1, 2))  # (N, H, W, C, kh, kw), a view
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(N * H * W, kh * kw * C)


def col2im(cols, x_shape, kh, kw):
    """The adjoint of :func:`im2col`: add every patch row back onto the pixels it was read from."""
    xp = array_module(cols)
    N, H, W, C = x_shape
    (top, _), (left, _) = same_padding(kh), same_padding(kw)
    patches = cols.reshape(N, H, W, kh, kw, C)
    padded = xp.zeros((N, H + kh - 1, W + kw - 1, C), dtype=cols.dtype)
    for i in range(kh):  # kh·kw slab additions; each pixel is hit once per kernel offset
        for j in range(kw):
            padded[:, i:i + H, j:j + W, :] += patches[:, :, :, i, j, :]
    return padded[:, top:top + H, left:left + W, :]


def conv2d_forward(x, W, b):
    r"""2-D convolution (cross-correlation, as every framework computes), 'SAME' padding, stride 1.

    .. math:: y_{n,i,j,f} = b_f + \sum_{p,q,c} x_{n,\,i+p-t,\,j+q-l,\,c}\, W_{p,q,c,f}

    with :math:`t, l` the top and left padding. ``x`` is NHWC ``(N, H, W, C)``, ``W`` is ``(kh, kw, C, F)``,
    ``b`` is ``(F,)``; returns ``(N, H, W, F)``. Computed as one matrix product over :func:`im2col` patches.
    """
    N, H, Wd, C = x.shape
    kh, kw, C_in, F = W.shape
    if C_in != C:
        raise ValueError(f"conv2d: input has {C} channels, kernel expects {C_in}")
    cols = im2col(x, kh, kw)
    out = cols @ W.reshape(kh * kw * C, F) + b
    return out.reshape(N, H, Wd, F), (x.shape, cols, W)


def conv2d_backward(dout, cache, input_grad: bool = True):
    r"""Gradients of :func:`conv2d_forward`: :math:`\partial W = \mathrm{cols}^\top \delta`,
    :math:`\partial x = \mathrm{col2im}(\delta W^\top)`, :math:`\partial b = \sum \delta`.
    Returns ``(dx, dW, db)``; ``dx`` is None with ``input_grad=False`` (a first layer, whose input is the
    data, needs no gradient)."""
    x_shape, cols, W = cache
    kh, kw, C, F = W.shape
    dout2d = dout.reshape(-1, F)
    dW = (cols.T @ dout2d).reshape(W.shape)
    dx = col2im(dout2d @ W.reshape(kh * kw * C, F).T, x_shape, kh, kw) if input_grad else None
    return dx, dW, dout2d.sum(axis=0)


# -- max pooling 2×2, stride 2 -------------------------------------------------------------------------------


def _pool_windows(x):
    """NHWC ``x`` as ``(N, H/2, W/2, C, 4)``: the four pixels of every 2×2 block on the last axis."""
    N, H, W, C = x.shape
    if H % 2 or W % 2:
        raise ValueError(f"max_pool 2×2/2 needs even height and width, got {H}×{W}")
    return x.reshape(N, H // 2, 2, W // 2, 2, C).transpose(0, 1, 3, 5, 2, 4).reshape(N, H // 2, W // 2, C, 4)


def max_pool_forward(x):
    r"""Max over non-overlapping 2×2 blocks: :math:`y_{n,i,j,c} = \max_{p,q\in\{0,1\}} x_{n,2i+p,2j+q,c}`."""
    xp = array_module(x)
    windows = _pool_windows(x)
    winner = windows.argmax(axis=-1)  # ties go to the first maximum, as TF and torch do
    out = xp.take_along_axis(windows, winner[..., None], axis=-1)[..., 0]
    return out, (x.shape, winner)


def max_pool_backward(dout, cache):
    """Each output's gradient goes to the one input that won its block; the other three get zero."""
    xp = array_module(dout)
    (N, H, W, C), winner = cache
    one_hot = winner[..., None] == xp.arange(4)
    dwindows = one_hot * dout[..., None]
    return dwindows.reshape(N, H // 2, W // 2, C, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(N, H, W, C)


# -- dropout -------------------------------------------------------------------------------------------------


def dropout_mask(rng, shape, p: float, dtype="float64"):
    r"""An inverted-dropout mask drawn on the host: each entry is 0 with probability ``p``, else
    :math:`1/(1-p)`.

    Scaling the kept units by :math:`1/(1-p)` keeps every activation's expectation, so evaluation needs no
    rescaling (TensorFlow's ``tf.nn.dropout``). Returns a NumPy array; move it with ``backend.to_device``.
    """
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability p={p!r}; expected 0 <= p < 1")
    keep = rng.random(shape) >= p
    return (keep / (1.0 - p)).astype(dtype)


def column_dropout_mask(rng, n_columns: int, p: float = 0.5, dtype="float64"):
    """The paper's word2vec dropout: each of the ``n_columns`` embedding columns (coordinates) is dropped with
    probability ``p`` for the whole batch. Shape ``(1, n_columns)``: it broadcasts over a batch's rows."""
    return dropout_mask(rng, (1, n_columns), p, dtype)


def dropout_forward(x, mask):
    """``x * mask``; the mask (:func:`dropout_mask` or :func:`column_dropout_mask`) broadcasts over ``x``."""
    return x * mask, mask


def dropout_backward(dout, cache):
    """Dropped units pass no gradient; kept ones pass it scaled like their forward value."""
    return dout * cache


# -- softmax cross-entropy -----------------------------------------------------------------------------------


def softmax(logits):
    r""":math:`\mathrm{softmax}(z)_k = e^{z_k - \max z} / \sum_j e^{z_j - \max z}` along the last axis."""
    xp = array_module(logits)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = xp.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy_forward(logits, labels):
    r"""Mean negative log-likelihood of integer ``labels`` under :math:`\mathrm{softmax}(\text{logits})`.

    .. math:: L = -\frac1N \sum_n \log \mathrm{softmax}(z_n)_{y_n}

    ``logits`` is ``(N, K)``, ``labels`` is ``(N,)`` of ints in ``[0, K)``. Returns ``(loss, cache)`` with a
    0-d array loss (call ``float`` on it).
    """
    xp = array_module(logits)
    N = logits.shape[0]
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))
    loss = -log_probs[xp.arange(N), labels].mean()
    return loss, (log_probs, labels)


def softmax_cross_entropy_backward(dloss, cache):
    r""":math:`\partial L / \partial z_n = (\mathrm{softmax}(z_n) - \mathrm{onehot}(y_n)) / N`, times
    ``dloss``."""
    xp = array_module(cache[0])
    log_probs, labels = cache
    N = log_probs.shape[0]
    dlogits = xp.exp(log_probs)
    dlogits[xp.arange(N), labels] -= 1.0
    return dlogits * (dloss / N)


# -- embedding -----------------------------------------------------------------------------------------------


def embedding_forward(ids, E):
    """Rows ``E[ids]`` of the ``(V, D)`` table: any integer array ``ids`` gives ``ids.shape + (D,)``."""
    return E[ids], (ids, E.shape)


def embedding_backward(dout, cache):
    """The table's gradient: each looked-up row's gradient is added back to its row. A word that occurs
    twice in the batch gets both gradients, hence a scatter-add, not an assignment."""
    xp = array_module(dout)
    ids, shape = cache
    dE = xp.zeros(shape, dtype=dout.dtype)
    scatter_add(dE, ids.reshape(-1), dout.reshape(-1, shape[1]))
    return dE


# -- L2 regularisation ---------------------------------------------------------------------------------------


def l2_forward(weights: dict, lam: float):
    r"""TensorFlow's ``lam * tf.nn.l2_loss``: :math:`\frac{\lambda}{2} \sum_W \lVert W \rVert^2` over
    ``weights`` (a dict name → array). Returns ``(loss, cache)`` with a Python float loss."""
    loss = 0.5 * lam * sum(float((w * w).sum()) for w in weights.values())
    return loss, (weights, lam)


def l2_backward(cache):
    r""":math:`\partial/\partial W = \lambda W` for each weight; a dict named like the input."""
    weights, lam = cache
    return {name: lam * w for name, w in weights.items()}


# -- helpers -------------------------------------------------------------------------------------------------


def sigmoid(x):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})`, written with tanh so it never overflows."""
    xp = array_module(x)
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def softplus(x):
    r""":math:`\log(1 + e^{x})`, stable for large :math:`|x|`.
    Note :math:`-\log\sigma(x) = \mathrm{softplus}(-x)`."""
    xp = array_module(x)
    return xp.logaddexp(0.0, x)

