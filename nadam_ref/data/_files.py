"""File helpers shared by the loaders and the downloader: where data lives, and atomic writes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

#: The data shipped inside the package (see ``shipped/README.md``).
SHIPPED = Path(__file__).resolve().parent / "shipped"
#: Where downloads go unless ``--dir``/``dest`` says otherwise.
CACHE_ENV = "NADAM_REF_DATA"


def cache_dir() -> Path:
    """``$NADAM_REF_DATA``, else ``$XDG_CACHE_HOME/nadam_ref``, else ``~/.cache/nadam_ref``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nadam_ref"


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename: a reader sees the
    old file or the whole new one, never half of it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def file_digest(path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB blocks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def require_dir(path, what: str) -> Path:
    """``path`` as a Path, or a FileNotFoundError that says what was looked for and how to get it."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"{what}: directory {str(path)!r} does not exist (see `nadam-ref data info`; "
                                f"`nadam-ref data download` fetches the full data sets)")
    return path
