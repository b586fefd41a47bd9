"""File helpers shared by the loaders and the downloader: where data lives, digests, required folders."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

#: The data shipped inside the package (see ``shipped/README.md``).
SHIPPED = Path(__file__).resolve().parent / "shipped"
#: Where downloads go unless ``--dir``/``dest`` says otherwise.
CACHE_ENV = "NADAM_REF_DATA"


class DataError(ValueError):
    """Data that is not what was expected: a file that is corrupt, truncated or not UTF-8, or a corpus too
    small. The message names the file (where there is one) and says what was expected."""


def read_utf8(path, what: str) -> str:
    """The text of ``path``; a :class:`DataError` naming it and the first bad byte if it is not UTF-8."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: byte 0x{e.object[e.start]:02x} at offset {e.start} is not UTF-8; "
                            f"expected {what} in UTF-8") from None


def cache_dir() -> Path:
    """``$NADAM_REF_DATA``, else ``$XDG_CACHE_HOME/nadam_ref``, else ``~/.cache/nadam_ref``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nadam_ref"


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
