"""MNIST-format image sets (MNIST, Fashion-MNIST) from a folder of IDX files, split into train/valid/test.

* No folder: the shipped MNIST test set (10,000 images), split by a fixed permutation into 8,000 train,
  1,000 valid and 1,000 test images. The same permutation every time, on every machine.
* A folder with ``train-*`` and ``t10k-*`` files (full MNIST after ``nadam-ref data download mnist``, or
  Fashion-MNIST at ``/usr/share/datasets/fashion-mnist``): the first 5,000 training images are the
  validation set, as in TensorFlow's ``convolutional.py``, and ``t10k`` is the test set.

Pixels are scaled as that model does, :math:`(p - 127.5) / 255 \\in [-0.5, 0.5]`, and shaped NHWC
``(N, 28, 28, 1)`` float32; labels are int64.
"""

from __future__ import annotations

from pathlib import Path

import numpy

from ._files import SHIPPED, require_dir
from .idx import IDXError, read_idx

SHIPPED_MNIST = SHIPPED / "mnist"
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
SHIPPED_SPLIT = (8000, 1000, 1000)
SPLIT_SEED = 2016  # the paper's year; any fixed number would do
VALIDATION_SIZE = 5000


def find_idx(directory: Path, stem: str) -> Path | None:
    """``stem`` or ``stem.gz`` in ``directory``, whichever exists."""
    for name in (stem + ".gz", stem):
        if (directory / name).is_file():
            return directory / name
    return None


def read_images_and_labels(directory: Path, prefix: str):
    """``(images uint8 (N, H, W), labels uint8 (N,))`` from ``{prefix}-images-idx3-ubyte`` and
    ``{prefix}-labels-idx1-ubyte`` (gzip or not), checked against each other."""
    images_path = find_idx(directory, f"{prefix}-images-idx3-ubyte")
    labels_path = find_idx(directory, f"{prefix}-labels-idx1-ubyte")
    if images_path is None or labels_path is None:
        raise FileNotFoundError(f"{directory}: no {prefix}-images-idx3-ubyte[.gz] and "
                                f"{prefix}-labels-idx1-ubyte[.gz]")
    images = read_idx(images_path, expect_dims=3, expect_dtype="uint8")
    labels = read_idx(labels_path, expect_dims=1, expect_dtype="uint8")
    if len(images) != len(labels):
        raise IDXError(f"{images_path} holds {len(images)} images but {labels_path} holds "
                       f"{len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise IDXError(f"{labels_path}: label {int(labels.max())} found; expected digits 0-9")
    return images, labels


def to_model_input(images, labels):
    """uint8 images (N, H, W) → float32 (N, H, W, 1) in [-0.5, 0.5]; labels → int64."""
    x = ((images.astype(numpy.float32) - 127.5) / 255.0)[..., None]
    return x, labels.astype(numpy.int64)


def load_mnist(directory=None) -> dict:
    """``{"train": (x, y), "valid": (x, y), "test": (x, y)}`` from ``directory`` (default: shipped)."""
    if directory is None:
        images, labels = read_images_and_labels(SHIPPED_MNIST, "t10k")
        order = numpy.random.default_rng(SPLIT_SEED).permutation(len(labels))
        n_train, n_valid, _ = SHIPPED_SPLIT
        parts = {"train": order[:n_train], "valid": order[n_train:n_train + n_valid],
                 "test": order[n_train + n_valid:]}
        return {name: to_model_input(images[idx], labels[idx]) for name, idx in parts.items()}
    directory = require_dir(directory, "MNIST-format data")
    if find_idx(directory, "train-images-idx3-ubyte") is None:
        raise FileNotFoundError(f"{directory}: no train-images-idx3-ubyte[.gz]; an MNIST-format folder holds "
                                "train-{images-idx3,labels-idx1}-ubyte and t10k-{...} files, gzip or raw")
    train_images, train_labels = read_images_and_labels(directory, "train")
    v = VALIDATION_SIZE
    if len(train_images) <= v:
        raise IDXError(f"{find_idx(directory, 'train-images-idx3-ubyte')}: {len(train_images):,} training images; "
                       f"expected more than {v:,} (the first {v:,} are the validation set)")
    test_images, test_labels = read_images_and_labels(directory, "t10k")
    return {"train": to_model_input(train_images[v:], train_labels[v:]),
            "valid": to_model_input(train_images[:v], train_labels[:v]),
            "test": to_model_input(test_images, test_labels)}
