"""IDX reading with validation, and the MNIST loader (shipped split and any IDX folder)."""

from __future__ import annotations

import gzip
import struct

import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nadam_ref import data
from nadam_ref.data import IDXError, read_idx, write_idx


@settings(max_examples=30, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       dtype=st.sampled_from(["uint8", "int8", "int16", "int32", "float32", "float64"]),
       compress=st.booleans())
def test_idx_round_trip(tmp_path_factory, shape, dtype, compress):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compress else "a.idx")
    a = (numpy.arange(numpy.prod(shape)) % 100).reshape(shape).astype(dtype)
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == a.dtype and b.shape == a.shape
    numpy.testing.assert_array_equal(a, b)


def idx_bytes(a):
    return bytes([0, 0, 0x08, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()


def test_wrong_magic(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"\x00\x01\x08\x01" + b"\x00" * 8)
    with pytest.raises(IDXError, match="bad IDX magic number 0x00010801"):
        read_idx(p)
    p.write_bytes(b"\x00\x00\x07\x01" + b"\x00" * 8)  # unknown type byte
    with pytest.raises(IDXError, match="bad IDX magic"):
        read_idx(p)


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_and_too_long(tmp_path, compress):
    raw = idx_bytes(numpy.zeros((3, 4), numpy.uint8))
    p = tmp_path / "x"
    for body, what in ((raw[:-1], "truncated"), (raw + b"\x00", "too long"), (raw[:6], "truncated header")):
        p.write_bytes(gzip.compress(body) if compress else body)
        with pytest.raises(IDXError, match=what) as info:
            read_idx(p)
        assert str(p) in str(info.value)


def test_corrupt_and_truncated_gzip(tmp_path):
    good = gzip.compress(idx_bytes(numpy.arange(200, dtype=numpy.uint8).reshape(10, 20)))
    p = tmp_path / "x.gz"
    p.write_bytes(good[: len(good) // 2])
    with pytest.raises(IDXError, match="corrupt or truncated gzip"):
        read_idx(p)
    corrupt = bytearray(good)
    corrupt[-6] ^= 0xFF  # inside the CRC-32 / length trailer
    p.write_bytes(bytes(corrupt))
    with pytest.raises(IDXError, match="corrupt or truncated gzip"):
        read_idx(p)


def test_expected_dims_and_dtype(tmp_path):
    p = tmp_path / "x"
    write_idx(p, numpy.zeros((2, 3), numpy.int32))
    with pytest.raises(IDXError, match="expected 3 dimensions"):
        read_idx(p, expect_dims=3)
    with pytest.raises(IDXError, match="expected uint8"):
        read_idx(p, expect_dtype="uint8")


def test_shipped_mnist_split_is_deterministic_and_disjoint():
    a, b = data.load_mnist(), data.load_mnist()
    sizes = {k: len(v[1]) for k, v in a.items()}
    assert sizes == {"train": 8000, "valid": 1000, "test": 1000}
    for k in a:
        numpy.testing.assert_array_equal(a[k][0], b[k][0])
    x, y = a["train"]
    assert x.shape == (8000, 28, 28, 1) and x.dtype == numpy.float32 and y.dtype == numpy.int64
    assert -0.5 <= x.min() and x.max() <= 0.5
    # The shipped labels total 980 1135 1032 1010 982 892 958 1028 974 1009 (datasets README).
    total = sum(numpy.bincount(v[1], minlength=10) for v in a.values())
    assert total.tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    rows = {arr.tobytes() for arr in numpy.concatenate([v[0] for v in a.values()])[:, :, :, 0]}
    assert len(rows) > 9990  # the splits do not share images (a handful of exact duplicates exist in MNIST)


def write_fake_mnist(folder, n_train=6000, n_test=20):
    rng = numpy.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=numpy.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", rng.integers(0, 10, n, dtype=numpy.uint8))


def test_any_idx_folder_like_fashion_mnist(tmp_path):
    write_fake_mnist(tmp_path)
    splits = data.load_mnist(tmp_path)
    assert {k: len(v[1]) for k, v in splits.items()} == {"train": 1000, "valid": 5000, "test": 20}


def test_missing_or_inconsistent_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="no train-images"):
        data.load_mnist(tmp_path)
    write_fake_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", numpy.zeros(19, numpy.uint8))
    with pytest.raises(IDXError, match="20 images but .* 19 labels"):
        data.load_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", numpy.full(20, 11, numpy.uint8))
    with pytest.raises(IDXError, match="label 11"):
        data.load_mnist(tmp_path)


@pytest.mark.parametrize("relpath, sha256", [
    ("mnist/t10k-images-idx3-ubyte.gz", "9fe7630f90c0e670227960a294637bc2e78a29d724810e24204eb342c9f033a1"),
    ("mnist/t10k-labels-idx1-ubyte.gz", "2c54c993d38068b3c3adb720a5cdee07065a066a7b36e7d1df720548d6359eba"),
    ("tinyshakespeare/input.txt", "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"),
    ("analogies/questions-words.txt", "8c29b3332afc46f3fb8be04cb5297bf96f39aa7131272dff57869b4485b22a36"),
])
def test_shipped_files_are_the_recorded_ones(relpath, sha256):
    assert data.file_digest(data.SHIPPED / relpath) == sha256
