"""A small least-squares experiment, registered only inside tests, to exercise the runner in milliseconds.

It is a real problem (noisy linear regression, minibatch SGD), so the rules really train on it, and a large η
makes GD really diverge.
"""

from __future__ import annotations

import numpy
import pytest

from nadam_ref.experiments import configs, tasks
from nadam_ref.rules import PAPER_RULES

LINREG_CONFIG = {
    "model": "linear",
    "examples": 96,
    "dim": 5,
    "batch_size": 16,
    "epochs": 3,
    "lr_decay": 0.9,
    "tune": {"epochs": 1, "factors": [0.1, 1.0]},
}


class LinearModel:
    """y ≈ X w + b, mean squared error; the models' contract: params, loss_and_grads, example_batch."""

    def __init__(self, dim, seed):
        rng = numpy.random.default_rng(seed)
        self.params = {"w": rng.standard_normal(dim) * 0.1, "b": numpy.zeros(1)}

    def loss_and_grads(self, batch):
        x, y = batch
        residual = x @ self.params["w"] + self.params["b"][0] - y
        loss = float(numpy.mean(residual**2))
        return loss, {"w": 2 * x.T @ residual / len(y), "b": numpy.array([2 * residual.mean()])}

    def example_batch(self, rng):
        return rng.standard_normal((4, len(self.params["w"]))), rng.standard_normal(4)


class LinregTask:
    def __init__(self, data, cfg, seed):
        self.data, self.cfg = data, cfg
        self.model = LinearModel(cfg["dim"], seed)

    def train_batches(self, epoch, rng):
        x, y = self.data["train"]
        order = rng.permutation(len(y))
        size = self.cfg["batch_size"]
        chunks = [order[i : i + size] for i in range(0, len(y), size)]
        return len(chunks), ((x[c], y[c]) for c in chunks)

    def evaluate(self):
        return {
            split: {"loss": self.model.loss_and_grads(self.data[split])[0]} for split in ("valid", "test")
        }


class Linreg:
    METRIC = {"name": "loss", "label": "test loss (mean squared error)"}

    @staticmethod
    def load_data(cfg):
        rng = numpy.random.default_rng(1234)
        w = rng.standard_normal(cfg["dim"])
        out = {}
        for split in ("train", "valid", "test"):
            x = rng.standard_normal((cfg["examples"], cfg["dim"]))
            out[split] = (x, x @ w + 0.1 * rng.standard_normal(cfg["examples"]))
        return out

    @staticmethod
    def make_task(data, cfg, seed):
        return LinregTask(data, cfg, seed)


LINREG_LRS = {
    "gd": 0.05,
    "momentum": 5e-4,
    "nag": 5e-4,
    "rmsprop": 0.01,
    "adam": 0.01,
    "nadam": 0.01,
    "maxaprop": 0.01,
    "adamax": 0.01,
    "nadamax": 0.01,
}


@pytest.fixture
def linreg(monkeypatch):
    """Registers the 'linreg' experiment (all scales share one config) and its η's; returns the η dict."""
    lrs = dict(LINREG_LRS)
    monkeypatch.setitem(configs._CONFIGS, "linreg", {scale: dict(LINREG_CONFIG) for scale in configs.SCALES})
    monkeypatch.setitem(tasks.EXPERIMENTS, "linreg", Linreg)
    monkeypatch.setitem(configs.LR_CENTRES, "linreg", dict(LINREG_LRS))
    original = configs.learning_rates

    def learning_rates(name, rules=PAPER_RULES, path=None):
        if name == "linreg" and path is None:
            return {r: lrs[r] for r in rules}
        return original(name, rules, path)

    monkeypatch.setattr(configs, "learning_rates", learning_rates)
    return lrs
