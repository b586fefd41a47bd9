"""Forward + backward of the paper's three models, nadam_ref against torch on CPU, interleaved.

For each model at paper size (float32): the readable nadam_ref model, for the CNN also the same model with
:class:`nadam_ref.nn.fast.FastLayers`, and the torch twin (``nadam_ref.models.torch_twins`` for the CNN and the
LSTM LM, :class:`TorchWord2Vec` here) on the same weights and batch. torch computes its gradients by autograd,
ours by hand; ``tests/bench`` checks that the word2vec twin gives our loss and gradients.
"""

from __future__ import annotations

import statistics
import time

import numpy

from .. import models
from ..backend import to_host

MODELS = ("cnn", "lstm_lm", "word2vec")


def torch_word2vec(torch):
    """The class is built on demand, so that importing this module needs no torch."""
    functional = torch.nn.functional

    class TorchWord2Vec(torch.nn.Module):
        """Embedding → column dropout → NCE (:mod:`nadam_ref.nn.nce`), with dense gradients as ours."""

        def __init__(self, model):
            super().__init__()
            p = model.params
            self.embedding = torch.nn.Parameter(torch.tensor(to_host(p["embedding"])))
            self.nce_W = torch.nn.Parameter(torch.tensor(to_host(p["nce_W"])))
            self.nce_b = torch.nn.Parameter(torch.tensor(to_host(p["nce_b"])))
            self.log_kq = torch.tensor(to_host(model.log_kq))

        def forward(self, centre, context, noise, mask=None):
            h = self.embedding[centre]
            if mask is not None:
                h = h * mask
            true = (h * self.nce_W[context]).sum(1) + self.nce_b[context] - self.log_kq[context]
            noisy = h @ self.nce_W[noise].T + self.nce_b[noise] - self.log_kq[noise]
            return (functional.softplus(-true).sum() + functional.softplus(noisy).sum()) / h.shape[0]

    return TorchWord2Vec


def word2vec_inputs(torch, batch):
    ids = [torch.tensor(to_host(batch[k]), dtype=torch.long) for k in ("centre", "context", "noise")]
    mask = torch.tensor(to_host(batch["dropout_mask"])) if "dropout_mask" in batch else None
    return (*ids, mask)


def steps(torch, name: str, size: str = "paper") -> dict:
    """name of implementation -> zero-argument function doing one forward + backward."""
    from ..models import torch_twins
    from ..nn.fast import FastLayers

    model = models.build(name, size, seed=0, dtype="float32")
    batch = model.example_batch(numpy.random.default_rng(0))
    out = {"nadam_ref": lambda: model.loss_and_grads(batch)}
    if name == "cnn":
        quick = models.build(name, size, seed=0, dtype="float32")
        quick.layers = FastLayers()
        out["nadam_ref fast"] = lambda: quick.loss_and_grads(batch)
    if torch is None:
        return out
    if name == "cnn":
        twin, inputs = torch_twins.TorchCNN(model), torch_twins.cnn_inputs(batch)
    elif name == "lstm_lm":
        twin = torch_twins.TorchLSTMLM(model)
        state = tuple(torch.tensor(to_host(batch[k])) for k in ("h0", "c0"))
        inputs = (torch.tensor(to_host(batch["x"])), torch.tensor(to_host(batch["y"])), state)
    else:
        twin, inputs = torch_word2vec(torch)(model), word2vec_inputs(torch, batch)

    def theirs():
        twin.zero_grad(set_to_none=True)
        twin(*inputs).backward()

    out["torch"] = theirs
    return out


def time_model(torch, name: str, repeats: int, peak) -> dict:
    """Interleaved medians of every implementation's step, ours / torch, and each step's extra peak memory."""
    work = steps(torch, name)
    memory = {}
    for impl, step in work.items():
        step()
        memory[impl] = peak(step)
    times = {impl: [] for impl in work}
    for _ in range(repeats):
        for impl, step in work.items():
            start = time.perf_counter()
            step()
            times[impl].append(time.perf_counter() - start)
    median = {k: statistics.median(v) * 1e3 for k, v in times.items()}
    ratios = {f"{k} / torch": v / median["torch"] for k, v in median.items() if "torch" in median and k != "torch"}
    return {"model": name, "median_ms": median, "min_ms": {k: min(v) * 1e3 for k, v in times.items()},
            "repeats": repeats, "ratios": ratios, "step_peak_extra_mb": memory}
