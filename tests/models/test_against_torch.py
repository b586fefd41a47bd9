"""The hand-written forward and backward passes against torch's autograd on the same weights (float64).

torch is the ``crosscheck`` extra, which ``make test`` installs; the module skips, saying so, without it.
"""

from __future__ import annotations

import numpy
import pytest

from nadam_ref import models

torch = pytest.importorskip("torch", reason="torch is the crosscheck extra: pip install -e '.[crosscheck]'")
twins = pytest.importorskip("nadam_ref.models.torch_twins")


def torch_cnn_loss(model, batch):
    twin = twins.TorchCNN(model, torch.float64)
    return twin, twin(*twins.cnn_inputs(batch, torch.float64))


def torch_lstm_lm_loss(model, batch):
    twin = twins.TorchLSTMLM(model, torch.float64)
    state = tuple(torch.tensor(batch[k]) for k in ("h0", "c0"))
    return twin, twin(torch.tensor(batch["x"]), torch.tensor(batch["y"]), state)


@pytest.mark.parametrize("size", ["tiny", "class"])
@pytest.mark.parametrize("name, torch_loss", [("cnn", torch_cnn_loss), ("lstm_lm", torch_lstm_lm_loss)])
def test_gradients_match_torch_autograd(name, torch_loss, size):
    model = models.build(name, size, seed=1, dtype="float64")
    batch = model.example_batch(numpy.random.default_rng(2))
    loss, grads = model.loss_and_grads(batch)
    twin, theirs = torch_loss(model, batch)
    theirs.backward()
    theirs_grads = twin.grads_like(model)
    assert loss == pytest.approx(float(theirs.detach()), rel=1e-12)
    assert set(grads) == set(theirs_grads)
    for param, g in grads.items():
        numpy.testing.assert_allclose(g, theirs_grads[param].detach().numpy(), rtol=1e-9, atol=1e-12,
                                      err_msg=param)
