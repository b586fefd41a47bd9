"""The hand-written forward and backward passes against torch's autograd on the same weights (float64).

torch is the ``crosscheck`` extra, which ``make test`` installs; the module skips, saying so, where it is
absent.
"""

from __future__ import annotations

import numpy
import pytest

from nadam_ref import models

torch = pytest.importorskip("torch", reason="torch is the crosscheck extra: pip install -e '.[crosscheck]'")
twins = pytest.importorskip("nadam_ref.models.torch_twins")


def compare(ours_loss, ours_grads, theirs_loss, theirs_grads):
    assert ours_loss == pytest.approx(float(theirs_loss.detach()), rel=1e-12)
    assert set(ours_grads) == set(theirs_grads)
    for name, g in ours_grads.items():
        numpy.testing.assert_allclose(g, theirs_grads[name].detach().numpy(), rtol=1e-9, atol=1e-12,
                                      err_msg=name)


@pytest.mark.parametrize("size", ["tiny", "class"])
def test_cnn_matches_torch(size):
    model = models.build("cnn", size, seed=1, dtype="float64")
    batch = model.example_batch(numpy.random.default_rng(2))
    loss, grads = model.loss_and_grads(batch)
    twin = twins.TorchCNN(model, torch.float64)
    theirs = twin(*twins.cnn_inputs(batch, torch.float64))
    theirs.backward()
    compare(loss, grads, theirs, twin.grads_like(model))


@pytest.mark.parametrize("size", ["tiny", "class"])
def test_lstm_lm_matches_torch(size):
    model = models.build("lstm_lm", size, seed=1, dtype="float64")
    batch = model.example_batch(numpy.random.default_rng(2))
    loss, grads = model.loss_and_grads(batch)
    twin = twins.TorchLSTMLM(model, torch.float64)
    state = tuple(torch.tensor(batch[k]) for k in ("h0", "c0"))
    theirs = twin(torch.tensor(batch["x"]), torch.tensor(batch["y"]), state)
    theirs.backward()
    compare(loss, grads, theirs, twin.grads_like(model))
