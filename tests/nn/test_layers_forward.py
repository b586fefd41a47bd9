"""Forward passes against direct loop transcriptions of their definitions (the gradient checks only show that
each backward pass matches its own forward pass)."""

from __future__ import annotations

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadam_ref import nn


def conv2d_by_loops(x, W, b):
    N, H, Wd, C = x.shape
    kh, kw, _, F = W.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    out = numpy.zeros((N, H, Wd, F))
    for n in range(N):
        for i in range(H):
            for j in range(Wd):
                for p in range(kh):
                    for q in range(kw):
                        r, s = i + p - top, j + q - left
                        if 0 <= r < H and 0 <= s < Wd:  # outside the image is zero padding
                            out[n, i, j] += x[n, r, s] @ W[p, q]
    return out + b


@settings(max_examples=15, deadline=None)
@given(h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 3),
       kh=st.integers(1, 5), kw=st.integers(1, 5))
def test_conv2d_same_is_the_definition(h, w, c, kh, kw):
    rng = numpy.random.default_rng(h * 100 + w * 10 + c)
    x, W, b = rng.standard_normal((2, h, w, c)), rng.standard_normal((kh, kw, c, 3)), rng.standard_normal(3)
    out, _ = nn.conv2d_forward(x, W, b)
    numpy.testing.assert_allclose(out, conv2d_by_loops(x, W, b), rtol=1e-12, atol=1e-12)


def test_col2im_is_the_adjoint_of_im2col(rng):
    # <im2col(x), c> = <x, col2im(c)> for all x, c: the defining property of the adjoint.
    x = rng.standard_normal((2, 5, 4, 3))
    cols = rng.standard_normal((2 * 5 * 4, 5 * 5 * 3))
    lhs = (nn.im2col(x, 5, 5) * cols).sum()
    rhs = (x * nn.col2im(cols, x.shape, 5, 5)).sum()
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_max_pool_is_the_definition(rng):
    x = rng.standard_normal((2, 6, 4, 3))
    out, _ = nn.max_pool_forward(x)
    for i in range(3):
        for j in range(2):
            block = x[:, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
            numpy.testing.assert_array_equal(out[:, i, j], block.max(axis=(1, 2)))
    with pytest.raises(ValueError, match="even height and width"):
        nn.max_pool_forward(numpy.zeros((1, 7, 4, 1)))


def test_max_pool_ties_go_to_the_first_maximum():
    x = numpy.zeros((1, 2, 2, 1))
    _, cache = nn.max_pool_forward(x)
    dx = nn.max_pool_backward(numpy.ones((1, 1, 1, 1)), cache)
    assert dx.sum() == 1.0 and dx[0, 0, 0, 0] == 1.0


def test_softmax_cross_entropy_value(rng):
    logits, labels = rng.standard_normal((4, 5)), numpy.array([0, 4, 2, 2])
    loss, _ = nn.softmax_cross_entropy_forward(logits, labels)
    p = numpy.exp(logits) / numpy.exp(logits).sum(axis=1, keepdims=True)
    assert float(loss) == pytest.approx(-numpy.log(p[numpy.arange(4), labels]).mean(), rel=1e-12)
    big, _ = nn.softmax_cross_entropy_forward(numpy.array([[1000.0, 0.0]]), numpy.array([1]))
    assert float(big) == pytest.approx(1000.0)  # no overflow


def test_nce_value_by_loops(rng):
    V, D, B, k = 6, 3, 4, 5
    q = nn.unigram_noise(numpy.arange(1, V + 1))
    h, U, b = rng.standard_normal((B, D)), rng.standard_normal((V, D)), rng.standard_normal(V)
    targets, noise = numpy.array([1, 1, 5, 0]), numpy.array([2, 2, 0, 4, 1])
    loss, _ = nn.nce_forward(h, targets, noise, U, b, numpy.log(k * q))

    def log_sigmoid(z):
        return -numpy.log1p(numpy.exp(-z))

    expected = 0.0
    for n in range(B):
        s = h[n] @ U[targets[n]] + b[targets[n]] - numpy.log(k * q[targets[n]])
        expected -= log_sigmoid(s)
        for w in noise:
            expected -= log_sigmoid(-(h[n] @ U[w] + b[w] - numpy.log(k * q[w])))
    assert float(loss) == pytest.approx(expected / B, rel=1e-12)


def test_dropout_masks(rng):
    mask = nn.dropout_mask(rng, (200, 50), 0.3)
    assert set(numpy.unique(mask)) == {0.0, 1 / 0.7}
    assert abs((mask == 0).mean() - 0.3) < 0.02
    with pytest.raises(ValueError, match="0 <= p < 1"):
        nn.dropout_mask(rng, (2,), 1.0)


def test_unigram_noise_rejects_bad_counts():
    with pytest.raises(ValueError, match="word counts"):
        nn.unigram_noise([0, 0])
    with pytest.raises(ValueError, match="word counts"):
        nn.unigram_noise([[1, 2]])
