"""Layers as forward/backward function pairs, and gradient checking.

``forward(...) -> (out, cache)`` and ``backward(dout, cache) -> grads``, written to be read side by side;
every gradient is derived by hand (no autograd). See README.md in this folder for the list and the
conventions.
"""

from . import gradcheck
from .layers import (
    affine_backward,
    affine_forward,
    col2im,
    column_dropout_mask,
    conv2d_backward,
    conv2d_forward,
    dropout_backward,
    dropout_forward,
    dropout_mask,
    embedding_backward,
    embedding_forward,
    im2col,
    l2_backward,
    l2_forward,
    max_pool_backward,
    max_pool_forward,
    relu_backward,
    relu_forward,
    sigmoid,
    softmax,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
    softplus,
)
from .lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward
from .nce import nce_backward, nce_forward, sample_noise, unigram_noise

__all__ = [
    "gradcheck", "affine_forward", "affine_backward", "relu_forward", "relu_backward", "im2col", "col2im",
    "conv2d_forward", "conv2d_backward", "max_pool_forward", "max_pool_backward", "dropout_mask",
    "column_dropout_mask", "dropout_forward", "dropout_backward", "softmax", "softmax_cross_entropy_forward",
    "softmax_cross_entropy_backward", "embedding_forward", "embedding_backward", "l2_forward", "l2_backward",
    "sigmoid", "softplus", "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "nce_forward", "nce_backward", "unigram_noise", "sample_noise",
]
