"""Every sub-command, given bad arguments or bad data, ends with exit status 2 and exactly one line on stderr that
names what was wrong: no traceback, and no work done first.

``{file}`` in a case is an existing file, ``{dir}`` an existing folder, ``{data}`` a data cache folder that the
case's ``setup`` fills (and ``NADAM_REF_DATA`` points to).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import numpy
import pytest

from nadam_ref import backend
from nadam_ref.cli import main
from nadam_ref.data import write_idx


def mnist_labels(data, n=10):
    (data / "mnist").mkdir()
    write_idx(data / "mnist" / "train-labels-idx1-ubyte", numpy.zeros(n, dtype=numpy.uint8))


def corrupt_mnist(data):
    mnist_labels(data)
    (data / "mnist" / "train-images-idx3-ubyte").write_bytes(b"\x12\x34\x56\x78not an IDX file")


def small_mnist(data):
    (data / "mnist").mkdir()
    for prefix, n in (("train", 300), ("t10k", 100)):
        write_idx(data / "mnist" / f"{prefix}-images-idx3-ubyte", numpy.zeros((n, 28, 28), dtype=numpy.uint8))
        write_idx(data / "mnist" / f"{prefix}-labels-idx1-ubyte", numpy.zeros(n, dtype=numpy.uint8))


def latin1_ptb(data):
    (data / "ptb").mkdir()
    for split in ("train", "valid", "test"):
        (data / "ptb" / f"ptb.{split}.txt").write_bytes("the café is open\n".encode("latin-1"))


def latin1_text8(data):
    (data / "text8").mkdir()
    (data / "text8" / "text8").write_bytes(" anarchism originated as a térm".encode("latin-1"))


def overflowing_idx(data):
    mnist_labels(data)
    header = bytes([0, 0, 0x08, 4]) + (65536).to_bytes(4, "big") * 4  # 2⁶⁴ values: wraps to 0 in int64
    (data / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(header))


CASES = [
    # (argv, what stderr must name, setup of the data folder)
    (["nosuch"], "invalid choice: 'nosuch'", None),
    (["rules", "--bogus"], "unrecognized arguments: --bogus", None),
    (["trace", "--rule", "adamw"], "unknown rule 'adamw'", None),
    (["trace", "--rule", "adam", "--steps", "0"], "--steps 0", None),
    (["trace", "--rule", "adam", "--steps", "two"], "invalid int value: 'two'", None),
    (["trace", "--rule", "adam", "--eps=-1e-8"], "eps=-1e-08", None),
    (["trace", "--rule", "adam", "--eps", "-1e-8"], "eps=-1e-08", None),
    (["trace", "--rule", "adam", "--lr", "-inf"], "lr=-inf", None),
    (["trace", "--rule", "adam", "--lr", "nan"], "lr=nan", None),
    (["trace", "--rule", "adam", "--mu", "1.5"], "mu=1.5", None),
    (["trace", "--rule", "adam", "--schedule", "cosine"], "invalid choice: 'cosine'", None),
    (["trace"], "the following arguments are required: --rule", None),
    (["demo", "--out", "{file}/sub"], "cannot write to output folder", None),
    (["demo", "--quick", "--bogus"], "unrecognized arguments: --bogus", None),
    (["bench", "--out", "{file}", "--models", "none"], "cannot write to output folder", None),
    (["bench", "--out", "{file}/sub", "--models", "none"], "cannot write to output folder", None),
    (["bench", "--sizes", "x"], "--sizes 'x'", None),
    (["bench", "--sizes", "-5"], "--sizes '-5'", None),
    (["bench", "--sizes", "1e12"], "--sizes '1e12': expected comma-separated whole numbers from 1 to", None),
    (["bench", "--sizes", "nan"], "--sizes 'nan'", None),
    (["bench", "--repeats", "0"], "--repeats 0", None),
    (["bench", "--rules", "lion"], "unknown ['lion']", None),
    (["bench", "--threads", "0"], "--threads '0'", None),
    (["bench", "--models", "resnet"], "--models 'resnet'", None),
    (["bench", "--full-below", "-1"], "--full-below -1", None),
    (["bench", "--device", "tpu"], "invalid choice: 'tpu'", None),
    (["race", "--surface", "everest"], "unknown surface 'everest'", None),
    (["race", "--steps", "0"], "--steps 0", None),
    (["race", "--steps", "1000000000"], "--steps 1000000000", None),
    (["race", "--rules", "adam,lion"], "unknown rule 'lion'", None),
    (["race", "--rules", "adam,adam"], "names a rule twice", None),
    (["race", "--lr", "adam=-1"], "--lr 'adam=-1'", None),
    (["race", "--lr", "adam"], "--lr 'adam'", None),
    (["race", "--start", "1,2,3"], "--start '1,2,3'", None),
    (["race", "--start", "-9,2"], "--start '-9,2'", None),
    (["race", "--frames", "1"], "--frames 1", None),
    (["race", "--format", "mp4"], "invalid choice: 'mp4'", None),
    (["race", "--out", "{file}/sub"], "cannot write to output folder", None),
    (["crosscheck", "--against", "tensorflow"], "unknown library 'tensorflow'", None),
    (["crosscheck", "--steps", "0"], "steps=0", None),
    (["crosscheck", "--steps", "1000000000"], "--steps 1000000000", None),
    (["crosscheck", "--rules", "adamw"], "unknown rule 'adamw'", None),
    (["crosscheck", "--dtype", "float16"], "invalid choice: 'float16'", None),
    (["crosscheck", "--markdown", "{dir}"], "it is a folder", None),
    (["crosscheck", "--markdown", "{dir}/missing/c.md"], "does not exist", None),
    (["crosscheck", "--markdown", "{file}/c.md"], "does not exist", None),
    (["identify"], "one of the arguments --torch", None),
    (["identify", "--torch", "nosuch.mod:X"], "cannot import nosuch.mod", None),
    (["identify", "--step", "math:sqrt", "--kwargs", "notjson"], "--kwargs 'notjson': not JSON", None),
    (["identify", "--step", "math:sqrt", "--steps", "0"], "--steps 0", None),
    (["identify", "--step", "math:sqrt", "--steps", "1000000000"], "--steps 1000000000", None),
    (["identify", "--step", "math:sqrt", "--tolerance", "-1"], "--tolerance -1.0", None),
    (["identify", "--step", "math:sqrt", "--tolerance", "nan"], "--tolerance nan", None),
    (["vectors"], "give exactly one of --out FILE or --check FILE", None),
    (["vectors", "--out", "{dir}/v.json", "--check", "{file}"], "give exactly one", None),
    (["vectors", "--out", "{dir}/v.json", "--steps", "0"], "--steps 0", None),
    (["vectors", "--out", "{dir}/v.json", "--steps", "100000000"], "--steps 100000000", None),
    (["vectors", "--out", "{dir}"], "it is a folder", None),
    (["vectors", "--check", "{dir}/missing.json"], "cannot read", None),
    (["vectors", "--check", "{file}"], "cannot read", None),
    (["data"], "the following arguments are required: ACTION", None),
    (["data", "download", "imagenet"], "invalid choice: 'imagenet'", None),
    (["data", "download", "mnist", "--mirror", "notaurl"], "mirror='notaurl'", None),
    (["data", "download", "mnist", "--timeout", "-1"], "timeout=-1.0", None),
    (["data", "download", "mnist", "--timeout", "nan"], "timeout=nan", None),
    (["data", "download", "mnist", "--timeout", "inf"], "timeout=inf", None),
    (["data", "download", "mnist", "--dir", "{file}/sub"], "cannot write to output folder", None),
    (["reproduce", "--experiment", "cifar"], "unknown experiment 'cifar'", None),
    (["reproduce", "--scale", "huge"], "unknown scale 'huge'", None),
    (["reproduce", "--rules", "nadam", "lion"], "unknown rule 'lion'", None),
    (["reproduce", "--seeds", "0"], "seeds=0", None),
    (["reproduce", "--impl", "cuda"], "invalid choice: 'cuda'", None),
    (["reproduce", "--out", "{file}/sub"], "cannot write to --out", None),
    (["reproduce", "--experiment", "mnist", "--scale", "paper"], "/mnist' does not exist", "empty"),
    (["reproduce", "--experiment", "mnist", "--scale", "paper"], "bad IDX magic number", corrupt_mnist),
    (["reproduce", "--experiment", "mnist", "--scale", "paper"], "truncated", overflowing_idx),
    (["reproduce", "--experiment", "mnist", "--scale", "paper"], "300 training images; expected more than 5,000",
     small_mnist),
    (["reproduce", "--experiment", "lstm", "--scale", "paper"], "ptb.train.txt: byte 0xe9", latin1_ptb),
    (["reproduce", "--experiment", "word2vec", "--scale", "paper"], "text8: byte 0xe9", latin1_text8),
]


def _ids():
    return [" ".join(argv) + (f" [{setup if isinstance(setup, str) else setup.__name__}]" if setup else "")
            for argv, _, setup in CASES]


@pytest.mark.parametrize("argv, names, setup", CASES, ids=_ids())
def test_a_bad_argument_is_one_line_and_exit_status_2(argv, names, setup, tmp_path, monkeypatch, capsys):
    existing = tmp_path / "a-file"
    existing.write_text("not a folder")
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("NADAM_REF_DATA", str(data))
    if callable(setup):
        setup(data)
    monkeypatch.chdir(tmp_path)  # anything written by mistake lands here, not in the repository
    before = sorted(p.name for p in tmp_path.iterdir())
    argv = [a.format(file=existing, dir=tmp_path) for a in argv]

    status = main(argv)

    err = capsys.readouterr().err
    assert status == 2, err
    assert err.endswith("\n") and err.count("\n") == 1, f"expected one line on stderr, got:\n{err}"
    assert "Traceback" not in err
    assert names in err, err
    if argv[0] not in ("reproduce", "data"):  # reproduce and download make their output folder first
        assert sorted(p.name for p in tmp_path.iterdir()) == before  # no work was done


def test_the_installed_command_prints_one_line_too(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    latin1_ptb(data)
    result = subprocess.run([sys.executable, "-m", "nadam_ref", "reproduce", "--experiment", "lstm", "--scale",
                             "paper", "--out", str(tmp_path / "out"), "--quiet"], capture_output=True, text=True,
                            env={**os.environ, "NADAM_REF_DATA": str(data)})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"{data / 'ptb' / 'ptb.train.txt'}: byte 0xe9 at offset 7 is not UTF-8" in result.stderr


@pytest.mark.skipif(backend.cupy_module() is not None and backend.cupy_module().cuda.is_available(),
                    reason="a GPU is present here, so asking for CuPy is not an error")
def test_asking_for_a_gpu_that_is_not_there_is_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "nadam_ref", "reproduce", "--experiment", "lstm", "--scale",
                             "smoke", "--out", str(tmp_path / "out"), "--quiet"], capture_output=True, text=True,
                            env={**os.environ, "NADAM_REF_BACKEND": "cupy"})
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "backend 'cupy' was asked for" in result.stderr and "NADAM_REF_BACKEND=numpy" in result.stderr


def test_a_negative_number_in_exponent_form_is_a_value(capsys):
    assert main(["trace", "--rule", "adam", "--steps", "1", "--eps", "-0e-8"]) == 0  # -0.0 is a valid ε
    assert main(["trace", "--rule", "adam", "--steps", "1", "--lr", "1e-3"]) == 0
    capsys.readouterr()
