"""The three models: whole-model gradient checks at tiny size, the contract, determinism and bad input."""

from __future__ import annotations

import numpy
import pytest

from nadam_ref import Optimizer, data, models
from nadam_ref.backend import to_host
from nadam_ref.models import BatchError
from nadam_ref.nn import gradcheck

NAMES = sorted(models.MODELS)


@pytest.mark.parametrize("name", NAMES)
def test_tiny_model_passes_whole_model_gradient_check(xp, name):
    model = models.build(name, "tiny", seed=3, xp=xp)
    batch = model.example_batch(numpy.random.default_rng(4))
    errors = gradcheck.check_model(model, batch)
    assert set(errors) == set(model.params)
    for param, err in errors.items():
        assert err < 1e-7, f"{name}.{param}: relative error {err:.2e}"


def test_gradient_check_catches_a_wrong_gradient():
    model = models.build("cnn", "tiny")
    batch = model.example_batch(numpy.random.default_rng(0))
    right = model.loss_and_grads
    model.loss_and_grads = lambda b: (right(b)[0], {k: 1.01 * g for k, g in right(b)[1].items()})
    assert min(gradcheck.check_model(model, batch).values()) > 1e-3


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", ["tiny", "class"])
def test_contract_and_determinism(xp, name, size):
    model = models.build(name, size, seed=0, xp=xp)
    batch = model.example_batch(numpy.random.default_rng(1))
    loss, grads = model.loss_and_grads(batch)
    assert isinstance(loss, float) and numpy.isfinite(loss)
    assert list(grads) == list(model.params)
    for k, g in grads.items():
        assert g.shape == model.params[k].shape and g.dtype == model.params[k].dtype, k
    loss2, grads2 = model.loss_and_grads(batch)
    assert loss2 == loss
    for k in grads:
        numpy.testing.assert_array_equal(to_host(grads2[k]), to_host(grads[k]))


def test_same_seed_same_parameters_other_seed_different():
    a, b, c = (models.build("lstm_lm", "tiny", seed=s) for s in (5, 5, 6))
    for k in a.params:
        numpy.testing.assert_array_equal(a.params[k], b.params[k])
    assert any(not numpy.array_equal(a.params[k], c.params[k]) for k in a.params)


def test_paper_sizes_match_the_paper():
    cnn = models.build("cnn", "paper")
    assert cnn.params["conv1_W"].shape == (5, 5, 1, 32) and cnn.params["conv2_W"].shape == (5, 5, 32, 64)
    assert cnn.params["fc1_W"].shape == (7 * 7 * 64, 512) and cnn.params["fc2_W"].shape == (512, 10)
    lm = models.build("lstm_lm", "paper")
    assert lm.config["layers"] == 2 and lm.params["lstm1_Wh"].shape == (200, 800)
    assert lm.params["softmax_W"].shape == (200, 10000)
    assert lm.config["steps"] == 20 and lm.config["batch"] == 20
    w2v = models.build("word2vec", "paper")
    assert w2v.params["embedding"].shape == (50000, 128) and w2v.config["noise"] == 64
    assert w2v.config["dropout"] == 0.5


def test_models_do_not_touch_their_parameters():
    model = models.build("word2vec", "tiny")
    before = {k: v.copy() for k, v in model.params.items()}
    model.loss_and_grads(model.example_batch(numpy.random.default_rng(0)))
    for k in before:
        numpy.testing.assert_array_equal(before[k], model.params[k])


def test_lstm_state_carries_between_batches():
    model = models.build("lstm_lm", "tiny")
    rng = numpy.random.default_rng(0)
    ids = rng.integers(0, 11, (2, 7))
    whole = model.evaluate(ids[:, :6], ids[:, 1:7])
    first = model.evaluate(ids[:, :3], ids[:, 1:4])
    second = model.evaluate(ids[:, 3:6], ids[:, 4:7], first["state"])
    # Truncated BPTT changes gradients, not the forward pass: the two halves give the whole's loss.
    assert numpy.isclose((first["loss"] + second["loss"]) / 2, whole["loss"], rtol=1e-12)
    numpy.testing.assert_allclose(second["state"][0], whole["state"][0], rtol=1e-12)


