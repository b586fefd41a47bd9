"""The three experiments as tasks the runner can train: data, model, batches and metrics.

An *experiment* (an entry of :data:`EXPERIMENTS`) has

* ``MODEL`` — the name (in :data:`nadam_ref.models.MODELS`) of the model it trains;
* ``METRIC`` — ``{"name", "label"}`` of the metric its table reports (the paper's "test loss" or "test perp"),
  and for word2vec ``"baseline"``, the name of the value the metric must beat to mean anything;
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
#: Fixed seed of word2vec's held-out pairs: the sample of them (``eval_pairs``) and the cycle that gives each
#: another's centre word for the shuffled baseline. The same pairs for every rule and seed.
HELDOUT_SEED = 2016


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

    MODEL = "cnn"
    METRIC = {"name": "loss", "label": "test loss (cross-entropy)"}

    @staticmethod
    def load_data(cfg):
        directory = cfg.get("data_dir") or (None if cfg["data"] == "shipped" else cache_dir() / "mnist")
        splits = mnist.load_mnist(directory)
        return {split: _head(splits[split], cfg[f"{split}_examples"]) for split in ("train", "valid", "test")}

    @staticmethod
    def make_task(data, cfg, seed):
        model = _build(MNIST.MODEL, cfg, seed)
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

    MODEL = "lstm_lm"
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
        return LSTMTask(data, cfg, _build(LSTM.MODEL, cfg, seed, vocab=len(data["vocab"])))


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
    """Skip-gram word2vec with NCE (Section 4.1, Figure 1), judged on held-out text: how well each centre word
    predicts its context words in the validation and test splits of the corpus.

    The paper's metric, the analogy distance, needs a vocabulary that covers the analogy questions: at class
    scale Tiny Shakespeare's 3k words cover 2.9 % of them, and the distance sits at its shuffled-answer
    baseline, so it measures nothing there (docs/reproduction.md). The held-out objective measures what
    word2vec is trained to do on any corpus, and its shuffled baseline says whether the centre word's vector
    is what helps (see :meth:`Word2VecTask.evaluate`).
    """

    MODEL = "word2vec"
    METRIC = {"name": "context_error", "baseline": "context_error_shuffled",
              "label": "test context ranking error (held-out skip-gram pairs vs noise words; ½ = chance)"}

    @staticmethod
    def load_data(cfg):
        corpus = text.load_corpus(cfg["corpus"], cfg.get("data_dir"), vocab_size=cfg["vocab_size"])
        ids = corpus.train if cfg["train_tokens"] is None else corpus.train[: cfg["train_tokens"]]
        data = {"vocab": corpus.vocab, "pairs": text.skipgram_pairs(ids, cfg["window"]), "heldout": {}}
        for split in ("valid", "test"):
            centre, context = text.heldout_pairs(getattr(corpus, split), corpus.vocab, cfg["window"],
                                                 cfg["eval_pairs"], seed=HELDOUT_SEED)
            data["heldout"][split] = {"centre": centre, "context": context,
                                      "shuffled_centre": text.partners_in_a_cycle(centre, HELDOUT_SEED)}
        # The paper's analogy distance, kept as a secondary metric where the vocabulary covers some questions.
        questions = analogies.load_analogies(cfg.get("analogies_path"))
        order = numpy.random.default_rng(ANALOGY_SPLIT_SEED).permutation(len(questions))
        half = len(questions) // 2
        halves = {"valid": [questions[i] for i in order[:half]], "test": [questions[i] for i in order[half:]]}
        unit = numpy.zeros((len(corpus.vocab), 1))
        if all(analogies.analogy_metric(unit, corpus.vocab, qs)["used"] > 1 for qs in halves.values()):
            data["questions"] = halves
        return data

    @staticmethod
    def make_task(data, cfg, seed):
        vocab = data["vocab"]
        return Word2VecTask(data, cfg, _build(Word2Vec.MODEL, cfg, seed, vocab=len(vocab), counts=vocab.counts))


class Word2VecTask:
    def __init__(self, data, cfg, model):
        self.data, self.cfg, self.model = data, cfg, model
        # drawn from the vocabulary's noise distribution and a fixed seed: the same for every rule and seed
        self.candidates = {split: model.heldout_candidates(len(pairs["centre"]), HELDOUT_SEED)
                           for split, pairs in data["heldout"].items()}

    def train_batches(self, epoch, rng):
        centre, context = self.data["pairs"]
        chunks = _shuffled_batches(
            len(centre), self.cfg["batch_size"], rng, self.cfg.get("batches_per_epoch")
        )
        return len(chunks), (self.model.make_batch(centre[c], context[c], rng) for c in chunks)

    def evaluate(self):
        """Per split:

        * ``context_error`` — the metric: on held-out pairs, the share of comparisons in which a noise word
          outscores the true context word under the model's NCE classifier
          (:meth:`nadam_ref.models.word2vec.Word2Vec.evaluate`); lower is better, ½ knows nothing;
        * ``context_error_shuffled`` — its baseline: the same pairs and noise words with each centre word
          swapped for another pair's (a fixed cycle): the same vectors and output layer, the same word
          frequencies, but a centre word that says nothing about this context. A metric not below it has
          learnt nothing that a word's vector tells about its neighbours;
        * ``context_nce``, ``context_nce_shuffled`` — NCE's loss on the same pairs and noise words, and
          ``context_pairs``, how many pairs were scored;
        * where the vocabulary covers some analogy questions, the paper's analogy distance ``analogy``
          (secondary) with its shuffled-answer baseline ``analogy_shuffled``, its top-1 accuracy
          ``analogy_top1``, and the questions it covers, ``analogy_questions`` and ``analogy_coverage``
          (:func:`nadam_ref.data.analogies.analogy_report`).
        """
        out = {}
        for split, pairs in self.data["heldout"].items():
            candidates = self.candidates[split]
            real = self.model.evaluate(pairs["centre"], pairs["context"], candidates)
            shuffled = self.model.evaluate(pairs["shuffled_centre"], pairs["context"], candidates)
            out[split] = {"context_error": real["error"], "context_error_shuffled": shuffled["error"],
                          "context_nce": real["loss"], "context_nce_shuffled": shuffled["loss"],
                          "context_pairs": real["pairs"]}
            if "questions" in self.data:
                r = analogies.analogy_report(self.model.embeddings(), self.data["vocab"],
                                             self.data["questions"][split])
                out[split].update(analogy=r["metric"], analogy_shuffled=r["shuffled"], analogy_top1=r["top1"],
                                  analogy_questions=r["used"], analogy_coverage=r["coverage"])
        return out


EXPERIMENTS.update({"word2vec": Word2Vec, "mnist": MNIST, "lstm": LSTM})
