"""Which data an experiment reads, named honestly: ``--data-dir`` and the data set record of ``results.json``.

A table must never call other data "MNIST" or "Penn Treebank". :func:`describe` names a data set only when the
SHA-256 of its files matches a known set (:data:`KNOWN`); anything else is "unidentified", with its path and
digests, so a reader can tell exactly what was used.

:func:`with_data_dir` points an experiment at a folder or file:

* ``mnist`` — an IDX folder (``train-*`` and ``t10k-*``, gzip or raw), e.g. Fashion-MNIST at
  ``/usr/share/datasets/fashion-mnist`` (Debian ``dataset-fashion-mnist``);
* ``lstm``, ``word2vec`` — Penn Treebank's folder (``ptb.train.txt`` …), a folder holding ``text8``, or any
  plain-text file (corpus ``text``), e.g. the King James Bible from Debian's ``bible-kjv``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..data import SHIPPED, SOURCES, cache_dir, file_digest
from ..data.analogies import SHIPPED_ANALOGIES
from ..data.mnist import SHIPPED_MNIST, find_idx
from ..data.text import plain_text_file

_IDX = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

#: name → (source, {file name: SHA-256}). A data set is named only when every digest matches.
KNOWN = {
    "MNIST": ("LeCun, Cortes & Burges; `nadam-ref data download mnist`",
              {f.name: f.digest for f in SOURCES["mnist"]}),
    "Fashion-MNIST (not MNIST)": (
        "Xiao, Rasul & Vollgraf (2017); Debian package dataset-fashion-mnist 0.0~git20200523",
        {"train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
         "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
         "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
         "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"}),
    "King James Bible (not Penn Treebank)": (
        "Debian package bible-kjv 4.38 (text of bible-kjv-text), dumped one verse a line by "
        "`bible -l100000 gen1:1-rev22:21`",
        {"kjv.txt": "6f74f5589333c56c263963e6347dba662bae2d96861302e690aaae0b4a855eda"}),
    "text8": ("Mahoney, first 10^8 bytes of English Wikipedia; `nadam-ref data download text8`",
              {"text8": SOURCES["text8"][0].digest}),
}
SHIPPED_NAMES = {
    "mnist": ("MNIST test set (10,000 images, shipped; split 8000/1000/1000)",
              "LeCun, Cortes & Burges, t10k files shipped in nadam_ref/data/shipped/mnist"),
    "tinyshakespeare": ("Tiny Shakespeare (shipped)", "char-rnn corpus, nadam_ref/data/shipped/tinyshakespeare"),
}


def with_data_dir(experiment: str, cfg: dict, data_dir) -> dict:
    """``cfg`` reading ``data_dir`` (a copy; ``cfg`` itself when ``data_dir`` is None)."""
    if data_dir is None:
        return cfg
    path = Path(data_dir).expanduser().resolve()
    if not path.exists():
        raise FileNotFoundError(f"--data-dir {str(data_dir)!r} does not exist")
    if experiment == "mnist":
        if not path.is_dir() or find_idx(path, _IDX[0]) is None:
            raise FileNotFoundError(f"--data-dir {str(data_dir)!r}: the CNN needs an IDX folder with "
                                    "train-images-idx3-ubyte[.gz], train-labels-…, t10k-images-… and t10k-labels-…")
        return {**cfg, "data": "idx", "data_dir": str(path)}
    if path.is_dir() and (path / "ptb.train.txt").is_file():
        corpus = "ptb"
    elif path.is_dir() and (path / "text8").is_file():
        corpus = "text8"
    else:
        plain_text_file(path)  # raises a clear error when there is no single text file
        corpus = "text"
    return {**cfg, "corpus": corpus, "data_dir": str(path)}


def _where(experiment: str, cfg: dict) -> str | None:
    """The folder or file read: ``data_dir``, the download cache for the paper's full sets, None if shipped."""
    if cfg.get("data_dir"):
        return cfg["data_dir"]
    if experiment == "mnist":
        return None if cfg["data"] == "shipped" else str(cache_dir() / "mnist")
    corpus = cfg.get("corpus")
    return None if corpus in (None, "tinyshakespeare") else str(cache_dir() / corpus)


def _files(experiment: str, cfg: dict) -> list[Path]:
    where = _where(experiment, cfg)
    if experiment == "mnist":
        folder = Path(where) if where else SHIPPED_MNIST
        stems = _IDX if where else _IDX[2:]
        return [f for f in (find_idx(folder, s) for s in stems) if f is not None]
    corpus = cfg.get("corpus")
    if where is None:
        return [SHIPPED / "tinyshakespeare" / "input.txt"] if corpus == "tinyshakespeare" else []
    if corpus == "text":
        return [plain_text_file(where)]
    return [Path(where) / f.name for f in SOURCES[corpus] if (Path(where) / f.name).is_file()]


def describe(experiment: str, cfg: dict) -> dict:
    """``{"name", "source", "path", "files": {name: sha256}, "sha256"}`` of the data ``cfg`` reads; ``sha256``
    digests the sorted ``name  digest`` lines, so one value names the whole set."""
    files = {f.name: file_digest(f) for f in _files(experiment, cfg)}
    where = _where(experiment, cfg)
    shipped_key = "mnist" if experiment == "mnist" else cfg.get("corpus")
    if where is None and shipped_key in SHIPPED_NAMES:
        name, source = SHIPPED_NAMES[shipped_key]
    elif where is None:
        name, source = f"{experiment}: made by its task, no files", "generated in memory"
    else:
        name, source = next(((n, s) for n, (s, digests) in KNOWN.items()
                             if files and all(files.get(k) == v for k, v in digests.items())),
                            (f"unidentified data at {where}", "not one of the known data sets (by SHA-256)"))
    if experiment == "word2vec":
        files[SHIPPED_ANALOGIES.name] = file_digest(cfg.get("analogies_path") or SHIPPED_ANALOGIES)
    lines = "".join(f"{k}  {v}\n" for k, v in sorted(files.items()))
    return {"name": name, "source": source, "path": where or "shipped", "files": files,
            "sha256": hashlib.sha256(lines.encode()).hexdigest()}
