r"""Noise-contrastive estimation (NCE) for word2vec, noise words drawn from the unigram distribution^0.75.

**Which variant, and why.** The paper trained TensorFlow's built-in word2vec model, whose loss is
``tf.nn.nce_loss``: binary logistic regression that tells the true context word from ``k`` noise words, with
each word's score corrected by the log of its expected count among the noise samples (Gutmann & Hyvärinen
2010; Mnih & Teh 2012). We follow that form:

.. math::
    s(w) &= h \cdot u_w + b_w - \log\big(k\, q(w)\big) \\
    L &= \frac1B \sum_{n=1}^{B}\Big[\mathrm{softplus}\big(-s(w_n)\big)
         + \sum_{j=1}^{k} \mathrm{softplus}\big(s(\tilde w_j)\big)\Big]

where :math:`h` is the centre word's (dropped-out) embedding, :math:`u_w, b_w` the output weights and biases,
:math:`w_n` the true context word, and :math:`\tilde w_1 \dots \tilde w_k` the noise words. As in
``tf.nn.nce_loss``, one set of :math:`k` noise words is drawn per batch and shared by all its examples.

The noise distribution is :math:`q(w) \propto \mathrm{count}(w)^{0.75}` (Mikolov et al. 2013, as in
``word2vec.c``); TensorFlow's basic tutorial used a log-uniform (Zipfian) sampler instead, which only changes
:math:`q`.
Samples are drawn with replacement, so :math:`k\,q(w)` is exactly the expected count of :math:`w`, which is
what NCE's correction needs. With ``subtract_log_kq=False`` the correction is dropped, which gives Mikolov's
negative sampling (with biases).
"""

from __future__ import annotations

import numpy

from ..backend import array_module, scatter_add
from .layers import sigmoid, softplus


def unigram_noise(counts, power: float = 0.75):
    """The noise distribution :math:`q(w) \\propto \\mathrm{count}(w)^{power}`, a host float64 array."""
    counts = numpy.asarray(counts, dtype=numpy.float64)
    if counts.ndim != 1 or counts.size == 0 or (counts < 0).any() or counts.sum() <= 0:
        raise ValueError("word counts must be a non-empty 1-D array of non-negative numbers with a "
                         "positive sum")
    weights = counts ** power
    return weights / weights.sum()


def sample_noise(rng, q, k: int):
    """``k`` noise word ids drawn with replacement from ``q`` by the host generator ``rng``."""
    return rng.choice(len(q), size=k, replace=True, p=q)


def nce_forward(h, targets, noise, U, b, log_kq, subtract_log_kq: bool = True):
    r"""NCE loss (see the module docstring).

    ``h`` ``(B, D)`` inputs, ``targets`` ``(B,)`` true word ids, ``noise`` ``(k,)`` noise word ids, ``U``
    ``(V, D)`` output weights, ``b`` ``(V,)`` output biases, ``log_kq`` ``(V,)`` the values
    :math:`\log(k\,q(w))`. Returns ``(loss, cache)``; ``loss`` is a 0-d array.
    """
    B = h.shape[0]
    true_logits = (h * U[targets]).sum(axis=1) + b[targets]
    noise_logits = h @ U[noise].T + b[noise]
    if subtract_log_kq:
        true_logits = true_logits - log_kq[targets]
        noise_logits = noise_logits - log_kq[noise]
    loss = (softplus(-true_logits).sum() + softplus(noise_logits).sum()) / B
    return loss, (h, targets, noise, U, b.shape, true_logits, noise_logits)


def nce_backward(dloss, cache):
    r"""Gradients of :func:`nce_forward`: :math:`\partial s(w_n) = (\sigma(s) - 1)/B`,
    :math:`\partial s(\tilde w_j) = \sigma(s)/B`, then through the dot products. A word can be a target and a
    noise sample, or appear several times, so the output rows are accumulated by scatter-add.
    Returns ``(dh, dU, db)``; ``dU`` and ``db`` are dense, zero where no word touched them.
    """
    h, targets, noise, U, b_shape, true_logits, noise_logits = cache
    xp = array_module(h)
    B = h.shape[0]
    d_true = (sigmoid(true_logits) - 1.0) * (dloss / B)       # (B,)
    d_noise = sigmoid(noise_logits) * (dloss / B)             # (B, k)
    dh = d_true[:, None] * U[targets] + d_noise @ U[noise]
    dU = xp.zeros_like(U)
    scatter_add(dU, targets, d_true[:, None] * h)
    scatter_add(dU, noise, d_noise.T @ h)
    db = xp.zeros(b_shape, dtype=h.dtype)
    scatter_add(db, targets, d_true)
    scatter_add(db, noise, d_noise.sum(axis=0))
    return dh, dU, db
