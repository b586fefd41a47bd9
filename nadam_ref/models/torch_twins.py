"""The CNN and the LSTM LM written the ordinary torch way, loaded with a nadam_ref model's weights.

Used by ``nadam-ref bench`` (``nadam_ref/bench/model_steps.py``, speed side by side) and by
``tests/models/test_against_torch.py`` (the hand-written gradients against torch's autograd).
Needs the ``crosscheck`` extra (torch).

The twins compute the same function as the nadam_ref models: NHWC images are permuted to torch's NCHW,
TF-layout kernels ``(kh, kw, C, F)`` to ``(F, C, kh, kw)``, and the LSTM's stacked gates ``[i | f | o | g]``
are reordered to ``torch.nn.LSTM``'s ``[i | f | g | o]``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..backend import to_host


def _tensor(a, dtype):
    return torch.tensor(to_host(a), dtype=dtype)


class TorchCNN(torch.nn.Module):
    """conv → ReLU → pool → conv → ReLU → pool → fc → ReLU → dropout (given mask) → fc, as :class:`CNN`."""

    def __init__(self, model, dtype=torch.float32):
        super().__init__()
        p = model.params
        self.l2 = model.config["l2"]
        self.conv1 = torch.nn.Parameter(_tensor(p["conv1_W"], dtype).permute(3, 2, 0, 1).contiguous())
        self.conv1_b = torch.nn.Parameter(_tensor(p["conv1_b"], dtype))
        self.conv2 = torch.nn.Parameter(_tensor(p["conv2_W"], dtype).permute(3, 2, 0, 1).contiguous())
        self.conv2_b = torch.nn.Parameter(_tensor(p["conv2_b"], dtype))
        self.fc1 = torch.nn.Parameter(_tensor(p["fc1_W"], dtype).T.contiguous())
        self.fc1_b = torch.nn.Parameter(_tensor(p["fc1_b"], dtype))
        self.fc2 = torch.nn.Parameter(_tensor(p["fc2_W"], dtype).T.contiguous())
        self.fc2_b = torch.nn.Parameter(_tensor(p["fc2_b"], dtype))

    def forward(self, x_nchw, y, mask=None):
        h = F.max_pool2d(F.relu(F.conv2d(x_nchw, self.conv1, self.conv1_b, padding="same")), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, self.conv2, self.conv2_b, padding="same")), 2)
        h = h.permute(0, 2, 3, 1).flatten(1)  # flatten in NHWC order, like the NumPy model
        h = F.relu(F.linear(h, self.fc1, self.fc1_b))
        if mask is not None:
            h = h * mask
        loss = F.cross_entropy(F.linear(h, self.fc2, self.fc2_b), y)
        fc = (self.fc1, self.fc1_b, self.fc2, self.fc2_b)
        return loss + 0.5 * self.l2 * sum((w * w).sum() for w in fc)

    def grads_like(self, model) -> dict:
        """The gradients in the nadam_ref model's names and layouts."""
        return {"conv1_W": self.conv1.grad.permute(2, 3, 1, 0), "conv1_b": self.conv1_b.grad,
                "conv2_W": self.conv2.grad.permute(2, 3, 1, 0), "conv2_b": self.conv2_b.grad,
                "fc1_W": self.fc1.grad.T, "fc1_b": self.fc1_b.grad, "fc2_W": self.fc2.grad.T,
                "fc2_b": self.fc2_b.grad}


def cnn_inputs(batch, dtype=torch.float32):
    """A :class:`CNN` batch as torch tensors: NCHW images, labels, dropout mask (or None)."""
    x = _tensor(batch["x"], dtype).permute(0, 3, 1, 2).contiguous()
    mask = _tensor(batch["dropout_mask"], dtype) if "dropout_mask" in batch else None
    return x, torch.tensor(to_host(batch["y"]), dtype=torch.long), mask


def _ifog_to_ifgo(w, H):
    i, f, o, g = (w[..., k * H:(k + 1) * H] for k in range(4))
    return torch.cat([i, f, g, o], dim=-1)


class TorchLSTMLM(torch.nn.Module):
    """embedding → ``torch.nn.LSTM`` (2 layers) → linear → cross-entropy (+ L2), as :class:`LSTMLM`."""

    def __init__(self, model, dtype=torch.float32):
        super().__init__()
        c, p = model.config, model.params
        H, L = c["hidden"], c["layers"]
        if c["forget_bias"] != 0.0:
            raise ValueError("the torch twin maps forget_bias = 0 only")
        self.l2 = c["l2"]
        self.embedding = torch.nn.Parameter(_tensor(p["embedding"], dtype))
        self.lstm = torch.nn.LSTM(H, H, num_layers=L, batch_first=True, dtype=dtype)
        with torch.no_grad():
            for layer in range(L):
                for ours, theirs in (("Wx", "weight_ih"), ("Wh", "weight_hh")):
                    w = _ifog_to_ifgo(_tensor(p[f"lstm{layer}_{ours}"], dtype), H)
                    getattr(self.lstm, f"{theirs}_l{layer}").copy_(w.T)
                b = _ifog_to_ifgo(_tensor(p[f"lstm{layer}_b"], dtype), H)
                getattr(self.lstm, f"bias_ih_l{layer}").copy_(b)
                getattr(self.lstm, f"bias_hh_l{layer}").zero_()  # one bias, as in the NumPy model
        self.softmax_W = torch.nn.Parameter(_tensor(p["softmax_W"], dtype))
        self.softmax_b = torch.nn.Parameter(_tensor(p["softmax_b"], dtype))

    def forward(self, x, y, state=None):
        h, _ = self.lstm(self.embedding[x], state)
        logits = h.reshape(-1, h.shape[-1]) @ self.softmax_W + self.softmax_b
        loss = F.cross_entropy(logits, y.reshape(-1))
        lstm_weights = [w for name, w in self.lstm.named_parameters() if "weight" in name]
        weights = [self.embedding, self.softmax_W, *lstm_weights]
        return loss + 0.5 * self.l2 * sum((w * w).sum() for w in weights)

    def grads_like(self, model) -> dict:
        """The gradients in the nadam_ref model's names and layouts (gates back to [i | f | o | g])."""
        H = model.config["hidden"]
        g = {"embedding": self.embedding.grad, "softmax_W": self.softmax_W.grad,
             "softmax_b": self.softmax_b.grad}
        for layer in range(model.config["layers"]):
            for ours, theirs in (("Wx", "weight_ih"), ("Wh", "weight_hh")):
                g[f"lstm{layer}_{ours}"] = _ifgo_to_ifog(getattr(self.lstm, f"{theirs}_l{layer}").grad.T, H)
            g[f"lstm{layer}_b"] = _ifgo_to_ifog(getattr(self.lstm, f"bias_ih_l{layer}").grad, H)
        return g


def _ifgo_to_ifog(w, H):
    i, f, g, o = (w[..., k * H:(k + 1) * H] for k in range(4))
    return torch.cat([i, f, o, g], dim=-1)
