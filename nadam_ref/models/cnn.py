r"""The paper's MNIST CNN (TensorFlow's basic MNIST convolutional model,
``models/image/mnist/convolutional.py``).

.. code-block:: text

    x (N, 28, 28, 1) → conv 5×5×32 SAME → ReLU → max-pool 2×2/2 → conv 5×5×64 SAME → ReLU → max-pool 2×2/2
      → flatten (N, 7·7·64) → fc 512 → ReLU → dropout(0.5) → fc 10 → softmax cross-entropy
      (+ L2 on the fc layers)

As in that model: weights start from a truncated normal with std 0.1, the first conv's biases at 0 and the
others at 0.1; dropout keeps half the fc units while training; the loss adds
:math:`5\cdot10^{-4}\,(\lVert W_3\rVert^2 + \lVert b_3\rVert^2 + \lVert W_4\rVert^2 + \lVert b_4\rVert^2)/2`.
The batch size is 64 (``BATCH_SIZE`` there).

Sizes: ``paper`` is the model above; ``class`` narrows it (8 and 16 filters, fc 64, batch 50) so it trains
on two CPU cores in seconds; ``tiny`` (8×8 images, 3×3 kernels, a few units) is for whole-model gradient
checks.
"""

from __future__ import annotations

from .. import nn
from ..backend import to_device
from ._base import Model


class CNN(Model):
    name = "cnn"
    CONFIGS = {
        "tiny": dict(image=8, kernel=3, conv1=2, conv2=3, fc=6, classes=10, batch=3, dropout=0.5,
                     l2=5e-4),
        "class": dict(image=28, kernel=5, conv1=8, conv2=16, fc=64, classes=10, batch=50, dropout=0.5,
                      l2=5e-4),
        "paper": dict(image=28, kernel=5, conv1=32, conv2=64, fc=512, classes=10, batch=64, dropout=0.5,
                      l2=5e-4),
    }

    def init_params(self, init):
        c = self.config
        if c["image"] % 4:
            raise ValueError(f"cnn: image size {c['image']} must be divisible by 4 (two 2×2 poolings)")
        k, flat = c["kernel"], (c["image"] // 4) ** 2 * c["conv2"]
        return {
            "conv1_W": init.truncated_normal((k, k, 1, c["conv1"]), 0.1),
            "conv1_b": init.constant(c["conv1"], 0.0),
            "conv2_W": init.truncated_normal((k, k, c["conv1"], c["conv2"]), 0.1),
            "conv2_b": init.constant(c["conv2"], 0.1),
            "fc1_W": init.truncated_normal((flat, c["fc"]), 0.1), "fc1_b": init.constant(c["fc"], 0.1),
            "fc2_W": init.truncated_normal((c["fc"], c["classes"]), 0.1),
            "fc2_b": init.constant(c["classes"], 0.1),
        }

    # -- batches ---------------------------------------------------------------------------------------------

    def make_batch(self, x, y, rng):
        """A training batch from images ``x`` (N, H, W, 1) and labels ``y`` (N,), with its dropout mask drawn
        from the host generator ``rng``."""
        batch = {"x": to_device(x, self.xp, self.dtype), "y": to_device(y, self.xp)}
        if self.config["dropout"] > 0:
            mask = nn.dropout_mask(rng, (len(y), self.config["fc"]), self.config["dropout"], self.dtype)
            batch["dropout_mask"] = to_device(mask, self.xp)
        return batch

    def example_batch(self, rng):
        """Random images and labels of the right shapes (for gradient checks and timings)."""
        c = self.config
        x = rng.uniform(-0.5, 0.5, (c["batch"], c["image"], c["image"], 1))
        return self.make_batch(x, rng.integers(0, c["classes"], c["batch"]), rng)

    def _inputs(self, batch):
        size = self.config["image"]
        x = self._float_input(batch, "x", (None, size, size, 1))
        y = self._int_input(batch, "y", (x.shape[0],), self.config["classes"])
        mask = None
        if "dropout_mask" in batch:
            mask = self._float_input(batch, "dropout_mask", (x.shape[0], self.config["fc"]))
        return x, y, mask

    # -- forward and backward --------------------------------------------------------------------------------

    def _logits(self, x, mask):
        p = self.params
        h, c1 = nn.conv2d_forward(x, p["conv1_W"], p["conv1_b"])
        h, r1 = nn.relu_forward(h)
        h, p1 = nn.max_pool_forward(h)
        h, c2 = nn.conv2d_forward(h, p["conv2_W"], p["conv2_b"])
        h, r2 = nn.relu_forward(h)
        h, p2 = nn.max_pool_forward(h)
        pooled_shape = h.shape
        h, f1 = nn.affine_forward(h.reshape(h.shape[0], -1), p["fc1_W"], p["fc1_b"])
        h, r3 = nn.relu_forward(h)
        d = None
        if mask is not None:
            h, d = nn.dropout_forward(h, mask)
        logits, f2 = nn.affine_forward(h, p["fc2_W"], p["fc2_b"])
        return logits, (c1, r1, p1, c2, r2, p2, pooled_shape, f1, r3, d, f2)

    def loss_and_grads(self, batch):
        """Cross-entropy (mean over the batch) plus L2 on the fc layers, and every parameter's gradient."""
        x, y, mask = self._inputs(batch)
        logits, (c1, r1, p1, c2, r2, p2, pooled_shape, f1, r3, d, f2) = self._logits(x, mask)
        data_loss, ce = nn.softmax_cross_entropy_forward(logits, y)
        fc = {k: self.params[k] for k in ("fc1_W", "fc1_b", "fc2_W", "fc2_b")}
        l2_loss, l2 = nn.l2_forward(fc, self.config["l2"])

        g = {}
        dh = nn.softmax_cross_entropy_backward(1.0, ce)
        dh, g["fc2_W"], g["fc2_b"] = nn.affine_backward(dh, f2)
        if d is not None:
            dh = nn.dropout_backward(dh, d)
        dh = nn.relu_backward(dh, r3)
        dh, g["fc1_W"], g["fc1_b"] = nn.affine_backward(dh, f1)
        dh = nn.max_pool_backward(dh.reshape(pooled_shape), p2)
        dh = nn.relu_backward(dh, r2)
        dh, g["conv2_W"], g["conv2_b"] = nn.conv2d_backward(dh, c2)
        dh = nn.max_pool_backward(dh, p1)
        dh = nn.relu_backward(dh, r1)
        _, g["conv1_W"], g["conv1_b"] = nn.conv2d_backward(dh, c1, input_grad=False)
        for name, dw in nn.l2_backward(l2).items():
            g[name] = g[name] + dw
        return float(data_loss) + l2_loss, {name: g[name] for name in self.params}

    def evaluate(self, x, y, chunk: int = 500) -> dict:
        """Mean cross-entropy and accuracy on images ``x`` and labels ``y``, without dropout, in chunks."""
        total_loss, correct, n = 0.0, 0, len(y)
        for start in range(0, n, chunk):
            xb, yb, _ = self._inputs({"x": to_device(x[start:start + chunk], self.xp, self.dtype),
                                      "y": to_device(y[start:start + chunk], self.xp)})
            logits, _ = self._logits(xb, None)
            loss, _ = nn.softmax_cross_entropy_forward(logits, yb)
            total_loss += float(loss) * len(yb)
            correct += int((logits.argmax(axis=1) == yb).sum())
        return {"loss": total_loss / n, "accuracy": correct / n, "examples": n}
