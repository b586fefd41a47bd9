"""The real experiments at smoke scale, through the command line, as CI runs them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from nadam_ref.cli import main
from nadam_ref.experiments import configs, report
from nadam_ref.rules import PAPER_RULES

from .test_runner import read_results, without_wall_times


def test_all_experiments_at_smoke_scale(tmp_path, capsys):
    out = str(tmp_path / "smoke")
    assert main(["reproduce", "--experiment", "all", "--scale", "smoke", "--out", out, "--quiet"]) == 0
    results = read_results(out)
    assert list(results["experiments"]) == list(configs.EXPERIMENT_NAMES)
    for name, exp in results["experiments"].items():
        assert list(exp["rules"]) == list(PAPER_RULES)
        assert exp["learning_rates"] == configs.learning_rates(name)
        for rule, info in exp["rules"].items():
            (run,) = info["runs"]
            assert run["status"] in ("finished", "diverged"), (name, rule)
            if run["status"] == "finished":
                metric = exp["metric"]["name"]
                assert [e["epoch"] for e in run["epochs"]] == [1, 2]
                assert all(0 <= e[s][metric] < 1e4 for e in run["epochs"] for s in ("valid", "test"))
    table = open(os.path.join(out, "table.md"), encoding="utf-8").read()
    for title in report.TITLES.values():
        assert title in table
    for number in ("0.284", "0.0172", "99.3"):  # the paper's best of each figure, in bold
        assert f"**Nadam {number}**" in table or f"**RMS {number}**" in table or f"**Mom {number}**" in table
    claims = open(os.path.join(out, "claims.md"), encoding="utf-8").read()
    assert claims.count("\n- **") == 17 and claims.count("- **not tested**") == 2  # ε and tuning effort
    assert "- **supported**" not in claims and "- **not supported**" not in claims  # one seed: no verdict
    assert os.path.getsize(os.path.join(out, "curves.png")) > 10_000
    assert "wrote" in capsys.readouterr().out


def test_killed_cli_run_resumes_to_identical_results(tmp_path):
    command = [
        sys.executable,
        "-m",
        "nadam_ref",
        "reproduce",
        "--experiment",
        "mnist",
        "--scale",
        "smoke",
        "--rules",
        "gd",
        "adam",
        "nadam",
        "--quiet",
        "--out",
    ]
    straight, killed = str(tmp_path / "straight"), str(tmp_path / "killed")
    subprocess.run(command + [straight], check=True, timeout=300, capture_output=True)

    proc = subprocess.Popen(command + [killed], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = os.path.join(killed, "checkpoints", "mnist", "gd", "seed0", "state.json")
    deadline = time.time() + 120
    while not os.path.exists(first) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    with open(first, encoding="utf-8") as f:
        assert json.load(f)["epoch"] >= 1

    subprocess.run(command + [killed], check=True, timeout=300, capture_output=True)
    assert without_wall_times(read_results(killed)) == without_wall_times(read_results(straight))


def test_fused_optimizer_gives_the_reference_results_and_its_own_checkpoints(tmp_path, capsys):
    """``--impl fused`` trains to the same numbers (float32, within its documented tolerance), and a checkpoint of
    one implementation is refused by the other, naming the difference."""
    args = ["reproduce", "--experiment", "mnist", "--scale", "smoke", "--rules", "adam", "nadam", "--quiet"]
    reference, fused = str(tmp_path / "reference"), str(tmp_path / "fused")
    assert main([*args, "--out", reference]) == 0
    assert main([*args, "--out", fused, "--impl", "fused"]) == 0
    ref_exp, fused_exp = read_results(reference)["experiments"]["mnist"], read_results(fused)["experiments"]["mnist"]
    assert ref_exp["config"]["impl"] == "reference" and fused_exp["config"]["impl"] == "fused"
    for rule in ("adam", "nadam"):
        (a,), (b,) = ref_exp["rules"][rule]["runs"], fused_exp["rules"][rule]["runs"]
        for ea, eb in zip(a["epochs"], b["epochs"], strict=True):
            assert abs(ea["test"]["loss"] - eb["test"]["loss"]) <= 1e-3 * abs(ea["test"]["loss"])
    capsys.readouterr()
    assert main([*args, "--out", reference, "--impl", "fused"]) == 2
    assert "impl" in capsys.readouterr().err
