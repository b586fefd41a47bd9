"""Data for the paper's three experiments: loaders, the shipped offline samples and the downloader.

* :func:`load_mnist` — MNIST-format IDX folders (shipped MNIST test set by default, split 8000/1000/1000);
* :func:`load_corpus` — Tiny Shakespeare (shipped), Penn Treebank, text8, as word ids with a vocabulary;
* :func:`lm_batches`, :func:`skipgram_pairs` — the LM's and word2vec's training examples;
* :func:`load_analogies`, :func:`analogy_metric` — the paper's word2vec metric;
* :func:`download` — the full data sets, checksum-verified; :func:`info` — what is available where.

See README.md in this folder.
"""

from __future__ import annotations

from pathlib import Path

from ._files import SHIPPED, DataError, cache_dir, file_digest
from .analogies import analogy_metric, load_analogies
from .download import SOURCES, ChecksumError, DownloadError, OfflineError, RemoteFile, download, fetch
from .idx import IDXError, read_idx, write_idx
from .mnist import FASHION_MNIST, load_mnist
from .text import (
    CORPORA,
    Corpus,
    EmptyCorpusError,
    Vocab,
    build_vocab,
    lm_batches,
    load_corpus,
    skipgram_pairs,
    tokenize,
)


def info() -> dict:
    """What is available locally: the shipped files, the download cache, Fashion-MNIST from Debian."""
    shipped = [{"path": str(p), "bytes": p.stat().st_size} for p in sorted(SHIPPED.rglob("*")) if p.is_file()]
    cache = cache_dir()
    downloads = {}
    for name, files in SOURCES.items():
        present = [f.name for f in files if (cache / name / f.name).is_file()]
        # complete = every file there *with its checksum*: other data under the same names (Fashion-MNIST's
        # files are named like MNIST's) is not this data set
        mismatched = [f.name for f in files if f.name in present
                      and file_digest(cache / name / f.name, f.algorithm) != f.digest]
        downloads[name] = {"dir": str(cache / name), "present": present, "mismatched": mismatched,
                           "complete": len(present) == len(files) and not mismatched}
    fashion = sorted(p.name for p in Path(FASHION_MNIST).glob("*.gz")) if Path(FASHION_MNIST).is_dir() else []
    return {"shipped": shipped, "cache_dir": str(cache), "downloads": downloads,
            "fashion_mnist": {"dir": str(FASHION_MNIST), "files": fashion}}


__all__ = [
    "load_mnist", "load_corpus", "lm_batches", "skipgram_pairs", "tokenize", "build_vocab", "Vocab", "Corpus",
    "load_analogies", "analogy_metric", "read_idx", "write_idx", "download", "fetch", "RemoteFile", "SOURCES",
    "info", "cache_dir", "file_digest", "SHIPPED", "CORPORA", "FASHION_MNIST",
    "DataError", "IDXError", "EmptyCorpusError", "DownloadError", "ChecksumError", "OfflineError",
]
