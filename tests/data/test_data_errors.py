"""Bad data from the API: one DataError (a ValueError) naming the file and what was expected; bad download
options refused before any network access."""

from __future__ import annotations

import gzip
import importlib
import re
import struct

import numpy
import pytest

from nadam_ref import data
from nadam_ref.data import DataError, IDXError, load_analogies, load_corpus, read_idx, write_idx

download_module = importlib.import_module("nadam_ref.data.download")  # data.download is the function
LATIN1 = "the café\n".encode("latin-1")  # é is byte 0xe9 at offset 7


@pytest.mark.parametrize("name, files", [
    ("ptb", ("ptb.train.txt", "ptb.valid.txt", "ptb.test.txt")),
    ("text8", ("text8",)),
    ("tinyshakespeare", ("input.txt",)),
])
def test_a_corpus_that_is_not_utf8_names_its_file(name, files, tmp_path):
    for f in files:
        (tmp_path / f).write_bytes(LATIN1)
    with pytest.raises(DataError, match=rf"{re.escape(str(tmp_path / files[0]))}: byte 0xe9 at offset 7 is not UTF-8; "
                                        r"expected a text corpus in UTF-8"):
        load_corpus(name, tmp_path)


def test_analogies_that_are_not_utf8_name_their_file(tmp_path):
    path = tmp_path / "questions.txt"
    path.write_bytes(b": capital\n" + "athens greece paris françe\n".encode("latin-1"))
    expected = rf"{re.escape(str(path))}: byte 0xe7 .* expected word2vec analogy questions in UTF-8"
    with pytest.raises(DataError, match=expected):
        load_analogies(path)


def test_every_data_error_is_a_value_error():
    assert issubclass(IDXError, DataError) and issubclass(data.EmptyCorpusError, DataError)
    assert issubclass(DataError, ValueError)


@pytest.mark.parametrize("dims", [(65536,) * 4, (2**32 - 1,) * 3, (2**31, 2**31, 4)])
def test_idx_dimensions_that_overflow_int64_are_truncated_not_a_reshape_error(dims, tmp_path):
    path = tmp_path / "huge-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 0x08, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)))
    expected = rf"{re.escape(str(path))}: truncated: {4 + 4 * len(dims)} bytes, but a uint8 array"
    with pytest.raises(IDXError, match=expected):
        read_idx(path)


@pytest.mark.parametrize("n_train", [0, 1, 5000])
def test_an_mnist_folder_with_an_empty_training_split_is_refused(n_train, tmp_path):
    for prefix, n in (("train", n_train), ("t10k", 10)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", numpy.zeros((n, 28, 28), dtype=numpy.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", numpy.zeros(n, dtype=numpy.uint8))
    with pytest.raises(IDXError, match=rf"train-images-idx3-ubyte.gz: {n_train:,} training images; expected more "
                                       r"than 5,000 \(the first 5,000 are the validation set\)"):
        data.load_mnist(tmp_path)


def test_an_mnist_folder_with_5001_images_has_a_one_image_training_split(tmp_path):
    for prefix, n in (("train", 5001), ("t10k", 3)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", numpy.zeros((n, 28, 28), dtype=numpy.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", numpy.zeros(n, dtype=numpy.uint8))
    splits = data.load_mnist(tmp_path)
    assert [len(splits[s][0]) for s in ("train", "valid", "test")] == [1, 5000, 3]


@pytest.mark.parametrize("options, message", [
    ({"mirror": "notaurl"}, "mirror='notaurl'; expected the URL of a folder"),
    ({"mirror": "http://"}, "mirror='http://'"),
    ({"mirror": "gopher://host/x"}, "mirror='gopher://host/x'"),
    ({"timeout": -1.0}, "timeout=-1.0; expected a finite number of seconds > 0"),
    ({"timeout": 0}, "timeout=0"),
    ({"timeout": float("nan")}, "timeout=nan"),
    ({"timeout": float("inf")}, "timeout=inf"),
    ({"timeout": "60"}, "timeout='60'"),
])
def test_bad_download_options_are_refused_before_any_network_access(options, message, tmp_path, monkeypatch):
    monkeypatch.setattr(download_module.urllib.request, "urlopen", lambda *a, **k: pytest.fail("fetched"))
    with pytest.raises(ValueError, match=message):
        data.download("mnist", tmp_path, **options)
    assert list(tmp_path.iterdir()) == []


def test_good_download_options_pass():
    download_module.check_options("https://example.org/mnist/", 0.5)
    download_module.check_options("file:///srv/mirror", 60)
    download_module.check_options(None, 60.0)
