"""What the three models share: configuration by size, parameter initialisation, and batch checking.

A model owns ``params`` (dict name → array, updated in place by whatever trains it) and knows nothing of
optimizers. ``loss_and_grads(batch)`` is a pure function of the parameters and the batch: every random choice
(dropout masks, noise words) is drawn when the batch is made (``make_batch``, ``example_batch``) and
travels in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy  # host side only: initial values are made on the host, then moved to the backend

from ..backend import get_xp, host_rng, to_device

SIZES = ("tiny", "class", "paper")


class BatchError(ValueError):
    """A batch whose arrays have the wrong keys, shapes, dtypes or values for the model."""


@dataclass
class ParamInit:
    """Initial values drawn on the host from one seeded generator, so every backend starts identically."""

    seed: int
    dtype: str
    xp: object
    rng: object = field(init=False)

    def __post_init__(self):
        self.rng = host_rng(self.seed)

    def _put(self, a):
        return to_device(a.astype(self.dtype), self.xp)

    def uniform(self, shape, scale):
        """Uniform on [-scale, scale] (Zaremba's ``init_scale``, word2vec's embedding table)."""
        return self._put(self.rng.uniform(-scale, scale, shape))

    def truncated_normal(self, shape, std):
        """Normal with std ``std``, redrawn outside ±2 std (TensorFlow's ``truncated_normal``)."""
        x = self.rng.standard_normal(shape)
        while (bad := abs(x) > 2.0).any():
            x[bad] = self.rng.standard_normal(int(bad.sum()))
        return self._put(std * x)

    def constant(self, shape, value):
        return self._put(numpy.full(shape, float(value)))


def _fits(got: tuple, want: tuple) -> bool:
    """``got`` matches ``want``, where None in ``want`` matches any length."""
    return len(got) == len(want) and all(w is None or g == w for g, w in zip(got, want, strict=True))


class Model:
    """Base class: ``name``, ``size``, ``config``, ``dtype``, ``xp`` and ``params``."""

    name = "model"
    CONFIGS: dict = {}

    def __init__(self, size: str = "class", seed: int = 0, dtype: str | None = None, xp=None, **overrides):
        if size not in SIZES:
            raise ValueError(f"unknown model size {size!r}; expected one of {SIZES}")
        config = dict(self.CONFIGS[size])
        unknown = sorted(set(overrides) - set(config))
        if unknown:
            raise TypeError(f"{self.name}: unknown setting(s) {unknown}; settings are {sorted(config)}")
        config.update(overrides)
        self.size, self.seed, self.config = size, seed, config
        self.dtype = dtype or ("float64" if size == "tiny" else "float32")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype {self.dtype!r}; expected 'float32' or 'float64'")
        self.xp = xp or get_xp()
        self.params = self.init_params(ParamInit(seed, self.dtype, self.xp))

    def __repr__(self):
        n = sum(int(p.size) for p in self.params.values())
        return f"<{self.name} size={self.size!r} dtype={self.dtype} params={n:,}>"

    # -- batch checks ----------------------------------------------------------------------------------------

    def _float_input(self, batch, key, shape):
        """``batch[key]`` on this model's backend, checked to be of ``shape`` (None = any) and of the
        model's dtype."""
        a = self._get(batch, key, shape)
        if str(a.dtype) != self.dtype:
            raise BatchError(f"{self.name}: batch[{key!r}] has dtype {a.dtype}; expected {self.dtype} like "
                             f"the model's parameters")
        return to_device(a, self.xp)

    def _int_input(self, batch, key, shape, high):
        """``batch[key]`` as integers in ``[0, high)`` of ``shape`` (None = any), on this model's backend."""
        a = self._get(batch, key, shape)
        if a.dtype.kind not in "iu":
            raise BatchError(f"{self.name}: batch[{key!r}] has dtype {a.dtype}; expected integers")
        if a.size and (int(a.min()) < 0 or int(a.max()) >= high):
            raise BatchError(f"{self.name}: batch[{key!r}] holds values in [{int(a.min())}, {int(a.max())}]; "
                             f"expected integers in [0, {high})")
        return to_device(a, self.xp)

    def _get(self, batch, key, shape):
        if not isinstance(batch, dict):
            raise BatchError(f"{self.name}: a batch is a dict of arrays, got {type(batch).__name__}")
        if key not in batch:
            raise BatchError(f"{self.name}: batch lacks {key!r}; it has {sorted(batch)}")
        a = batch[key]
        if not hasattr(a, "shape") or not hasattr(a, "dtype"):
            raise BatchError(f"{self.name}: batch[{key!r}] is a {type(a).__name__}; expected an array")
        if shape is not None and not _fits(a.shape, shape):
            wanted = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ")"
            raise BatchError(f"{self.name}: batch[{key!r}] has shape {tuple(a.shape)}; expected {wanted}")
        return a
