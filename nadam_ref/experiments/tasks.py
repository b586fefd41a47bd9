"""The three experiments as tasks the runner can train: data, model, batches and metrics.

An *experiment* (an entry of :data:`EXPERIMENTS`) has

* ``METRIC`` — ``{"name", "label"}`` of the metric its table reports (the paper's "test loss" or "test perp");
* ``load_data(cfg)`` — the data of one configuration, loaded once and shared by every rule and seed;
* ``make_task(data, cfg, seed)`` — a fresh *task*: ``model`` (built by :func:`nadam_ref.models.build` from
  ``seed``), ``train_batches(epoch, rng) -> (count, iterable)`` and ``evaluate() -> {"valid": {..}, "test":
  {..}}``.

Tasks are the only place that knows what a batch of each model looks like; the runner sees ``params`` and
``loss_and_grads``.
"""

from __future__ import annotations

import math

import numpy  # host side: index arithmetic over the data sets, which live on the host

from .. import models
from ..data import analogies, cache_dir, mnist, text
from ..nn.fast import FastLayers

#: name → experiment.
EXPERIMENTS: dict = {}

#: Fixed seed of the split of the analogy questions into validation and test halves.
ANALOGY_SPLIT_SEED = 2016


class DataCache:
    """Loads an experiment's data on first use only, so resuming a finished reproduction reads no data."""

    def __init__(self, name: str, cfg: dict):
        self.name, self.cfg, self._data = name, cfg, None

    def get(self):
        if self._data is None:
            self._data = EXPERIMENTS[self.name].load_data(self.cfg)
        return self._data


def _build(name: str, cfg: dict, seed: int, **settings):
    """The model at the configured size; ``cfg["model_settings"]`` overrides single settings (smoke scale)."""
    return models.build(name, size=cfg["model"], seed=seed, **settings, **cfg.get("model_settings", {}))


def _shuffled_batches(n_examples: int, batch_size: int, rng, max_batches=None):
    """Index arrays of the full batches of one epoch, in an order drawn from ``rng``."""
    order = rng.permutation(n_examples)
    count = n_examples // batch_size
    if max_batches is not None:
        count = min(count, max_batches)
    return [order[i * batch_size : (i + 1) * batch_size] for i in range(count)]


def _head(arrays, n):
    """The first ``n`` items of every array (all when ``n`` is None)."""
    return tuple(a if n is None else a[:n] for a in arrays)


class MNIST:
    """The paper's CNN on MNIST (Section 4.2, Figure 2): cross-entropy, reported on the test set."""

    METRIC = {"name": "loss", "label": "test loss (cross-entropy)"}

    @staticmethod
    def load_data(cfg):
        directory = cfg.get("data_dir") or (None if cfg["data"] == "shipped" else cache_dir() / "mnist")
        splits = mnist.load_mnist(directory)
        return {split: _head(splits[split], cfg[f"{split}_examples"]) for split in ("train", "valid", "test")}

    @staticmethod
    def make_task(data, cfg, seed):
        model = _build("cnn", cfg, seed)
        if cfg.get("layers", "readable") == "fast":  # reproduce's default (configs.LAYERS)
            model.layers = FastLayers()
        return MNISTTask(data, cfg, model)


class MNISTTask:
    def __init__(self, data, cfg, model):
        self.data, self.cfg, self.model = data, cfg, model

    def train_batches(self, epoch, rng):
        x, y = self.data["train"]
        chunks = _shuffled_batches(len(y), self.cfg["batch_size"], rng)
        return len(chunks), (self.model.make_batch(x[c], y[c], rng) for c in chunks)

    def evaluate(self):
        out = {}
        for split in ("valid", "test"):
            result = self.model.evaluate(*self.data[split])
            out[split] = {"loss": result["loss"], "error": 1.0 - result["accuracy"]}
        return out


class LSTM:
    """The 2-layer LSTM language model (Section 4.3, Figure 3): perplexity, reported on the test set."""

    METRIC = {"name": "perplexity", "label": "test perplexity"}

    @staticmethod
    def load_data(cfg):
        corpus = text.load_corpus(cfg["corpus"], cfg.get("data_dir"), vocab_size=cfg["vocab_size"])
        data = {"vocab": corpus.vocab}
        for split in ("train", "valid", "test"):
            ids = getattr(corpus, split)
            limit = cfg[f"{split}_tokens"]
            data[split] = text.lm_batches(
                ids if limit is None else ids[:limit], cfg["batch_size"], cfg["num_steps"]
            )
        return data

    @staticmethod
    def make_task(data, cfg, seed):
        return LSTMTask(data, cfg, _build("lstm_lm", cfg, seed, vocab=len(data["vocab"])))


