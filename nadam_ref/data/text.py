"""Text corpora for the language model and word2vec: tokenising, vocabularies, LM batches, skip-gram pairs.

Corpora (:func:`load_corpus`):

* ``tinyshakespeare`` (shipped; the offline default): lower-cased words (letters and inner apostrophes), an
  ``<eos>`` at the end of every non-empty line as PTB has, split by position into the first 90% (train),
  the next 5% (valid) and the last 5% (test). The vocabulary is the training split's most frequent words, the
  rest mapped to ``<unk>``.
* ``ptb``: Mikolov's Penn Treebank files ``ptb.{train,valid,test}.txt`` (already lower-cased, 10k words,
  ``<unk>`` applied); every line ends with ``<eos>``, as in Zaremba's reader.
* ``text8``: one line of 17M words (``nadam-ref data download text8``); split 90/5/5 like Tiny Shakespeare.
* ``text``: any plain-text file (or a folder holding exactly one ``*.txt``), read like Tiny Shakespeare, e.g. the
  King James Bible from Debian's ``bible-kjv`` (``bible -l100000 gen1:1-rev22:21 > kjv.txt``: one verse a line).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy

from ._files import SHIPPED, DataError, cache_dir, read_utf8, require_dir

UNK, EOS = "<unk>", "<eos>"
WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
SPLIT_FRACTIONS = (0.90, 0.05, 0.05)
CORPORA = ("tinyshakespeare", "ptb", "text8", "text")


class EmptyCorpusError(DataError):
    """A corpus, or one of its splits, holds no words."""


def tokenize(text: str, eos: bool = True) -> list[str]:
    """Lower-cased words of ``text``; with ``eos``, an ``<eos>`` after every line that has words."""
    tokens = []
    for line in text.lower().splitlines():
        words = WORD.findall(line)
        tokens.extend(words)
        if eos and words:
            tokens.append(EOS)
    return tokens


@dataclass(frozen=True)
class Vocab:
    """Words sorted by falling count (ties alphabetical), ``<unk>`` among them with the count of all the words
    it replaced. ``counts`` is what word2vec's noise distribution needs."""

    words: tuple
    counts: numpy.ndarray

    def __post_init__(self):
        object.__setattr__(self, "index", {w: i for i, w in enumerate(self.words)})

    def __len__(self):
        return len(self.words)

    def encode(self, tokens) -> numpy.ndarray:
        """Word ids (int64); words outside the vocabulary become ``<unk>``."""
        unk = self.index.get(UNK)
        try:
            return numpy.array([self.index.get(t, unk) if unk is not None else self.index[t] for t in tokens],
                               dtype=numpy.int64)
        except KeyError as e:
            raise KeyError(f"word {e.args[0]!r} is not in the vocabulary, which has no {UNK}") from None

    def decode(self, ids) -> list[str]:
        return [self.words[int(i)] for i in ids]


def build_vocab(tokens, max_size: int | None = None) -> Vocab:
    """The ``max_size`` most frequent words of ``tokens`` (all when None), the rest folded into ``<unk>``."""
    counts = Counter(tokens)
    if not counts:
        raise EmptyCorpusError("cannot build a vocabulary from an empty corpus")
    ranked = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))
    if max_size is not None and len(ranked) > max_size:
        if max_size < 2:
            raise ValueError(f"vocabulary size {max_size} is too small: it needs <unk> and at least one word")
        kept = [(w, c) for w, c in ranked if w != UNK][:max_size - 1]
        unk_count = sum(counts.values()) - sum(c for _, c in kept)
        ranked = sorted(kept + [(UNK, unk_count)], key=lambda wc: (-wc[1], wc[0]))
    return Vocab(tuple(w for w, _ in ranked), numpy.array([c for _, c in ranked], dtype=numpy.int64))


@dataclass(frozen=True)
class Corpus:
    """Word ids of the three splits, and the vocabulary they index."""

    name: str
    train: numpy.ndarray
    valid: numpy.ndarray
    test: numpy.ndarray
    vocab: Vocab


def split_by_position(tokens: list, fractions=SPLIT_FRACTIONS) -> tuple[list, list, list]:
    """Contiguous train/valid/test slices (no shuffling: neighbouring words stay together)."""
    n = len(tokens)
    a = int(n * fractions[0])
    b = a + int(n * fractions[1])
    return tokens[:a], tokens[a:b], tokens[b:]


