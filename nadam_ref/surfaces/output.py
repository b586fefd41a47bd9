"""Writing files so that nothing half-written is ever left looking complete.

Every file of a race is first written into a hidden staging folder inside the output folder, and moved into
place by ``os.replace`` (atomic on one file system) only after all of them were written; any error removes the
staging folder and leaves the output folder as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager


class OutputDirError(OSError):
    """The output folder cannot be created or written."""


def check_writable(out_dir) -> str:
    """Create ``out_dir`` if needed and prove it is writable; :class:`OutputDirError` naming it otherwise."""
    out_dir = os.path.abspath(os.fspath(out_dir))
    try:
        os.makedirs(out_dir, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".probe-", dir=out_dir)
        os.rmdir(probe)
    except OSError as e:
        raise OutputDirError(f"cannot write to output folder {out_dir!r}: {e.strerror or e}") from None
    return out_dir


@contextmanager
def staged_files(out_dir):
    """Yield a staging folder; on a clean exit move each file in it to ``out_dir``, on an error discard it."""
    out_dir = check_writable(out_dir)
    stage = tempfile.mkdtemp(prefix=".staging-", dir=out_dir)
    try:
        yield stage
        for name in sorted(os.listdir(stage)):
            os.replace(os.path.join(stage, name), os.path.join(out_dir, name))
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it onto ``path``."""
    path = os.path.abspath(os.fspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
