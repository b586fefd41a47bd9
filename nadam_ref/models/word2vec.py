r"""The paper's word2vec: skip-gram, one context word on each side, trained by NCE, with column dropout.

.. code-block:: text

    centre word ids (B,) → embedding (V, D) → column dropout (p = .5, one mask per batch)
      → NCE against the context word and k noise words from unigram^0.75           (see nadam_ref.nn.nce)

Paper size: a 50k vocabulary, 128 dimensions, 64 noise samples, batch 128 (TensorFlow's word2vec tutorial,
which the paper ran). Initial values as in that tutorial: embeddings uniform in [-1, 1], NCE weights from a
truncated normal with std :math:`1/\sqrt{D}`, NCE biases 0.

"Each column of the embedding vector had a 50% chance to be dropped during training" (the paper, §4.1): one
mask over the D coordinates is drawn per batch and applied to every example's embedding, scaled by 2 on the
kept columns (inverted dropout, so evaluation uses the embeddings as they are).

The noise distribution needs the corpus word counts: pass ``counts=`` to :func:`nadam_ref.models.build`
(ordered like the vocabulary). Without them the model assumes Zipf's law, count ∝ 1/(rank + 1), which is what
a frequency-sorted vocabulary roughly follows.

Evaluation (:meth:`Word2Vec.evaluate`) asks NCE's own classifier, on held-out pairs, whether the true context
word outscores noise words; the experiments set it beside a shuffled-centre baseline
(:mod:`nadam_ref.experiments.tasks`).

Sizes: ``class`` is a 3k-word vocabulary (Tiny Shakespeare), 64 dimensions, 16 noise words; ``tiny`` is for
gradient checks.
"""

from __future__ import annotations

import numpy  # host side only: the noise distribution lives on the host, where noise words are drawn

from .. import nn
from ..backend import to_device
from ._base import Model


