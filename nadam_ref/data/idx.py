"""The IDX file format of MNIST (LeCun et al.), raw or gzip-compressed, read with every field checked.

Layout: two zero bytes, a type byte, a byte giving the number of dimensions ``d``, then ``d`` big-endian
32-bit sizes, then the values in C order, big-endian. A file that is truncated, too long, of an unknown type,
or not IDX at all raises :class:`IDXError` naming the file and what was expected.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy

from .._io import atomic_write_bytes
from ._files import DataError

#: IDX type byte → big-endian NumPy dtype.
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"


class IDXError(DataError):
    """An IDX file that is corrupt, truncated, or not what was expected."""


def read_idx(path, expect_dims: int | None = None, expect_dtype: str | None = None) -> numpy.ndarray:
    """The array stored in the IDX file ``path`` (gzip-compressed if it starts with gzip's magic bytes).

    ``expect_dims`` / ``expect_dtype`` (e.g. 3 and "uint8" for MNIST images) are checked when given.
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXError(f"{path}: {len(raw)} bytes is too short for an IDX header (4 bytes at least)")
    zero, type_byte, ndim = raw[:2], raw[2], raw[3]
    if zero != b"\x00\x00" or type_byte not in IDX_TYPES:
        raise IDXError(f"{path}: bad IDX magic number 0x{raw[:4].hex()}; expected 0x0000TTDD with type TT in "
                       f"{{{', '.join(f'{t:02x}' for t in IDX_TYPES)}}}")
    if ndim == 0:
        raise IDXError(f"{path}: IDX header says 0 dimensions; expected at least 1")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{path}: truncated header: {len(raw)} bytes, the {ndim} dimension sizes need "
                       f"{header}")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = numpy.dtype(IDX_TYPES[type_byte])
    expected = header + math.prod(shape) * dtype.itemsize  # Python ints: no overflow on absurd sizes
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "too long"
        raise IDXError(f"{path}: {what}: {len(raw)} bytes, but a {dtype.name} array of shape {shape} needs "
                       f"{expected}")
    if expect_dims is not None and ndim != expect_dims:
        raise IDXError(f"{path}: {ndim}-dimensional array {shape}; expected {expect_dims} dimensions")
    if expect_dtype is not None and dtype.newbyteorder("=") != numpy.dtype(expect_dtype):
        raise IDXError(f"{path}: values of type {dtype.name}; expected {expect_dtype}")
    return numpy.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file, atomically; gzip-compressed when ``compress`` (default: when the
    name ends in .gz)."""
    array = numpy.asarray(array)
    codes = {numpy.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise IDXError(f"IDX cannot store dtype {array.dtype}; it stores {sorted(str(d) for d in codes)}")
    header = bytes([0, 0, codes[native], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.astype(IDX_TYPES[codes[native]]).tobytes()
    if compress if compress is not None else os.fspath(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"IDX file not found: {path}") from None
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as e:  # truncated stream, bad CRC or length, corrupt deflate data
        raise IDXError(f"{path}: corrupt or truncated gzip data ({e})") from None
