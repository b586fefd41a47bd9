"""The one place that writes files: atomic writes, writability checks, staged output folders, strict JSON.

Every file nadam_ref writes goes through :func:`atomic_file` (or :func:`staged_folder`, below), so no reader ever
sees half of one:

1. the bytes go to a hidden temporary file in the destination's own folder, ``.tmp-NAME-XXXXXXXX`` (the same
   file system, so the rename below is atomic; a kill leaves at most this hidden file, which
   :func:`nadam_ref.experiments.checkpoint.remove` and the next run ignore);
2. the file is flushed and ``fsync``-ed, so a crash after the rename cannot leave an empty file under the name;
3. it gets its **permissions**, by the one policy of the package: ``0o666 & ~umask``, the mode ``open()`` gives a
   new file (``mkstemp`` creates its file ``0o600``, private, which would hide results from a group or a web
   server). A file that is replaced gets the same mode, not the old file's;
4. :func:`move_into_place` (``os.replace``) renames it onto the destination; on any error the temporary file is
   removed and the destination is left as it was.

A command that writes several files checks its output folder first (:func:`check_writable`,
:func:`check_file_writable`), before any work, and writes a folder's files through :func:`staged_folder`: all of
them into a hidden staging folder, moved into place one by one (with the same permissions) only once every one is
complete.

The JSON that ``nadam-ref`` prints is strict (:func:`strict_json`): a NaN or an infinity, which strict parsers
reject, is written as the string ``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` (``float(s)`` in Python and
``Number(s)`` in JavaScript read them back).
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import tempfile
from contextlib import contextmanager

TEMP_PREFIX = ".tmp-"


class OutputDirError(OSError):
    """An output folder (or an output file's folder) that cannot be created or written; ``str()`` names it."""

    def __init__(self, what: str, path: str, code: int | None, reason: str):
        super().__init__(code, reason, path)
        self.what = what

    def __str__(self) -> str:
        return f"cannot write to output {self.what} {self.filename!r}: {self.strerror}"


def file_mode() -> int:
    """The mode of every file written here: ``0o666 & ~umask``, as ``open()`` makes a new file."""
    umask = os.umask(0)  # the only way to read the umask is to set it; put it back at once
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_file(path, mode: str = "w"):
    """A file object open for writing (``mode`` ``"w"`` text in UTF-8, or ``"wb"``) whose content appears at
    ``path`` only when the ``with`` block ends without an error; see the module docstring."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode={mode!r}; expected 'w' or 'wb'")
    path = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{name}-", dir=folder)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, file_mode())
        move_into_place(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def move_into_place(source, target) -> None:
    """Rename the complete file or folder ``source`` onto ``target``, in one step when both are on one file system
    (an existing file ``target`` is replaced; an existing folder must be empty). The package's only rename."""
    os.replace(source, target)


def atomic_write_bytes(path, data: bytes) -> int:
    """Write ``data`` to ``path`` atomically; returns the number of bytes."""
    with atomic_file(path, "wb") as f:
        f.write(data)
    return len(data)


def atomic_write_text(path, text: str) -> int:
    """Write ``text`` to ``path`` atomically, in UTF-8; returns the number of bytes."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path, data, indent: int | None = 1, ensure_ascii: bool = False) -> int:
    """Write ``data`` as strict JSON (:func:`strict_json`), with a final newline, atomically."""
    return atomic_write_text(path, strict_json(data, indent=indent, ensure_ascii=ensure_ascii) + "\n")


def atomic_savez(path, arrays: dict) -> None:
    """``numpy.savez`` of ``arrays`` to ``path``, atomically."""
    import numpy

    with atomic_file(path, "wb") as f:
        numpy.savez(f, **arrays)


def strict_json(data, indent: int | None = None, ensure_ascii: bool = False) -> str:
    """``json.dumps`` that never writes the non-standard ``NaN``/``Infinity``: non-finite floats (Python's and
    NumPy's) become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    return json.dumps(_finite(data), indent=indent, ensure_ascii=ensure_ascii, allow_nan=False)


def _finite(value):
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def check_writable(folder) -> str:
    """Create ``folder`` if needed and prove a file can be made in it; returns its absolute path, or raises
    :class:`OutputDirError` naming it and the reason."""
    folder = os.path.abspath(os.fspath(folder))
    try:
        os.makedirs(folder, exist_ok=True)
        os.rmdir(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}probe-", dir=folder))
    except OSError as e:
        raise OutputDirError("folder", folder, e.errno, e.strerror or str(e)) from None
    return folder


def check_file_writable(path) -> str:
    """Prove that ``path`` can be written (its folder exists and is writable, and it is not a folder) without
    touching it; returns its absolute path, or raises :class:`OutputDirError` naming it and the reason."""
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise OutputDirError("file", path, errno.EISDIR, "it is a folder; expected a file name")
    if not os.path.isdir(folder):
        raise OutputDirError("file", path, errno.ENOENT, f"its folder {folder!r} does not exist")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}probe-", dir=folder))
    except OSError as e:
        raise OutputDirError("file", path, e.errno, e.strerror or str(e)) from None
    return path


@contextmanager
def staged_folder(out_dir):
    """Yield a hidden staging folder inside ``out_dir`` (created and checked first); on a clean exit move each file
    in it into ``out_dir``, on an error discard it, leaving ``out_dir`` as it was."""
    out_dir = check_writable(out_dir)
    stage = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}staging-", dir=out_dir)
    try:
        yield stage
        for name in sorted(os.listdir(stage)):
            os.chmod(os.path.join(stage, name), file_mode())
            move_into_place(os.path.join(stage, name), os.path.join(out_dir, name))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