def load_corpus(name: str = "tinyshakespeare", directory=None, vocab_size: int | None = None) -> Corpus:
    """One of :data:`CORPORA` as word ids. ``directory`` defaults to the shipped data (Tiny Shakespeare) or
    the download cache (``ptb``, ``text8``). ``vocab_size`` defaults to 10,000 (all of PTB's), 3,000 for Tiny
    Shakespeare and 50,000 for text8."""
    if name == "tinyshakespeare":
        folder = (SHIPPED / "tinyshakespeare" if directory is None
                  else require_dir(directory, "Tiny Shakespeare"))
        parts = split_by_position(tokenize(_read_text(folder / "input.txt"), eos=True))
        default_size = 3000
    elif name == "ptb":
        folder = require_dir(cache_dir() / "ptb" if directory is None else directory, "Penn Treebank")
        parts = tuple(_read_text(folder / f"ptb.{s}.txt").replace("\n", f" {EOS} ").split()
                      for s in ("train", "valid", "test"))
        default_size = 10000
    elif name == "text8":
        folder = require_dir(cache_dir() / "text8" if directory is None else directory, "text8")
        parts = split_by_position(_read_text(folder / "text8").split())
        default_size = 50000
    elif name == "text":
        folder = plain_text_file(directory)
        parts = split_by_position(tokenize(_read_text(folder), eos=True))
        default_size = 10000
    else:
        raise ValueError(f"unknown corpus {name!r}; expected one of {CORPORA}")
    for split, tokens in zip(("train", "valid", "test"), parts, strict=True):
        if not tokens:
            raise EmptyCorpusError(f"corpus {name!r} in {folder}: the {split} split holds no words")
    vocab = build_vocab(parts[0], vocab_size or default_size)
    if UNK not in vocab.index and not set(parts[1]).union(parts[2]) <= set(vocab.index):
        # every training word fits: add <unk> (count 0, last) for the held-out words training never saw
        vocab = Vocab(vocab.words + (UNK,), numpy.append(vocab.counts, 0))
    return Corpus(name, *(vocab.encode(p) for p in parts), vocab)


def plain_text_file(path) -> Path:
    """The corpus file of ``corpus="text"``: ``path`` itself, or the one ``*.txt`` file in the folder ``path``."""
    if path is None:
        raise ValueError("corpus 'text' needs a plain-text file or a folder holding one *.txt file; got none")
    path = Path(path).expanduser()
    if path.is_dir():
        found = sorted(path.glob("*.txt"))
        if len(found) != 1:
            raise FileNotFoundError(f"{path}: expected exactly one *.txt corpus file, found {len(found)}")
        return found[0]
    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    return path


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    text = read_utf8(path, "a text corpus")
    if not text.strip():
        raise EmptyCorpusError(f"corpus file {path} is empty")
    return text


def lm_batches(ids, batch_size: int, num_steps: int):
    """Zaremba's layout for truncated BPTT: ``(x, y)``, each ``(n_batches, batch_size, num_steps)``.

    The id stream is cut into ``batch_size`` contiguous rows; batch ``i`` is columns ``[i·T, (i+1)·T)`` of
    every row, and ``y`` is ``x`` shifted by one word. Row ``b`` of batch ``i + 1`` continues row ``b`` of
    batch ``i``, which is why the LSTM state is carried from one batch to the next.
    """
    ids = numpy.asarray(ids)
    row_len = len(ids) // batch_size
    n_batches = (row_len - 1) // num_steps
    if n_batches < 1:
        raise EmptyCorpusError(f"{len(ids)} words are too few for one batch of {batch_size} rows × "
                               f"{num_steps} steps (need {batch_size * (num_steps + 1)})")
    rows = ids[:batch_size * row_len].reshape(batch_size, row_len)
    x = numpy.stack([rows[:, i * num_steps:(i + 1) * num_steps] for i in range(n_batches)])
    y = numpy.stack([rows[:, i * num_steps + 1:(i + 1) * num_steps + 1] for i in range(n_batches)])
    return x, y


def skipgram_pairs(ids, window: int = 1):
    """All (centre, context) pairs with the context at most ``window`` words to either side:
    two int64 arrays of equal length, in order of distance then position."""
    ids = numpy.asarray(ids, dtype=numpy.int64)
    if len(ids) <= window:
        raise EmptyCorpusError(f"{len(ids)} words give no skip-gram pairs with window {window}")
    centres, contexts = [], []
    for offset in range(1, window + 1):
        centres += [ids[:-offset], ids[offset:]]    # context to the right, then to the left
        contexts += [ids[offset:], ids[:-offset]]
    return numpy.concatenate(centres), numpy.concatenate(contexts)


def heldout_pairs(ids, vocab: Vocab, window: int = 1, limit: int | None = None, seed: int = 2016):
    """The skip-gram pairs of held-out text ``ids`` (a validation or test split) that word2vec's held-out metric
    scores: :func:`skipgram_pairs`, less every pair with ``<unk>`` on either side (a word outside the
    vocabulary has no vector of its own to be judged by). With ``limit``, a fixed sample of that many pairs
    drawn without replacement by ``seed``, kept in corpus order: the same pairs for every rule and seed."""
    centre, context = skipgram_pairs(ids, window)
    unk = vocab.index.get(UNK)
    known = (centre != unk) & (context != unk)
    centre, context = centre[known], context[known]
    if not len(centre):
        raise EmptyCorpusError(f"{len(ids)} held-out words give no skip-gram pair without {UNK}")
    if limit is not None and len(centre) > limit:
        keep = numpy.sort(numpy.random.default_rng(seed).choice(len(centre), size=limit, replace=False))
        centre, context = centre[keep], context[keep]
    return centre, context


def partners_in_a_cycle(values, seed: int):
    """``values`` with each item replaced by the next one along a fixed random cycle through all of them
    (drawn from ``seed``): each item gets another item's value, never its own slot's. Shuffled baselines use it
    to pair each question or word pair with another's answer or centre word."""
    values = numpy.asarray(values)
    if len(values) < 2:
        raise ValueError(f"a cycle needs at least 2 items to pair each with another; got {len(values)}")
    order = numpy.random.default_rng(seed).permutation(len(values))
    out = numpy.empty_like(values)
    out[order] = values[numpy.roll(order, -1)]
    return out
