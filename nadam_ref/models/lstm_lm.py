r"""The paper's LSTM language model: Zaremba et al. (2014)'s "small" PTB model, with L2 in place of dropout.

.. code-block:: text

    words x (B, T) → embedding (V, H) → LSTM layer 1 (H) → LSTM layer 2 (H) → affine (H, V) → softmax
      cross-entropy against the next words y (B, T)                         (+ L2 on all weight matrices)

Paper size: 2 layers of 200 cells, 20 unrolled steps, batch 20, a 10k vocabulary, weights uniform in
[-0.1, 0.1], forget bias 0, as in TensorFlow's ``ptb_word_lm.py`` small config. The paper added L2 "to offset
the lack of dropout" without giving its weight; we use :math:`\lambda = 10^{-4}` (setting ``l2``).

The loss is the mean cross-entropy per predicted word, so ``exp(loss - l2 term)`` is the perplexity.
TensorFlow's model sums over the 20 steps (and averages over the batch): its learning rate 1 for plain
gradient descent corresponds to 20 here.

Truncated backpropagation through time, as Zaremba: the state at the end of one batch starts the next. The
batch carries its initial state (``h0``, ``c0``, each ``(layers, B, H)``; zeros when absent) and the model
leaves the final state in :attr:`LSTMLM.last_state` for the caller to pass on, so ``loss_and_grads`` stays a
pure function of the parameters and the batch.

Sizes: ``class`` is 2 layers of 64 cells on a 3k-word vocabulary (Tiny Shakespeare); ``tiny`` is for
gradient checks.
"""

from __future__ import annotations

from .. import nn
from ..backend import to_device
from ._base import Model


class LSTMLM(Model):
    name = "lstm_lm"
    #: The final ``(h, c)`` of the last forward pass, each ``(layers, B, H)``; None before the first.
    last_state = None
    CONFIGS = {
        "tiny": dict(vocab=11, hidden=4, layers=2, steps=3, batch=2, init_scale=0.5, forget_bias=0.0,
                     l2=1e-3),
        "class": dict(vocab=3000, hidden=64, layers=2, steps=20, batch=20, init_scale=0.1, forget_bias=0.0,
                      l2=1e-5),
        "paper": dict(vocab=10000, hidden=200, layers=2, steps=20, batch=20, init_scale=0.1, forget_bias=0.0,
                      l2=1e-4),
    }

    def init_params(self, init):
        c = self.config
        V, H, s = c["vocab"], c["hidden"], c["init_scale"]
        params = {"embedding": init.uniform((V, H), s)}
        for layer in range(c["layers"]):
            params[f"lstm{layer}_Wx"] = init.uniform((H, 4 * H), s)
            params[f"lstm{layer}_Wh"] = init.uniform((H, 4 * H), s)
            params[f"lstm{layer}_b"] = init.uniform((4 * H,), s)
        params["softmax_W"] = init.uniform((H, V), s)
        params["softmax_b"] = init.uniform((V,), s)
        return params

    @property
    def l2_names(self):
        """The weight matrices L2 acts on (not the biases)."""
        return [name for name in self.params if not name.endswith("_b")]

    # -- batches ---------------------------------------------------------------------------------------------

    def make_batch(self, x, y, state=None):
        """A batch from word ids ``x`` and next-word ids ``y`` (both (B, T)); ``state`` is a previous
        :attr:`last_state` to continue from (truncated BPTT), or None for zeros."""
        batch = {"x": to_device(x, self.xp), "y": to_device(y, self.xp)}
        if state is not None:
            batch["h0"], batch["c0"] = state
        return batch

    def example_batch(self, rng):
        """Random word ids and a random initial state of the right shapes."""
        c = self.config
        ids = rng.integers(0, c["vocab"], (c["batch"], c["steps"] + 1))
        state_shape = (c["layers"], c["batch"], c["hidden"])
        state = tuple(to_device((0.1 * rng.standard_normal(state_shape)).astype(self.dtype), self.xp)
                      for _ in range(2))
        return self.make_batch(ids[:, :-1], ids[:, 1:], state)

    def _inputs(self, batch):
        V, L, H = self.config["vocab"], self.config["layers"], self.config["hidden"]
        x = self._int_input(batch, "x", (None, None), V)
        y = self._int_input(batch, "y", x.shape, V)
        B = x.shape[0]
        if "h0" in batch or "c0" in batch:
            h0 = self._float_input(batch, "h0", (L, B, H))
            c0 = self._float_input(batch, "c0", (L, B, H))
        else:
            h0 = c0 = self.xp.zeros((L, B, H), dtype=self.dtype)
        return x, y, h0, c0

    # -- forward and backward --------------------------------------------------------------------------------

    def _forward(self, x, y, h0, c0):
        p, B, T = self.params, x.shape[0], x.shape[1]
        h, emb = nn.embedding_forward(x, p["embedding"])
        lstm_caches, final_h, final_c = [], [], []
        for layer in range(self.config["layers"]):
            h, (hT, cT), cache = nn.lstm_forward(h, h0[layer], c0[layer], p[f"lstm{layer}_Wx"],
                                                 p[f"lstm{layer}_Wh"], p[f"lstm{layer}_b"],
                                                 self.config["forget_bias"])
            lstm_caches.append(cache)
            final_h.append(hT)
            final_c.append(cT)
        logits, aff = nn.affine_forward(h.reshape(B * T, -1), p["softmax_W"], p["softmax_b"])
        loss, ce = nn.softmax_cross_entropy_forward(logits, y.reshape(-1))
        self.last_state = (self.xp.stack(final_h), self.xp.stack(final_c))
        return float(loss), (emb, lstm_caches, aff, ce, h.shape)

    def loss_and_grads(self, batch):
        """Mean cross-entropy per word plus L2, and every parameter's gradient by backpropagation through
        time. Sets :attr:`last_state` to the final ``(h, c)``."""
        x, y, h0, c0 = self._inputs(batch)
        data_loss, (emb, lstm_caches, aff, ce, hs_shape) = self._forward(x, y, h0, c0)
        l2_loss, l2 = nn.l2_forward({k: self.params[k] for k in self.l2_names}, self.config["l2"])

        g = {}
        dh = nn.softmax_cross_entropy_backward(1.0, ce)
        dh, g["softmax_W"], g["softmax_b"] = nn.affine_backward(dh, aff)
        dh = dh.reshape(hs_shape)
        for layer in reversed(range(self.config["layers"])):
            dh, _, _, g[f"lstm{layer}_Wx"], g[f"lstm{layer}_Wh"], g[f"lstm{layer}_b"] = nn.lstm_backward(
                dh, lstm_caches[layer])
        g["embedding"] = nn.embedding_backward(dh, emb)
        for name, dw in nn.l2_backward(l2).items():
            g[name] = g[name] + dw
        return data_loss + l2_loss, {name: g[name] for name in self.params}

    def evaluate(self, x, y, state=None) -> dict:
        """Mean cross-entropy per word (no L2) on one batch of ids, and the final state to carry on."""
        xb, yb, h0, c0 = self._inputs(self.make_batch(x, y, state))
        loss, _ = self._forward(xb, yb, h0, c0)
        return {"loss": loss, "words": int(yb.size), "state": self.last_state}
