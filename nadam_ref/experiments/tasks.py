"""The three experiments as tasks the runner can train: data, model, batches and metrics.

An *experiment* (an entry of :data:`EXPERIMENTS`) has

* ``METRIC`` — ``{"name", "label"}`` of the metric its table reports (the paper's "test loss" or "test perp");
* ``load_data(cfg)`` — the data of one configuration, loaded once and shared by every rule and seed;
* ``make_task(data, cfg, seed)`` — a fresh *task*: ``model`` (built by :func:`nadam_ref.models.build` from
  ``seed``), ``train_batches(epoch, rng) -> (count, iterable)`` and ``evaluate() -> {"valid": {..}, "test": {..}}``.

Tasks are the only place that knows what a batch of each model looks like; the runner sees ``params`` and
``loss_and_grads``.
"""

from __future__ import annotations

#: name → experiment; filled in below.
EXPERIMENTS: dict = {}


class DataCache:
    """Loads an experiment's data on first use only, so resuming a finished reproduction reads no data."""

    def __init__(self, name: str, cfg: dict):
        self.name, self.cfg, self._data = name, cfg, None

    def get(self):
        if self._data is None:
            self._data = EXPERIMENTS[self.name].load_data(self.cfg)
        return self._data
