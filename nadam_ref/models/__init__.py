"""The paper's three models, every gradient by hand: ``cnn`` (MNIST), ``lstm_lm`` (PTB) and ``word2vec``.

    >>> from nadam_ref import models
    >>> import numpy as np
    >>> model = models.build("cnn", size="tiny", seed=0)
    >>> loss, grads = model.loss_and_grads(model.example_batch(np.random.default_rng(0)))
    >>> sorted(grads) == sorted(model.params)
    True

Each model has ``params`` (dict name → array), ``loss_and_grads(batch) -> (float, dict)``,
``example_batch(rng)`` and ``make_batch(...)``; see README.md in this folder.
"""

from __future__ import annotations

from ._base import SIZES, BatchError, Model
from .cnn import CNN
from .lstm_lm import LSTMLM
from .word2vec import Word2Vec

MODELS = {"cnn": CNN, "lstm_lm": LSTMLM, "word2vec": Word2Vec}


def build(name: str, size: str = "class", seed: int = 0, *, dtype: str | None = None, xp=None,
          **settings) -> Model:
    """The model ``name`` (one of :data:`MODELS`) at ``size`` ("tiny", "class" or "paper"), its parameters
    drawn from ``seed``.

    ``dtype`` defaults to float64 for ``tiny`` (gradient checks) and float32 otherwise; ``xp`` to the backend
    chosen by ``NADAM_REF_BACKEND``. Any other keyword overrides one setting of the size's configuration
    (e.g. ``vocab=5000``, or ``counts=`` for word2vec's noise distribution).
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[name](size, seed, dtype, xp, **settings)


__all__ = ["build", "MODELS", "SIZES", "BatchError", "Model", "CNN", "LSTMLM", "Word2Vec"]