class LSTMTask:
    """Zaremba's truncated BPTT: batches in corpus order, the LSTM state carried from each to the next."""

    def __init__(self, data, cfg, model):
        self.data, self.cfg, self.model = data, cfg, model

    def train_batches(self, epoch, rng):
        x, y = self.data["train"]

        def batches():
            state = None  # each epoch starts from a zero state, as in the TensorFlow model
            for i in range(len(x)):
                yield self.model.make_batch(x[i], y[i], state)
                state = self.model.last_state  # left by loss_and_grads on the batch just yielded

        return len(x), batches()

    def evaluate(self):
        out = {}
        for split in ("valid", "test"):
            total, words, state = 0.0, 0, None
            for xb, yb in zip(*self.data[split], strict=True):
                result = self.model.evaluate(xb, yb, state)
                total += result["loss"] * result["words"]
                words += result["words"]
                state = result["state"]
            mean = total / words
            out[split] = {"loss": mean, "perplexity": math.exp(mean) if mean < 700 else math.inf}
        return out


class Word2Vec:
    """Skip-gram word2vec with NCE (Section 4.1, Figure 1): the analogy metric, on validation and test halves
    of the analogy questions."""

    METRIC = {"name": "analogy", "label": "test analogy distance, mean (1 − cos)/2"}
    #: Besides the metric, each split reports its shuffled-answer baseline ``analogy_shuffled``, the top-1
    #: accuracy ``top1``, and the share ``coverage`` (and number) of the questions the vocabulary covers.

    @staticmethod
    def load_data(cfg):
        corpus = text.load_corpus(cfg["corpus"], cfg.get("data_dir"), vocab_size=cfg["vocab_size"])
        ids = corpus.train if cfg["train_tokens"] is None else corpus.train[: cfg["train_tokens"]]
        questions = analogies.load_analogies(cfg.get("analogies_path"))
        order = numpy.random.default_rng(ANALOGY_SPLIT_SEED).permutation(len(questions))
        half = len(questions) // 2
        data = {
            "vocab": corpus.vocab,
            "pairs": text.skipgram_pairs(ids, cfg["window"]),
            "questions": {
                "valid": [questions[i] for i in order[:half]],
                "test": [questions[i] for i in order[half:]],
            },
        }
        for split, qs in data["questions"].items():
            used = analogies.analogy_metric(numpy.zeros((len(corpus.vocab), 1)), corpus.vocab, qs)["used"]
            if used == 0:
                raise ValueError(
                    f"word2vec: no {split} analogy question has all four words in the "
                    f"{len(corpus.vocab)}-word vocabulary of {cfg['corpus']!r}; use a larger vocab_size"
                )
        return data

    @staticmethod
    def make_task(data, cfg, seed):
        vocab = data["vocab"]
        return Word2VecTask(data, cfg, _build("word2vec", cfg, seed, vocab=len(vocab), counts=vocab.counts))


class Word2VecTask:
    def __init__(self, data, cfg, model):
        self.data, self.cfg, self.model = data, cfg, model

    def train_batches(self, epoch, rng):
        centre, context = self.data["pairs"]
        chunks = _shuffled_batches(
            len(centre), self.cfg["batch_size"], rng, self.cfg.get("batches_per_epoch")
        )
        return len(chunks), (self.model.make_batch(centre[c], context[c], rng) for c in chunks)

    def evaluate(self):
        E, vocab = self.model.embeddings(), self.data["vocab"]
        out = {}
        for split, qs in self.data["questions"].items():
            r = analogies.analogy_report(E, vocab, qs)
            out[split] = {"analogy": r["metric"], "analogy_shuffled": r["shuffled"], "top1": r["top1"],
                          "coverage": r["coverage"], "questions_used": r["used"]}
        return out


EXPERIMENTS.update({"word2vec": Word2Vec, "mnist": MNIST, "lstm": LSTM})