def test_word2vec_noise_follows_unigram_to_three_quarters():
    counts = numpy.array([1000, 100, 10, 1])
    model = models.build("word2vec", "tiny", vocab=4, counts=counts)
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    numpy.testing.assert_allclose(model.noise_q, expected)
    rng = numpy.random.default_rng(0)
    draws = numpy.concatenate([model.make_batch(numpy.zeros(1, int), numpy.zeros(1, int), rng)["noise"]
                               for _ in range(3000)])
    numpy.testing.assert_allclose(numpy.bincount(draws, minlength=4) / draws.size, expected, atol=0.01)


def test_column_dropout_drops_whole_columns():
    model = models.build("word2vec", "class")
    mask = model.example_batch(numpy.random.default_rng(0))["dropout_mask"]
    assert mask.shape == (1, 64) and set(numpy.unique(mask)) <= {0.0, 2.0}
    assert 10 < int((mask == 0).sum()) < 54


# -- bad input -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, key, bad, message", [
    ("cnn", "x", numpy.zeros((3, 8, 8), "float64"), "shape"),
    ("cnn", "x", numpy.zeros((3, 8, 8, 1), "float32"), "dtype float32; expected float64"),
    ("cnn", "y", numpy.zeros(3, "float64"), "expected integers"),
    ("cnn", "y", numpy.full(3, 10), r"expected integers in \[0, 10\)"),
    ("lstm_lm", "x", numpy.zeros(6, int), "shape"),
    ("lstm_lm", "y", numpy.zeros((2, 2), int), "shape"),
    ("lstm_lm", "h0", numpy.zeros((2, 2, 4), "float32"), "dtype float32"),
    ("word2vec", "centre", numpy.array([0, 1, 13, 2, 3, 4]), r"\[0, 13\)"),
    ("word2vec", "noise", numpy.zeros(3, int), "shape"),
    ("word2vec", "dropout_mask", numpy.ones((6, 5)), "shape"),
])
def test_bad_batches_are_refused_by_name(name, key, bad, message):
    model = models.build(name, "tiny")
    batch = dict(model.example_batch(numpy.random.default_rng(0)))
    batch[key] = bad
    with pytest.raises(BatchError, match=message) as info:
        model.loss_and_grads(batch)
    assert repr(key) in str(info.value)


def test_missing_key_and_non_dict_batch():
    model = models.build("cnn", "tiny")
    with pytest.raises(BatchError, match="lacks 'y'"):
        model.loss_and_grads({"x": numpy.zeros((3, 8, 8, 1))})
    with pytest.raises(BatchError, match="dict"):
        model.loss_and_grads([1, 2])


def test_bad_build_arguments():
    with pytest.raises(ValueError, match="unknown model 'rnn'"):
        models.build("rnn")
    with pytest.raises(ValueError, match="unknown model size 'huge'"):
        models.build("cnn", "huge")
    with pytest.raises(TypeError, match="unknown setting"):
        models.build("cnn", "tiny", vocab=3)
    with pytest.raises(ValueError, match="dtype"):
        models.build("cnn", "tiny", dtype="float16")
    with pytest.raises(ValueError, match="3 word counts"):
        models.build("word2vec", "tiny", counts=[1, 2, 3])


# -- learning (short; the full numbers come from benchmarks/learning_at_class_size.py) -----------------------


@pytest.mark.slow
def test_class_cnn_learns_quickly_on_shipped_mnist():
    splits = data.load_mnist()
    (x, y), (xt, yt) = splits["train"], splits["test"]
    model = models.build("cnn", "class")
    opt = Optimizer("adam", model.params, lr=1e-3)
    rng = numpy.random.default_rng(0)
    for _ in range(40):
        idx = rng.integers(0, len(y), 50)
        opt.step(model.loss_and_grads(model.make_batch(x[idx], y[idx], rng))[1])
    assert model.evaluate(xt, yt)["accuracy"] > 0.5  # chance is 0.1
