"""--jobs and a Dask cluster give the results of one process; checkpoints resume across them; ablation settings,
the tuning seed and the quarter-decade refinement reach the runs."""

from __future__ import annotations

import functools
import json
import os

import pytest

from nadam_ref import schedules
from nadam_ref.experiments import checkpoint, configs, parallel, reproduce

from .test_runner import QUIET, read_results, without_wall_times

RULES = ["gd", "adam", "nadam"]


def test_jobs_give_the_results_of_one_process(linreg, tmp_path):
    one, two = str(tmp_path / "one"), str(tmp_path / "two")
    reproduce.reproduce(["linreg"], "smoke", rules=RULES, seeds=3, out=one, **QUIET)
    reproduce.reproduce(["linreg"], "smoke", rules=RULES, seeds=3, out=two, jobs=2, **QUIET)
    assert without_wall_times(read_results(two)) == without_wall_times(read_results(one))


def test_a_run_interrupted_in_one_process_resumes_in_two(linreg, tmp_path):
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    reproduce.reproduce(["linreg"], "smoke", rules=RULES, seeds=2, out=straight, **QUIET)

    def stop(epoch, calls=[]):  # noqa: B006 - counts calls across epochs
        calls.append(epoch)
        if len(calls) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reproduce.reproduce(["linreg"], "smoke", rules=RULES, seeds=2, out=resumed, after_epoch=stop, **QUIET)
    reproduce.reproduce(["linreg"], "smoke", rules=RULES, seeds=2, out=resumed, jobs=2, **QUIET)
    assert without_wall_times(read_results(resumed)) == without_wall_times(read_results(straight))


def test_a_dask_local_cluster_gives_the_same_results_and_resumes(linreg, tmp_path):
    distributed = pytest.importorskip("distributed", reason="the optional 'dask' extra is not installed")
    one, dask = str(tmp_path / "one"), str(tmp_path / "dask")
    reproduce.reproduce(["linreg"], "smoke", rules=RULES, seeds=2, out=one, **QUIET)
    # threads, not processes: the test-only experiment is registered in this process only
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        reproduce.reproduce(["linreg"], "smoke", rules=RULES[:1], seeds=2, out=dask,
                            scheduler=cluster.scheduler_address, **QUIET)  # a part first: then resume
        reproduce.reproduce(["linreg"], "smoke", rules=RULES, seeds=2, out=dask,
                            scheduler=cluster.scheduler_address, **QUIET)
    assert without_wall_times(read_results(dask)) == without_wall_times(read_results(one))


def test_bad_jobs_and_in_process_hooks_are_refused(linreg, tmp_path):
    with pytest.raises(ValueError, match="jobs=0"):
        reproduce.reproduce(["linreg"], "smoke", rules=RULES, out=str(tmp_path), jobs=0, **QUIET)
    with pytest.raises(ValueError, match="after_epoch runs in this process only"):
        reproduce.reproduce(["linreg"], "smoke", rules=RULES, out=str(tmp_path), jobs=2,
                            after_epoch=lambda e: None, **QUIET)


def test_settings_reach_the_optimizer_and_the_checkpoint_identity(linreg, tmp_path):
    plain, ablated = str(tmp_path / "plain"), str(tmp_path / "ablated")
    base = reproduce.reproduce(["linreg"], "smoke", rules=["nadam"], out=plain, **QUIET)
    eps = reproduce.reproduce(["linreg"], "smoke", rules=["nadam"], out=ablated,
                              settings={"eps": 1.0, "schedule_timescale": 5}, **QUIET)
    assert eps["settings"] == {"eps": 1.0, "schedule_timescale": 5}
    last = [r["experiments"]["linreg"]["rules"]["nadam"]["runs"][0]["epochs"][-1]["test"]["loss"]
            for r in (base, eps)]
    assert last[0] != last[1]
    state = json.load(open(os.path.join(ablated, "checkpoints", "linreg", "nadam", "seed0", "state.json")))
    assert state["identity"]["hparams"]["eps"] == 1.0 and state["identity"]["hparams"]["schedule_timescale"] == 5
    # the same folder with other settings is another configuration
    with pytest.raises(checkpoint.CheckpointMismatchError):
        reproduce.reproduce(["linreg"], "smoke", rules=["nadam"], out=ablated, settings={"eps": 2.0}, **QUIET)


