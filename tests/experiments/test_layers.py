"""``reproduce --layers``: the CNN trains on the fast layers by default, to the readable layers' numbers, and the
choice is part of each run's configuration (a checkpoint of one is refused by the other, naming it)."""

from __future__ import annotations

import pytest

from nadam_ref.cli import main
from nadam_ref.experiments import configs, reproduce, tasks
from nadam_ref.nn.fast import FastLayers

from .test_runner import read_results


def test_fast_layers_give_the_readable_results_and_their_own_checkpoints(tmp_path, capsys):
    args = ["reproduce", "--experiment", "mnist", "--scale", "smoke", "--rules", "adam", "nadam", "--quiet"]
    readable, fast = str(tmp_path / "readable"), str(tmp_path / "fast")
    assert main([*args, "--out", readable, "--layers", "readable"]) == 0
    assert main([*args, "--out", fast]) == 0  # the default
    slow_exp, fast_exp = read_results(readable)["experiments"]["mnist"], read_results(fast)["experiments"]["mnist"]
    assert slow_exp["config"]["layers"] == "readable" and fast_exp["config"]["layers"] == "fast"
    for rule in ("adam", "nadam"):
        (a,), (b,) = slow_exp["rules"][rule]["runs"], fast_exp["rules"][rule]["runs"]
        assert a["status"] == b["status"] == "finished"
        for ea, eb in zip(a["epochs"], b["epochs"], strict=True):
            for split in ("valid", "test"):  # float32: the two layer sets sum in different orders
                assert ea[split]["loss"] == pytest.approx(eb[split]["loss"], rel=1e-4)
    capsys.readouterr()
    assert main([*args, "--out", readable]) == 2  # now asking for the fast layers
    assert "layers" in capsys.readouterr().err


def test_the_layers_choice_reaches_the_model_and_is_checked(tmp_path):
    cfg = configs.get("mnist", "smoke")
    data = tasks.EXPERIMENTS["mnist"].load_data(cfg)
    assert isinstance(tasks.EXPERIMENTS["mnist"].make_task(data, {**cfg, "layers": "fast"}, 0).model.layers,
                      FastLayers)
    assert not isinstance(tasks.EXPERIMENTS["mnist"].make_task(data, {**cfg, "layers": "readable"}, 0).model.layers,
                          FastLayers)
    with pytest.raises(ValueError, match="layers='quick'"):
        reproduce.reproduce(["mnist"], "smoke", rules=["adam"], out=str(tmp_path), layers="quick", progress=False)
    assert main(["reproduce", "--experiment", "mnist", "--scale", "smoke", "--layers", "quick"]) == 2
