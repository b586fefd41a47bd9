"""The fast convolution and max-pool (nadam_ref.nn.fast) compute what the readable layers compute."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadam_ref import models, nn
from nadam_ref.nn import fast


def close(a, b, dtype="float64"):
    rtol = 1e-12 if dtype == "float64" else 2e-5
    scale = float(np.abs(b).max()) if np.size(b) else 0.0
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(1, 7), w=st.integers(1, 7), c=st.integers(1, 4), f=st.integers(1, 4),
       kh=st.integers(1, 5), kw=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_conv_matches_the_readable_layer(n, h, w, c, f, kh, kw, seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((n, h, w, c)), rng.standard_normal((kh, kw, c, f)), rng.standard_normal(f)
    dout = rng.standard_normal((n, h, w, f))
    want, want_cache = nn.conv2d_forward(x, W, b)
    buffers = fast.Buffers()
    for _ in range(2):  # the second pass reuses the buffers: nothing stale may leak into it
        got, cache = fast.conv2d_forward(x, W, b, buffers)
        close(got, want)
        for input_grad in (True, False):
            for g, r in zip(fast.conv2d_backward(dout, cache, input_grad), nn.conv2d_backward(dout, want_cache,
                                                                                          input_grad), strict=True):
                if r is None:
                    assert g is None
                else:
                    close(g, r)
            got, cache = fast.conv2d_forward(x, W, b, buffers)  # backward with input_grad spends the buffers
        x = rng.standard_normal((n, h, w, c))
        want, want_cache = nn.conv2d_forward(x, W, b)


def test_conv_buffers_are_reused_across_steps():
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((2, 6, 6, 3)), rng.standard_normal((3, 3, 3, 4)), np.zeros(4)
    buffers = fast.Buffers()
    _, first = fast.conv2d_forward(x, W, b, buffers)
    _, second = fast.conv2d_forward(2 * x, W, b, buffers)
    assert np.shares_memory(first[1], second[1])  # the same patch matrix, refilled
    W_other = W.copy()
    _, third = fast.conv2d_forward(x, W_other, b, buffers)  # another layer's weights: its own buffers
    assert not np.shares_memory(second[1], third[1])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 3), h=st.integers(1, 4), w=st.integers(1, 4), c=st.integers(1, 3), seed=st.integers(0, 999),
       ties=st.booleans())
def test_max_pool_matches_the_readable_layer_including_ties(n, h, w, c, seed, ties):
    rng = np.random.default_rng(seed)
    shape = (n, 2 * h, 2 * w, c)
    # ReLU outputs tie at zero all the time; small integers tie often too.
    x = np.maximum(rng.integers(-2, 3, shape), 0).astype("float32") if ties else rng.standard_normal(shape)
    want, want_cache = nn.max_pool_forward(x)
    got, cache = fast.max_pool_forward(x)
    np.testing.assert_array_equal(got, want)
    dout = rng.standard_normal(want.shape).astype(x.dtype)
    np.testing.assert_array_equal(fast.max_pool_backward(dout, cache), nn.max_pool_backward(dout, want_cache))


def test_max_pool_rejects_odd_sizes():
    with pytest.raises(ValueError, match="even height and width, got 3×4"):
        fast.max_pool_forward(np.zeros((1, 3, 4, 1)))


def test_conv_rejects_mismatched_channels():
    with pytest.raises(ValueError, match="input has 2 channels, kernel expects 3"):
        fast.conv2d_forward(np.zeros((1, 4, 4, 2)), np.zeros((3, 3, 3, 1)), np.zeros(1))


@pytest.mark.parametrize("size, dtype", [("tiny", "float64"), ("class", "float32")])
def test_cnn_with_fast_layers_gives_the_same_loss_and_gradients(size, dtype):
    readable = models.build("cnn", size, seed=1, dtype=dtype)
    quick = models.build("cnn", size, seed=1, dtype=dtype)
    quick.layers = fast.FastLayers()
    for step in range(2):  # twice, so the second step runs on reused buffers
        batch = readable.example_batch(np.random.default_rng(step))
        loss, grads = readable.loss_and_grads(batch)
        quick_loss, quick_grads = quick.loss_and_grads(batch)
        assert quick_loss == pytest.approx(loss, rel=1e-12 if dtype == "float64" else 1e-5)
        for name in grads:
            close(quick_grads[name], grads[name], dtype)


def test_in_place_relu_matches_the_readable_layer():
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, (4, 5)).astype("float32")  # zeros included: the kink gets gradient 0 in both
    dout = rng.standard_normal(x.shape).astype("float32")
    want, want_cache = nn.relu_forward(x)
    want_dx = nn.relu_backward(dout, want_cache)
    given_x, given_dout = x.copy(), dout.copy()
    got, cache = fast.relu_forward(given_x)
    np.testing.assert_array_equal(got, want)
    assert got is given_x  # in place, as documented
    got_dx = fast.relu_backward(given_dout, cache)
    np.testing.assert_array_equal(got_dx, want_dx)
    assert got_dx is given_dout