class Word2Vec(Model):
    name = "word2vec"
    CONFIGS = {
        "tiny": dict(vocab=13, dim=5, noise=4, batch=6, dropout=0.5, counts=None),
        "class": dict(vocab=3000, dim=64, noise=16, batch=128, dropout=0.5, counts=None),
        "paper": dict(vocab=50000, dim=128, noise=64, batch=128, dropout=0.5, counts=None),
    }

    def init_params(self, init):
        c = self.config
        V, D = c["vocab"], c["dim"]
        counts = c["counts"]
        if counts is None:
            counts = 1.0 / numpy.arange(1, V + 1)
        elif len(counts) != V:
            raise ValueError(f"word2vec: {len(counts)} word counts given for a vocabulary of {V} words")
        self.noise_q = nn.unigram_noise(counts)
        self.log_kq = to_device(numpy.log(c["noise"] * self.noise_q).astype(self.dtype), self.xp)
        return {
            "embedding": init.uniform((V, D), 1.0),
            "nce_W": init.truncated_normal((V, D), 1.0 / D ** 0.5),
            "nce_b": init.constant(V, 0.0),
        }

    # -- batches ---------------------------------------------------------------------------------------------

    def make_batch(self, centre, context, rng):
        """A training batch of (centre, context) word-id pairs, with its noise words and column-dropout mask
        drawn from the host generator ``rng``."""
        c = self.config
        batch = {"centre": to_device(centre, self.xp), "context": to_device(context, self.xp),
                 "noise": to_device(nn.sample_noise(rng, self.noise_q, c["noise"]), self.xp)}
        if c["dropout"] > 0:
            batch["dropout_mask"] = to_device(nn.column_dropout_mask(rng, c["dim"], c["dropout"], self.dtype),
                                              self.xp)
        return batch

    def example_batch(self, rng):
        """Random word pairs of the right shapes."""
        V, B = self.config["vocab"], self.config["batch"]
        return self.make_batch(rng.integers(0, V, B), rng.integers(0, V, B), rng)

    def _inputs(self, batch):
        V = self.config["vocab"]
        centre = self._int_input(batch, "centre", (None,), V)
        context = self._int_input(batch, "context", centre.shape, V)
        noise = self._int_input(batch, "noise", (self.config["noise"],), V)
        mask = None
        if "dropout_mask" in batch:
            mask = self._float_input(batch, "dropout_mask", (1, self.config["dim"]))
        return centre, context, noise, mask

    # -- forward and backward --------------------------------------------------------------------------------

    def loss_and_grads(self, batch):
        """NCE loss (mean over the batch) and the gradients of the embedding table and the NCE weights."""
        p = self.params
        centre, context, noise, mask = self._inputs(batch)
        h, emb = nn.embedding_forward(centre, p["embedding"])
        drop = None
        if mask is not None:
            h, drop = nn.dropout_forward(h, mask)
        loss, nce = nn.nce_forward(h, context, noise, p["nce_W"], p["nce_b"], self.log_kq)

        g = {}
        dh, g["nce_W"], g["nce_b"] = nn.nce_backward(1.0, nce)
        if drop is not None:
            dh = nn.dropout_backward(dh, drop)
        g["embedding"] = nn.embedding_backward(dh, emb)
        return float(loss), {name: g[name] for name in self.params}

    def embeddings(self):
        """The word vectors (the embedding table), as used for the analogy metric."""
        return self.params["embedding"]

    # -- held-out evaluation ---------------------------------------------------------------------------------

    def heldout_candidates(self, n_pairs: int, seed: int):
        """``(n_pairs, k)`` noise words, ``k`` for each held-out pair, drawn from the noise distribution by a
        generator seeded with ``seed``: the same candidates for every model with this vocabulary and ``k``."""
        rng = numpy.random.default_rng(seed)
        return rng.choice(len(self.noise_q), size=(n_pairs, self.config["noise"]), replace=True, p=self.noise_q)

    def evaluate(self, centre, context, candidates, chunk: int = 4096) -> dict:
        r"""NCE's own classifier on held-out pairs: does the true context word outscore noise words?

        ``centre``, ``context`` ``(N,)`` word ids of held-out pairs; ``candidates`` ``(N, K)`` noise words drawn
        for each pair (:meth:`heldout_candidates`). Every word is scored by NCE's logit without dropout,
        :math:`s(w) = e_c \cdot u_w + b_w - \log(k\,q(w))`, the log-odds that :math:`w` came from the data
        rather than the noise (see :mod:`nadam_ref.nn.nce`). Returns

        * ``error`` — the share of (pair, candidate) comparisons in which the candidate scores at least as high
          as the true context word (ties count as errors; a candidate that *is* the context word is left out):
          one minus the area under the ROC curve, 0 for a perfect ranking, about ½ for scores that know nothing;
        * ``loss`` — the NCE loss with each pair's candidates as its noise words, mean over pairs (with
          :math:`K = k` candidates, the training loss on held-out pairs);
        * ``pairs`` — how many pairs were scored.
        """
        p, V = self.params, self.config["vocab"]
        pairs = {"centre": numpy.asarray(centre), "context": numpy.asarray(context),
                 "candidates": numpy.asarray(candidates)}
        n = len(pairs["centre"])
        if not n:
            raise ValueError("word2vec: no held-out pairs to evaluate")
        errors, compared, total = 0, 0, 0.0
        for start in range(0, n, chunk):
            part = {k: v[start:start + chunk] for k, v in pairs.items()}
            c = self._int_input(part, "centre", (None,), V)
            o = self._int_input(part, "context", c.shape, V)
            noise = self._int_input(part, "candidates", (len(c), None), V)
            e = p["embedding"][c]
            true = (e * p["nce_W"][o]).sum(axis=1) + p["nce_b"][o] - self.log_kq[o]
            other = (e[:, None, :] * p["nce_W"][noise]).sum(axis=2) + p["nce_b"][noise] - self.log_kq[noise]
            distinct = noise != o[:, None]
            errors += int(((other >= true[:, None]) & distinct).sum())
            compared += int(distinct.sum())
            total += float(nn.softplus(-true).sum() + nn.softplus(other).sum())
        return {"error": errors / compared if compared else float("nan"), "loss": total / n, "pairs": n}