def test_schedule_timescale_is_the_warming_schedule_rescaled():
    hp = parallel.optimizer_hparams("nadam", {"schedule_timescale": 25})
    assert isinstance(hp["schedule"], functools.partial) and "schedule_timescale" not in hp
    assert hp["schedule"](25) == pytest.approx(schedules.warming(250))
    # each rule takes the paper's settings it reads; a setting given explicitly must be read
    assert parallel.optimizer_hparams("gd", {}) == {}
    assert parallel.optimizer_hparams("rmsprop", {})["bias_correction"] is True
    with pytest.raises(ValueError, match="'gd' does not read the setting.*eps"):
        parallel.optimizer_hparams("gd", {"eps": 1e-4})
    with pytest.raises(ValueError, match="'rmsprop' does not read the setting.*schedule_timescale"):
        parallel.optimizer_hparams("rmsprop", {"schedule_timescale": 25})


@pytest.mark.parametrize("settings, message", [
    ({"lr": 1.0}, "unknown setting"), ({"schedule_timescale": 0}, "schedule_timescale=0"),
    ({"schedule_timescale": 5, "schedule": "constant"}, "cannot go with")])
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        configs.check_settings(settings)


def test_tuning_uses_its_own_seed_and_refines_by_quarter_decades(linreg, tmp_path, monkeypatch):
    monkeypatch.setitem(configs._CONFIGS["linreg"]["smoke"], "tune", {"epochs": 1, "factors": [0.1, 1.0],
                                                                     "refine": True})
    out = str(tmp_path)
    results = reproduce.reproduce(["linreg"], "smoke", rules=["adam"], out=out, tune=True, **QUIET)
    document = json.load(open(os.path.join(out, "tuning.json"), encoding="utf-8"))
    search = document["search"]["linreg"]
    assert search["seed"] == configs.TUNE_SEED
    assert document["produced_by"]["tune_seed"] == configs.TUNE_SEED and "git_commit" in document["produced_by"]
    lrs = [c["lr"] for c in search["rules"]["adam"]["candidates"]]
    chosen = results["experiments"]["linreg"]["rules"]["adam"]["lr"]
    assert chosen in lrs and chosen == min(search["rules"]["adam"]["candidates"], key=lambda c: c["valid"])["lr"]
    coarse = [lr for lr in lrs if any(lr == pytest.approx(linreg["adam"] * 10 ** (k / 2)) for k in range(-6, 7))]
    fine = sorted(set(lrs) - set(coarse))
    assert len(fine) == 2  # the two quarter-decade neighbours of the coarse winner
    seeds = {json.load(open(os.path.join(root, "state.json")))["identity"]["seed"]
             for root, _, files in os.walk(os.path.join(out, "tuning")) if "state.json" in files}
    assert seeds == {configs.TUNE_SEED}
    assert os.path.getsize(os.path.join(out, "sensitivity-linreg.png")) > 0


def test_tune_refine_searches_around_the_given_learning_rates(linreg, tmp_path):
    lr_file = tmp_path / "lrs.json"
    lr_file.write_text(json.dumps({"chosen": {"linreg": {"adam": 0.01}}}))
    reproduce.reproduce(["linreg"], "smoke", rules=["adam"], out=str(tmp_path / "o"), tune="refine",
                        learning_rates=str(lr_file), **QUIET)
    search = json.load(open(tmp_path / "o" / "tuning.json"))["search"]["linreg"]["rules"]["adam"]
    lrs = [c["lr"] for c in search["candidates"]]
    assert {0.00562, 0.01, 0.0178} <= set(lrs)
    assert all(abs(round(4 * __import__("math").log10(lr / 0.01)) - 4 * __import__("math").log10(lr / 0.01))
               < 0.01 for lr in lrs)


def test_each_run_records_the_code_that_trained_it(linreg, tmp_path):
    results = reproduce.reproduce(["linreg"], "smoke", rules=["adam"], out=str(tmp_path), **QUIET)
    run = results["experiments"]["linreg"]["rules"]["adam"]["runs"][0]
    assert set(run["trained_by"]) == {"git_commit", "git_dirty", "threads"}
    assert run["trained_by"] == {k: results["versions"][k] for k in ("git_commit", "git_dirty", "threads")}
