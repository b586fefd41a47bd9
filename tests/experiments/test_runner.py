"""The runner and the reproduction pipeline, on the test-only least-squares experiment (see conftest.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy
import pytest

from nadam_ref import rules
from nadam_ref.experiments import checkpoint, configs, provenance, reproduce, runner
from nadam_ref.rules import PAPER_RULES

QUIET = {"progress": False, "log": lambda *_: None}


def without_wall_times(data):
    """``results.json`` minus the measured times, the one thing a resumed run may differ in."""
    if isinstance(data, dict):
        return {k: without_wall_times(v) for k, v in data.items() if k != "wall_s"}
    if isinstance(data, list):
        return [without_wall_times(v) for v in data]
    return data


def read_results(out):
    with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
        return json.load(f)


def test_full_reproduction_writes_all_outputs(linreg, tmp_path):
    out = str(tmp_path / "out")
    results = reproduce.reproduce(["linreg"], "smoke", out=out, **QUIET)
    for name in ("results.json", "table.md", "claims.md", "curves.png"):
        assert os.path.getsize(os.path.join(out, name)) > 0, name
    exp = read_results(out)["experiments"]["linreg"]
    assert list(exp["rules"]) == list(PAPER_RULES)
    for rule, info in exp["rules"].items():
        (run,) = info["runs"]
        assert run["status"] == "finished", rule
        assert [e["epoch"] for e in run["epochs"]] == [1, 2, 3]
        assert set(run["epochs"][0]) >= {"train", "valid", "test", "lr", "wall_s"}
        assert info["lr"] == linreg[rule]
        # the annealing schedule: η × 0.9^epoch
        assert [e["lr"] for e in run["epochs"]] == pytest.approx([linreg[rule] * 0.9**k for k in range(3)])
    # training makes progress on a well-posed least-squares problem
    adam = exp["rules"]["adam"]["runs"][0]["epochs"]
    assert adam[-1]["train"]["loss"] < adam[0]["train"]["loss"]
    assert results["backend"] == "numpy" and "numpy" in results["versions"]
    table = open(os.path.join(out, "table.md"), encoding="utf-8").read()
    for short in ("GD", "Mom", "NAG", "RMS", "Adam", "Nadam", "Maxa", "A-max", "N-max"):
        assert f"{short} " in table
    assert table.count("**") == 2  # the best of this run in bold; the paper has no linreg numbers to bold


@pytest.mark.parametrize("stop_after", [1, 4, 8])
def test_interrupted_run_resumes_to_identical_results(linreg, tmp_path, stop_after):
    straight = str(tmp_path / "straight")
    reproduce.reproduce(["linreg"], "smoke", rules=["gd", "nadam", "adamax"], out=straight, **QUIET)

    resumed = str(tmp_path / "resumed")
    calls = []

    def interrupt(epoch):
        calls.append(epoch)
        if len(calls) == stop_after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reproduce.reproduce(
            ["linreg"], "smoke", rules=["gd", "nadam", "adamax"], out=resumed, after_epoch=interrupt, **QUIET
        )
    reproduce.reproduce(["linreg"], "smoke", rules=["gd", "nadam", "adamax"], out=resumed, **QUIET)
    assert without_wall_times(read_results(resumed)) == without_wall_times(read_results(straight))


def test_an_interrupted_reproduction_leaves_results_of_every_finished_run(linreg, tmp_path):
    calls = []

    def interrupt(epoch):  # the smoke linreg runs have 3 epochs: the 4th call is the second run's first epoch
        calls.append(epoch)
        if len(calls) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reproduce.reproduce(["linreg"], "smoke", rules=["gd", "nadam"], out=str(tmp_path), after_epoch=interrupt,
                            **QUIET)
    rules = read_results(str(tmp_path))["experiments"]["linreg"]["rules"]
    assert [(r["seed"], r["status"]) for r in rules["gd"]["runs"]] == [(0, "finished")]
    assert rules["nadam"]["runs"] == [] and rules["gd"]["summary"]["finished"] == 1


def test_interrupted_mid_epoch_counts_nothing_twice(linreg, tmp_path, monkeypatch):
    """A crash inside an epoch (after some steps) loses only that epoch, which is redone from its start."""
    straight = str(tmp_path / "straight")
    reproduce.reproduce(["linreg"], "smoke", rules=["nadam"], out=straight, **QUIET)

    original = runner._train_epoch
    calls = []

    def crash_in_second_epoch(model, optimizer, batches, *args):
        calls.append(1)
        if len(calls) == 2:
            next(iter(batches))  # consume part of the epoch's batches and the RNG, then die
            optimizer.step(model.loss_and_grads(next(iter(batches)))[1])
            raise KeyboardInterrupt
        return original(model, optimizer, batches, *args)

    monkeypatch.setattr(runner, "_train_epoch", crash_in_second_epoch)
    resumed = str(tmp_path / "resumed")
    with pytest.raises(KeyboardInterrupt):
        reproduce.reproduce(["linreg"], "smoke", rules=["nadam"], out=resumed, **QUIET)
    monkeypatch.setattr(runner, "_train_epoch", original)
    reproduce.reproduce(["linreg"], "smoke", rules=["nadam"], out=resumed, **QUIET)
    assert without_wall_times(read_results(resumed)) == without_wall_times(read_results(straight))


def test_killed_process_resumes_to_identical_results(tmp_path):
    """SIGKILL a real process mid-run (no chance to clean up), run it again, compare with a straight run."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        import pytest
        from conftest import LINREG_CONFIG, LINREG_LRS, Linreg
        from nadam_ref.experiments import configs, reproduce, tasks
        configs._CONFIGS["linreg"] = {{s: dict(LINREG_CONFIG, epochs=6) for s in configs.SCALES}}
        tasks.EXPERIMENTS["linreg"] = Linreg
        configs.learning_rates = lambda name, rules: {{r: LINREG_LRS[r] for r in rules}}
        slow = sys.argv[2] == "slow"
        reproduce.reproduce(["linreg"], "smoke", rules=["momentum", "nadam"], out=sys.argv[1], progress=False,
                            log=lambda *_: None, after_epoch=(lambda e: time.sleep(0.15)) if slow else None)
    """)
    path = tmp_path / "run.py"
    path.write_text(script)
    straight, killed = str(tmp_path / "straight"), str(tmp_path / "killed")
    subprocess.run([sys.executable, str(path), straight, "fast"], check=True, timeout=120)

    proc = subprocess.Popen([sys.executable, str(path), killed, "slow"])
    state = os.path.join(killed, "checkpoints", "linreg", "momentum", "seed0", "state.json")
    deadline = time.time() + 60
    while not os.path.exists(state) and time.time() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # a little further into the run
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial = read_results(killed) if os.path.exists(os.path.join(killed, "results.json")) else None
    assert partial is None or len(partial["experiments"]["linreg"]["rules"]) < 2, "the kill came too late"

    subprocess.run([sys.executable, str(path), killed, "fast"], check=True, timeout=120)
    assert without_wall_times(read_results(killed)) == without_wall_times(read_results(straight))


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning", "ignore:invalid value:RuntimeWarning")
def test_diverged_rule_is_marked_and_others_go_on(linreg, tmp_path):
    linreg["gd"] = 1e30
    out = str(tmp_path / "out")
    results = reproduce.reproduce(["linreg"], "smoke", rules=["gd", "adam"], out=out, **QUIET)
    gd, adam = (results["experiments"]["linreg"]["rules"][r] for r in ("gd", "adam"))
    assert gd["runs"][0]["status"] == "diverged"
    assert gd["runs"][0]["diverged_at"]["epoch"] == 1
    assert gd["summary"]["diverged"] == 1 and gd["summary"]["test"]["mean"] is None
    assert adam["runs"][0]["status"] == "finished"
    assert "diverged" in open(os.path.join(out, "table.md"), encoding="utf-8").read()
    # resuming a diverged run does not train it again
    again = reproduce.reproduce(["linreg"], "smoke", rules=["gd", "adam"], out=out, **QUIET)
    assert again["experiments"]["linreg"]["rules"]["gd"]["runs"] == gd["runs"]


def test_checkpoint_of_another_config_is_refused(linreg, tmp_path):
    out = str(tmp_path / "out")
    reproduce.reproduce(["linreg"], "smoke", rules=["nadam"], out=out, **QUIET)
    linreg["nadam"] = 0.02
    with pytest.raises(checkpoint.CheckpointMismatchError, match=r"another configuration.*lr.*--fresh"):
        reproduce.reproduce(["linreg"], "smoke", rules=["nadam"], out=out, **QUIET)
    # --fresh discards it and runs the new configuration
    results = reproduce.reproduce(["linreg"], "smoke", rules=["nadam"], out=out, fresh=True, **QUIET)
    assert results["experiments"]["linreg"]["rules"]["nadam"]["lr"] == 0.02


def test_a_second_run_reuses_finished_runs_and_says_so(linreg, tmp_path, capsys):
    out = str(tmp_path / "out")
    epochs = []
    reproduce.reproduce(["linreg"], "smoke", rules=["gd", "nadam"], out=out, after_epoch=epochs.append, **QUIET)
    assert len(epochs) == 6 and "reused" not in capsys.readouterr().err
    reproduce.reproduce(["linreg"], "smoke", rules=["gd", "nadam"], out=out, after_epoch=epochs.append, **QUIET)
    err = capsys.readouterr().err
    assert len(epochs) == 6  # nothing trained
    for rule in ("gd", "nadam"):
        folder = os.path.join(out, "checkpoints", "linreg", rule, "seed0")
        assert f"linreg {rule} seed 0: reused, not trained again: finished in {folder}, trained at 20" in err


def test_a_changed_rule_source_trains_that_rule_again(linreg, tmp_path, capsys, monkeypatch):
    """A student edits nadam.py (here a copy of it) and runs again: Nadam trains anew, GD is reused."""
    copy = tmp_path / "nadam.py"
    copy.write_text(open(rules.get("nadam").__file__, encoding="utf-8").read())
    real = provenance.rule_source
    monkeypatch.setattr(provenance, "rule_source", lambda rule: str(copy) if rule == "nadam" else real(rule))
    out = str(tmp_path / "out")
    first = reproduce.reproduce(["linreg"], "smoke", rules=["gd", "nadam"], out=out, **QUIET)
    capsys.readouterr()
    copy.write_text(copy.read_text(encoding="utf-8") + "# a student's comment: any edit counts\n", encoding="utf-8")
    epochs = []
    again = reproduce.reproduce(["linreg"], "smoke", rules=["gd", "nadam"], out=out, after_epoch=epochs.append,
                                **QUIET)
    err = capsys.readouterr().err
    assert len(epochs) == 3  # Nadam's three epochs, GD's none
    assert "linreg nadam seed 0: training again from scratch" in err
    assert "written by other code: the source of rule 'nadam' changed since (code.rule: " in err
    assert "linreg gd seed 0: reused" in err and "linreg nadam seed 0: reused" not in err
    assert without_wall_times(again) == without_wall_times(first)  # the same code, apart from a comment


def test_a_changed_training_source_trains_every_rule_again(linreg, tmp_path, capsys, monkeypatch):
    out = str(tmp_path / "out")
    reproduce.reproduce(["linreg"], "smoke", rules=["gd", "nadam"], out=out, **QUIET)
    capsys.readouterr()
    monkeypatch.setattr(provenance, "TRAINING_SOURCES", provenance.TRAINING_SOURCES[:-1])  # as if one changed
    epochs = []
    reproduce.reproduce(["linreg"], "smoke", rules=["gd", "nadam"], out=out, after_epoch=epochs.append, **QUIET)
    err = capsys.readouterr().err
    assert len(epochs) == 6 and err.count("training again from scratch") == 2
    assert err.count("the code that trains it changed since (code.training: ") == 2


@pytest.mark.parametrize("damage", ["state_json", "npz_truncated", "npz_missing"])
def test_corrupt_checkpoint_restarts_that_rule_cleanly(linreg, tmp_path, damage):
    straight = str(tmp_path / "straight")
    reproduce.reproduce(["linreg"], "smoke", rules=["adam", "nadam"], out=straight, **QUIET)

    out = str(tmp_path / "out")
    calls = []

    def stop_after_two(epoch):
        calls.append(epoch)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reproduce.reproduce(
            ["linreg"], "smoke", rules=["adam", "nadam"], out=out, after_epoch=stop_after_two, **QUIET
        )
    folder = os.path.join(out, "checkpoints", "linreg", "adam", "seed0")
    npz = os.path.join(folder, "optimizer-epoch2.npz")
    if damage == "state_json":
        with open(os.path.join(folder, "state.json"), "w") as f:
            f.write('{"format": "nadam_ref.experiment_checkpoint/1", "epoch": ')
    elif damage == "npz_truncated":
        data = open(npz, "rb").read()
        with open(npz, "wb") as f:
            f.write(data[: len(data) // 2])
    else:
        os.unlink(npz)
    with pytest.warns(RuntimeWarning, match="starting adam seed 0 again from scratch"):
        reproduce.reproduce(["linreg"], "smoke", rules=["adam", "nadam"], out=out, **QUIET)
    assert without_wall_times(read_results(out)) == without_wall_times(read_results(straight))


def test_seeds_give_mean_and_std(linreg, tmp_path):
    out = str(tmp_path / "out")
    results = reproduce.reproduce(["linreg"], "smoke", rules=["adam", "gd"], seeds=3, out=out, **QUIET)
    info = results["experiments"]["linreg"]["rules"]["adam"]
    assert [r["seed"] for r in info["runs"]] == [0, 1, 2]
    finals = [r["epochs"][-1]["test"]["loss"] for r in info["runs"]]
    assert len(set(finals)) == 3  # the seeds differ
    assert info["summary"]["test"]["mean"] == pytest.approx(numpy.mean(finals))
    assert info["summary"]["test"]["std"] == pytest.approx(numpy.std(finals, ddof=1))
    assert " ± " in open(os.path.join(out, "table.md"), encoding="utf-8").read()


def test_tune_chooses_the_best_validation_lr(linreg, tmp_path):
    out = str(tmp_path / "out")
    results = reproduce.reproduce(["linreg"], "smoke", rules=["adam", "gd"], out=out, tune=True, **QUIET)
    document = json.load(open(os.path.join(out, "tuning.json"), encoding="utf-8"))
    assert document["chosen"]["linreg"] == {r: results["experiments"]["linreg"]["rules"][r]["lr"]
                                            for r in ("adam", "gd")}
    tuning = document["search"]["linreg"]
    for rule in ("adam", "gd"):
        candidates = tuning["rules"][rule]["candidates"]
        lrs = [c["lr"] for c in candidates]
        assert lrs == sorted(lrs) and len(lrs) <= 2 + configs.MAX_TUNE_EXTENSIONS
        assert {float(f"{linreg[rule] * 0.1:.3g}"), linreg[rule]} <= set(lrs)
        best = min(candidates, key=lambda c: c["valid"])
        assert results["experiments"]["linreg"]["rules"][rule]["lr"] == best["lr"]
        # the search walks outward while the best is on an edge, so it ends inside or at the step limit
        assert best["lr"] not in (lrs[0], lrs[-1]) or len(lrs) == 2 + configs.MAX_TUNE_EXTENSIONS


def test_tune_walks_past_an_edge(linreg, tmp_path):
    linreg_centre = configs.LR_CENTRES["linreg"]
    linreg_centre["adam"] = 1e-5  # far too small: the best is the largest η tried, so the search steps up
    reproduce.reproduce(["linreg"], "smoke", rules=["adam"], out=str(tmp_path), tune=True, **QUIET)
    document = json.load(open(tmp_path / "tuning.json", encoding="utf-8"))
    tuning = document["search"]["linreg"]["rules"]["adam"]
    assert [c["lr"] for c in tuning["candidates"]] == pytest.approx([1e-6, 1e-5, 1e-4, 1e-3])
    assert tuning["chosen"] == 1e-3
    assert document["at_edge"] == ["linreg/adam"]  # still the largest tried when the walk stopped


def test_a_wider_search_walks_on_past_the_default_limit(linreg, tmp_path):
    from nadam_ref.experiments import tuning

    configs.LR_CENTRES["linreg"]["adam"] = 1e-5
    common = {"name": "linreg", "scale": "smoke", "cfg": configs.get("linreg", "smoke"), "out": str(tmp_path),
              "settings": {}}
    _, narrow = tuning.tune_learning_rates(common, ["adam"], None, False, lambda *_: None)
    _, wide = tuning.tune_learning_rates(common, ["adam"], None, False, lambda *_: None, max_extensions=4)
    steps = [len(d["rules"]["adam"]["candidates"]) for d in (narrow, wide)]
    assert steps == [2 + configs.MAX_TUNE_EXTENSIONS, 2 + 4] and wide["max_extensions"] == 4
    assert wide["rules"]["adam"]["chosen"] > narrow["rules"]["adam"]["chosen"]


def test_clip_by_global_norm():
    grads = {"a": numpy.array([3.0, 0.0]), "b": numpy.array([4.0])}
    clipped = runner.clip_by_global_norm(grads, 1.0)
    assert numpy.allclose(clipped["a"], [0.6, 0.0]) and numpy.allclose(clipped["b"], [0.8])
    assert runner.clip_by_global_norm(grads, 10.0) is grads
