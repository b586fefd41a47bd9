"""The benchmark harness: its arithmetic, its files, its errors, and that torch runs the same rule as ours.

Nothing here times anything against a threshold: speed is measured by ``nadam-ref bench``, not asserted.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import nadam_ref
from nadam_ref import cli
from nadam_ref.bench import report, runner, workloads


def test_traffic_is_read_theta_g_state_write_theta_state():
    assert workloads.traffic_bytes("nadam", 10) == 7 * 4 * 10  # the issue's 7 × 4 bytes per parameter
    assert workloads.traffic_bytes("adam", 10) == 28 * 10
    assert workloads.traffic_bytes("momentum", 10) == 5 * 4 * 10
    assert workloads.traffic_bytes("gd", 10, itemsize=8) == 3 * 8 * 10


def test_summary_bound_and_ratios_follow_from_the_medians():
    size = 1_000_000
    times = {"stream add": [0.002, 0.001, 0.003], "torch stream add": [0.004] * 3,
             "fused kernel": [0.010, 0.012, 0.011], "torch foreach": [0.020] * 3, "nadam_ref fused": [0.013] * 3}
    s = runner.summarise("nadam", size, times, {})
    assert s["median_ms"]["stream add"] == pytest.approx(2.0)
    assert s["bandwidth_gbs"]["stream add"] == pytest.approx(12 * size / 1e-3 / 1e9)  # its best round, as STREAM
    assert s["bandwidth_gbs"]["torch stream add"] == pytest.approx(12 * size / 4e-3 / 1e9)
    assert s["bound_ms"] == pytest.approx(28 * size / 12e9 * 1e3)  # the faster of the two probes
    assert s["ratios"]["fused kernel / torch foreach"] == pytest.approx(11 / 20)
    assert s["ratios"]["fused kernel / bound"] == pytest.approx(11 / s["bound_ms"])
    assert "torch fused" not in " ".join(s["ratios"])
    assert s["ratios_of_best_rounds"]["fused kernel / torch foreach"] == pytest.approx(10 / 20)


def test_child_env_drops_the_openblas_overrides_together(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    env, changed = runner.child_env(2)
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env
    assert changed["removed"] == {"OPENBLAS_CORETYPE": "Haswell"}
    assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "2"


def test_bench_command_writes_json_and_markdown(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    code = cli.main(["bench", "--sizes", "3000", "--rules", "adam,nag_lookahead", "--threads", "1",
                     "--repeats", "2", "--models", "none", "--out", str(tmp_path), "--json"])
    assert code == 0
    printed = capsys.readouterr().out
    result = json.loads((tmp_path / "update_step_cpu.json").read_text())
    assert json.loads(printed[: printed.rindex("\nwrote")]) == result
    (run,) = result["runs"]
    assert run["threads"] == 1 and run["environment_changes"]["removed"] == {"OPENBLAS_CORETYPE": "Haswell"}
    by_rule = {r["rule"]: r for r in run["results"]}
    assert set(by_rule) == {"adam", "nag_lookahead"}
    adam = by_rule["adam"]
    assert {"nadam_ref reference", "nadam_ref fused", "fused kernel", "stream add"} <= set(adam["median_ms"])
    assert adam["repeats"] == 2 and adam["bound_ms"] > 0
    assert set(adam["memory"]) >= {"nadam_ref reference", "nadam_ref fused"}
    markdown = (tmp_path / "update_step_cpu.md").read_text()
    assert "| 3e+03 | adam |" in markdown and "| 3e+03 | nag_lookahead |" in markdown
    assert markdown.strip() == report.markdown(result).strip()


@pytest.mark.parametrize("argv, message", [
    (["--rules", "adam,lion"], "unknown ['lion']"),
    (["--sizes", "1e5,-3"], "--sizes"),
    (["--threads", "two"], "--threads"),
    (["--repeats", "0"], "--repeats 0"),
    (["--models", "cnn,resnet"], "expected some of cnn, lstm_lm, word2vec"),
])
def test_bench_command_rejects_bad_arguments(tmp_path, capsys, argv, message):
    assert cli.main(["bench", "--out", str(tmp_path), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_gpu_bench_without_a_gpu_says_so(tmp_path, capsys):
    if nadam_ref.backend.gpu_available():
        pytest.skip("a GPU is present")
    assert cli.main(["bench", "--device", "gpu", "--out", str(tmp_path)]) == 2
    assert "no CUDA device" in capsys.readouterr().err


# Our options under which torch's optimizer computes the same update (shared/reference/other-implementations.md).
SAME_AS_TORCH = {
    "gd": {}, "momentum": {"schedule": "constant"}, "nag": {"schedule": "constant"},
    "rmsprop": {"eps_placement": "outside"}, "adam": {"schedule": "constant", "eps_placement": "outside"},
    "nadam": {"eps_placement": "outside"}, "adamax": {"schedule": "constant"}, "adagrad": {"eps_placement": "outside"},
}


@pytest.mark.parametrize("rule", sorted(workloads.TORCH_RULES))
def test_torch_workload_runs_the_same_rule(rule):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    theta0 = rng.standard_normal(500).astype("float32")
    grads = [rng.standard_normal(500).astype("float32") for _ in range(4)]
    paper = nadam_ref.rules.select_hparams(rule, {"mu": workloads.MU, "nu": workloads.NU, "eps": workloads.EPS})
    ours = nadam_ref.Optimizer(rule, {"w": theta0.copy()}, lr=1e-3, **paper, **SAME_AS_TORCH[rule])
    theirs, g_buffer = theta0.copy(), np.zeros_like(theta0)
    work = workloads.torch_optimizer(torch, rule, "foreach", theirs, g_buffer)  # shares theirs and g_buffer
    assert work is not None
    work.step.__self__.state.clear()  # forget the probe step torch_optimizer takes, and its effect
    theirs[:] = theta0
    for g in grads:
        g_buffer[:] = g
        work.step()
        ours.step({"w": g})
    np.testing.assert_allclose(theirs, ours.params["w"], rtol=2e-5, atol=1e-6)



def test_torch_word2vec_twin_gives_our_loss_and_gradients():
    torch = pytest.importorskip("torch")
    from nadam_ref import models
    from nadam_ref.bench import model_steps

    model = models.build("word2vec", "tiny", seed=3)  # float64
    batch = model.example_batch(np.random.default_rng(4))
    loss, grads = model.loss_and_grads(batch)
    twin = model_steps.torch_word2vec(torch)(model)
    theirs = twin(*model_steps.word2vec_inputs(torch, batch))
    theirs.backward()
    assert theirs.item() == pytest.approx(loss, rel=1e-12)
    for name in ("embedding", "nce_W", "nce_b"):
        np.testing.assert_allclose(getattr(twin, name).grad.numpy(), grads[name], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, expected", [("cnn", {"nadam_ref", "nadam_ref fast", "torch"}),
                                            ("lstm_lm", {"nadam_ref", "torch"}), ("word2vec", {"nadam_ref", "torch"})])
def test_model_steps_run_ours_and_torchs(name, expected):
    torch = pytest.importorskip("torch")
    from nadam_ref.bench import model_steps

    work = model_steps.steps(torch, name, size="tiny")
    assert set(work) == expected
    for step in work.values():
        step()


def test_targets_table_takes_the_issues_ratios_from_the_medians():
    def group(rule, fused_ms, foreach_ms, torch_fused_ms=None):
        median = {"nadam_ref fused": fused_ms, "torch foreach": foreach_ms}
        if torch_fused_ms is not None:
            median["torch fused"] = torch_fused_ms
        return {"rule": rule, "size": 10**7, "bound_ms": 10.0, "median_ms": median,
                "min_ms": {k: v / 2 for k, v in median.items()}}

    cnn = {"model": "cnn", "median_ms": {"nadam_ref fast": 90.0, "torch": 100.0},
           "min_ms": {"nadam_ref fast": 80.0, "torch": 100.0}}
    result = {"runs": [{"threads": 1, "results": [group("adam", 12.0, 60.0, 11.0), group("nadam", 14.0, 50.0)],
                        "models": [cnn]},
                       {"threads": 2, "results": [group("adam", 8.0, 30.0, 10.0), group("nadam", 12.0, 40.0)],
                        "models": []}]}
    rows = {(r["target"], r["threads"], r["subject"]): r for r in report.targets(result)}
    assert rows[("Optimizer / bound", 1, "nadam")]["median_ratio"] == pytest.approx(1.4)
    assert not rows[("Optimizer / bound", 1, "nadam")]["met"] and rows[("Optimizer / bound", 1, "adam")]["met"]
    assert rows[("Optimizer / bound", 1, "adam")]["best_ratio"] == pytest.approx(0.6)
    assert rows[("Optimizer / same rule's torch foreach", 1, "adam")]["median_ratio"] == pytest.approx(0.2)
    assert rows[("Optimizer / torch Adam fused", 2, "nadam")]["median_ratio"] == pytest.approx(1.2)
    assert rows[("CNN fast layers / torch", 1, "cnn")]["median_ratio"] == pytest.approx(0.9)
    assert ("Optimizer / torch Adam fused", 1, "adam") not in rows  # a 2-thread target only
    lines = report.targets_markdown({**result, "machine": {"commit": "abc"}})
    assert "| Optimizer / bound | 1 | nadam | 1.40 | 0.70 | ≤ 1.3 | no |" in lines
    assert any("commit abc" in line for line in lines)


def test_on_a_gpu_the_target_is_the_fused_kernel_against_the_bandwidth_bound():
    def group(rule, kernel_ms):
        median = {"nadam_ref fused": 3 * kernel_ms, "fused kernel": kernel_ms, "torch foreach": 2.0}
        return {"rule": rule, "size": 10**8, "bound_ms": 0.7, "median_ms": median,
                "min_ms": {k: v * 0.9 for k, v in median.items()}}

    result = {"runs": [{"threads": 1, "device": "gpu", "results": [group("adam", 0.84), group("nadam", 1.4)],
                        "models": []}], "machine": {"commit": "abc"}}
    rows = {r["subject"]: r for r in report.targets(result)}
    assert set(rows) == {"adam", "nadam"} and {r["target"] for r in rows.values()} == {"fused kernel / bound (GPU)"}
    assert rows["adam"]["median_ratio"] == pytest.approx(1.2) and rows["adam"]["met"]
    assert rows["nadam"]["median_ratio"] == pytest.approx(2.0) and not rows["nadam"]["met"]
    assert "| fused kernel / bound (GPU) | 1 | adam | 1.20 | 1.08 | ≤ 1.43 | yes |" in report.targets_markdown(result)


def test_a_result_that_measures_no_target_says_nothing_compared():
    only_gd = {"rule": "gd", "size": 10, "bound_ms": 1.0, "median_ms": {"nadam_ref fused": 1.0},
               "min_ms": {"nadam_ref fused": 1.0}}
    result = {"runs": [{"threads": 1, "results": [only_gd], "models": []}], "machine": {"commit": "abc"}}
    assert report.targets(result) == []
    text = "\n".join(report.targets_markdown(result))
    assert "Nothing compared" in text and "| target |" not in text
