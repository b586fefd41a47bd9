"""``nadam_ref._io``: atomic writes (all or nothing, one permission policy), writability checks, staged folders,
strict JSON."""

from __future__ import annotations

import json
import math
import os
import stat

import numpy
import pytest

from nadam_ref import _io


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("write", [
    lambda p: _io.atomic_write_text(p, "héllo\n"),
    lambda p: _io.atomic_write_bytes(p, b"\x00\x01"),
    lambda p: _io.atomic_write_json(p, {"a": 1}),
    lambda p: _io.atomic_savez(p, {"a": numpy.arange(3)}),
])
def test_every_writer_gives_the_mode_open_would_give(write, tmp_path, umask_027):
    write(tmp_path / "f")
    with open(tmp_path / "g", "w"):
        pass
    assert mode(tmp_path / "f") == mode(tmp_path / "g") == 0o640
    assert sorted(os.listdir(tmp_path)) == ["f", "g"]  # no temporary file left


def test_a_replaced_file_gets_the_policy_mode_too(tmp_path, umask_027):
    target = tmp_path / "f"
    target.write_text("old")
    os.chmod(target, 0o600)
    _io.atomic_write_text(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o640


def test_an_error_while_writing_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"):
        with _io.atomic_file(target) as f:
            f.write("half a fi")
            raise RuntimeError("disk full, say")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_text_is_utf8_and_sizes_are_bytes(tmp_path):
    assert _io.atomic_write_text(tmp_path / "t", "μ_t") == len("μ_t".encode())
    assert (tmp_path / "t").read_bytes() == "μ_t".encode()


def test_strict_json_writes_non_finite_numbers_as_strings():
    data = {"a": [1.5, math.nan, math.inf], "b": (-math.inf, numpy.float64("nan")), "c": None, "d": "x"}
    text = _io.strict_json(data)
    assert json.loads(text) == {"a": [1.5, "NaN", "Infinity"], "b": ["-Infinity", "NaN"], "c": None, "d": "x"}
    assert "NaN," not in text.replace('"NaN"', "")  # no bare NaN token anywhere
    assert [float(s) for s in json.loads(text)["b"]][0] == -math.inf


def test_check_writable_makes_the_folder_and_names_a_bad_one(tmp_path):
    assert _io.check_writable(tmp_path / "a" / "b") == str(tmp_path / "a" / "b")
    assert os.listdir(tmp_path / "a" / "b") == []  # the probe is gone
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for bad in (blocker, blocker / "sub"):
        with pytest.raises(_io.OutputDirError, match=f"cannot write to output folder '{bad}'"):
            _io.check_writable(bad)


def test_check_file_writable_refuses_a_folder_or_a_missing_folder(tmp_path):
    assert _io.check_file_writable(tmp_path / "out.md") == str(tmp_path / "out.md")
    assert os.listdir(tmp_path) == []  # nothing created
    with pytest.raises(_io.OutputDirError, match="it is a folder"):
        _io.check_file_writable(tmp_path)
    with pytest.raises(_io.OutputDirError, match="does not exist"):
        _io.check_file_writable(tmp_path / "missing" / "out.md")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    os.chmod(tmp_path, 0o500)
    try:
        with pytest.raises(_io.OutputDirError, match="Permission denied"):
            _io.check_file_writable(tmp_path / "x")
    finally:
        os.chmod(tmp_path, 0o700)


def test_a_staged_folder_appears_whole_or_not_at_all(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        with _io.staged_folder(out) as stage:
            _io.atomic_write_text(os.path.join(stage, "a.txt"), "a")
            raise RuntimeError("the second file failed")
    assert os.listdir(out) == []
    with _io.staged_folder(out) as stage:
        _io.atomic_write_text(os.path.join(stage, "a.txt"), "a")
        with open(os.path.join(stage, "b.txt"), "w") as f:
            f.write("b")
        assert os.listdir(out) == [os.path.basename(stage)]  # nothing in place before the end
    assert sorted(os.listdir(out)) == ["a.txt", "b.txt"]


def test_the_only_atomic_rename_in_the_package_is_here():
    package = os.path.dirname(_io.__file__)
    users = [os.path.relpath(os.path.join(folder, name), package)
             for folder, _, names in os.walk(package) for name in names
             if name.endswith(".py") and "os.replace(" in open(os.path.join(folder, name), encoding="utf-8").read()]
    assert users == ["_io.py"]
