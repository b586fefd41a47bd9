"""Every layer's backward pass against central differences in float64: relative error below 1e-7."""

from __future__ import annotations

import numpy
import pytest

from nadam_ref import nn
from nadam_ref.backend import to_device
from nadam_ref.nn import gradcheck

TOL = 1e-7


def arr(xp, a):
    return to_device(numpy.ascontiguousarray(a, dtype="float64"), xp)


def away_from_zero(rng, shape, gap=1e-3):
    """Normal entries pushed at least ``gap`` from 0, so no ±h perturbation crosses ReLU's kink."""
    x = rng.standard_normal(shape)
    return numpy.where(numpy.abs(x) < gap, numpy.sign(x + 1e-300) * gap * 2, x)


def assert_small(errors):
    assert errors, "nothing was checked"
    for name, err in errors.items():
        assert err < TOL, f"{name}: relative error {err:.2e}"


def test_affine(xp, rng):
    inputs = {"x": arr(xp, rng.standard_normal((4, 5))), "W": arr(xp, rng.standard_normal((5, 3))),
              "b": arr(xp, rng.standard_normal(3))}
    assert_small(gradcheck.check_layer(nn.affine_forward, nn.affine_backward, inputs, rng))


def test_relu(xp, rng):
    x = away_from_zero(rng, (6, 7))
    assert not gradcheck.relu_kink_crossed(x)
    assert_small(gradcheck.check_layer(nn.relu_forward, nn.relu_backward, {"x": arr(xp, x)}, rng))


@pytest.mark.parametrize("kernel", [(3, 3), (5, 5), (2, 3)])
def test_conv2d_same(xp, rng, kernel):
    kh, kw = kernel
    inputs = {"x": arr(xp, rng.standard_normal((2, 5, 6, 3))),
              "W": arr(xp, rng.standard_normal((kh, kw, 3, 4))), "b": arr(xp, rng.standard_normal(4))}
    assert_small(gradcheck.check_layer(nn.conv2d_forward, nn.conv2d_backward, inputs, rng))


def test_max_pool(xp, rng):
    # Distinct values spaced ≥ 1e-3 apart: no ±h perturbation changes which input wins a block.
    x = rng.permutation(2 * 4 * 6 * 3).reshape(2, 4, 6, 3) * 1e-2
    assert_small(gradcheck.check_layer(nn.max_pool_forward, nn.max_pool_backward, {"x": arr(xp, x)}, rng))


@pytest.mark.parametrize("column", [False, True])
def test_dropout(xp, rng, column):
    mask = nn.column_dropout_mask(rng, 8, 0.5) if column else nn.dropout_mask(rng, (5, 8), 0.3)
    mask = arr(xp, mask)

    def forward(x):
        return nn.dropout_forward(x, mask)

    x = arr(xp, rng.standard_normal((5, 8)))
    assert_small(gradcheck.check_layer(forward, nn.dropout_backward, {"x": x}, rng))


def test_softmax_cross_entropy(xp, rng):
    labels = to_device(rng.integers(0, 7, size=9), xp)
    logits = arr(xp, 3 * rng.standard_normal((9, 7)))

    def forward(logits):
        return nn.softmax_cross_entropy_forward(logits, labels)

    assert_small(gradcheck.check_layer(forward, nn.softmax_cross_entropy_backward, {"logits": logits}, rng))


def test_embedding_with_repeated_ids(xp, rng):
    ids = to_device(numpy.array([[1, 3, 1], [0, 3, 3]]), xp)  # repeats: the scatter-add must accumulate

    def forward(E):
        return nn.embedding_forward(ids, E)

    E = arr(xp, rng.standard_normal((5, 4)))
    assert_small(gradcheck.check_layer(forward, nn.embedding_backward, {"E": E}, rng))


def test_l2(xp, rng):
    weights = {"a": arr(xp, rng.standard_normal((3, 4))), "b": arr(xp, rng.standard_normal(5))}
    loss, cache = nn.l2_forward(weights, 0.3)
    analytic = nn.l2_backward(cache)
    assert_small(gradcheck.check_function(lambda: nn.l2_forward(weights, 0.3)[0], weights, analytic))


@pytest.mark.parametrize("forget_bias", [0.0, 1.0])
def test_lstm_step(xp, rng, forget_bias):
    B, D, H = 3, 4, 5
    inputs = {"x": rng.standard_normal((B, D)), "h_prev": rng.standard_normal((B, H)),
              "c_prev": rng.standard_normal((B, H)), "Wx": 0.5 * rng.standard_normal((D, 4 * H)),
              "Wh": 0.5 * rng.standard_normal((H, 4 * H)), "b": rng.standard_normal(4 * H)}
    inputs = {k: arr(xp, v) for k, v in inputs.items()}
    dh, dc = arr(xp, rng.standard_normal((B, H))), arr(xp, rng.standard_normal((B, H)))

    def f():
        h, c, _ = nn.lstm_step_forward(**inputs, forget_bias=forget_bias)
        return (h * dh).sum() + (c * dc).sum()

    _, _, cache = nn.lstm_step_forward(**inputs, forget_bias=forget_bias)
    analytic = dict(zip(inputs, nn.lstm_step_backward(dh, dc, cache), strict=True))
    assert_small(gradcheck.check_function(f, inputs, analytic))


def test_lstm_sequence_bptt(xp, rng):
    B, T, D, H = 2, 4, 3, 3
    inputs = {"x": rng.standard_normal((B, T, D)), "h0": rng.standard_normal((B, H)),
              "c0": rng.standard_normal((B, H)), "Wx": 0.5 * rng.standard_normal((D, 4 * H)),
              "Wh": 0.5 * rng.standard_normal((H, 4 * H)), "b": rng.standard_normal(4 * H)}
    inputs = {k: arr(xp, v) for k, v in inputs.items()}
    dhs = arr(xp, rng.standard_normal((B, T, H)))
    dh_last, dc_last = arr(xp, rng.standard_normal((B, H))), arr(xp, rng.standard_normal((B, H)))

    def f():
        hs, (h, c), _ = nn.lstm_forward(**inputs)
        return (hs * dhs).sum() + (h * dh_last).sum() + (c * dc_last).sum()

    _, _, cache = nn.lstm_forward(**inputs)
    analytic = dict(zip(inputs, nn.lstm_backward(dhs, cache, dh_last, dc_last), strict=True))
    assert_small(gradcheck.check_function(f, inputs, analytic))


@pytest.mark.parametrize("subtract_log_kq", [True, False])
def test_nce(xp, rng, subtract_log_kq):
    V, D, B, k = 7, 4, 5, 6
    q = nn.unigram_noise(rng.integers(1, 50, size=V))
    noise = to_device(nn.sample_noise(rng, q, k), xp)
    targets = to_device(numpy.array([0, 2, 2, 5, 6]), xp)  # repeats, and likely overlaps with the noise
    log_kq = arr(xp, numpy.log(k * q))
    inputs = {"h": arr(xp, rng.standard_normal((B, D))), "U": arr(xp, rng.standard_normal((V, D))),
              "b": arr(xp, rng.standard_normal(V))}

    def forward(h, U, b):
        return nn.nce_forward(h, targets, noise, U, b, log_kq, subtract_log_kq)

    assert_small(gradcheck.check_layer(forward, nn.nce_backward, inputs, rng))
