"""The committed golden vectors: regenerated and compared, readable back, and checkable by a plain loop."""

import json
import math

import pytest

from nadam_ref import rules
from nadam_ref.cli import main
from nadam_ref.crosscheck import vectors


@pytest.fixture(scope="module")
def committed():
    return vectors.load(vectors.COMMITTED)


def test_regenerating_gives_the_committed_file(committed):
    assert vectors.differences(committed, vectors.build()) == []


def test_the_file_is_modest_and_covers_every_rule_problem_and_variant(committed):
    assert vectors.COMMITTED.stat().st_size < 2_000_000
    cases = committed["cases"]
    assert {c["rule"] for c in cases} == set(rules.RULES)
    assert {c["problem"] for c in cases} == {"quadratic", "rosenbrock"}
    nadam = {(c["hparams"]["schedule"], c["hparams"]["eps_placement"]) for c in cases if c["rule"] == "nadam"}
    assert nadam == {(s, e) for s in ("paper", "constant", "keras") for e in ("inside", "outside", "hat")}
    assert {c["hparams"]["eps_placement"] for c in cases if c["rule"] == "adamax"} == {"inside", "max"}
    assert all(len(c["steps"]) == vectors.STEPS for c in cases)


def test_a_plain_reimplementation_reproduces_the_nadam_vectors(committed):
    """What another language would do: recompute each step from the file's numbers alone."""
    checked = 0
    for case in committed["cases"]:
        hp = case["hparams"]
        if case["rule"] != "nadam" or hp["schedule"] != "paper" or hp["eps_placement"] != "inside":
            continue
        theta, m, n, prod = list(case["theta0"]), [0.0] * len(case["theta0"]), [0.0] * len(case["theta0"]), 1.0
        for step in case["steps"]:
            t, g = step["t"], step["g"]
            mu_t = hp["mu"] * (1 - 0.5 * 0.96 ** (t / 250))
            mu_next = hp["mu"] * (1 - 0.5 * 0.96 ** ((t + 1) / 250))
            prod *= mu_t
            for i in range(len(theta)):
                m[i] = hp["mu"] * m[i] + (1 - hp["mu"]) * g[i]
                n[i] = hp["nu"] * n[i] + (1 - hp["nu"]) * g[i] ** 2
                m_bar = (1 - mu_t) * g[i] / (1 - prod) + mu_next * m[i] / (1 - prod * mu_next)
                theta[i] -= hp["lr"] * m_bar / math.sqrt(n[i] / (1 - hp["nu"] ** t) + hp["eps"])
            assert theta == pytest.approx(step["theta"], rel=1e-13, abs=1e-300)
            checked += 1
    assert checked == 2 * vectors.STEPS


def test_differences_are_found_and_named(committed):
    changed = json.loads(json.dumps(committed))
    changed["cases"][3]["steps"][2]["theta"][0] *= 1 + 1e-9
    found = vectors.differences(committed, changed)
    assert found == [f"/cases/3/steps/2/theta/0: {committed['cases'][3]['steps'][2]['theta'][0]!r} != "
                     f"{changed['cases'][3]['steps'][2]['theta'][0]!r}"]
    del changed["cases"][0]["steps"][0]["g"]
    assert any("keys" in d for d in vectors.differences(committed, changed))


def test_the_cli_writes_and_checks_vectors(tmp_path, capsys):
    out = tmp_path / "v.json"
    assert main(["vectors", "--out", str(out), "--steps", "3"]) == 0
    assert "78 cases × 3 steps" in capsys.readouterr().out
    assert main(["vectors", "--check", str(out), "--steps", "3"]) == 0
    assert main(["vectors", "--check", str(vectors.COMMITTED)]) == 0
    assert main(["vectors", "--check", str(out)]) == 1  # 3 steps stored, 8 built
    assert main(["vectors"]) == 2
    assert main(["vectors", "--out", str(tmp_path / "missing" / "v.json")]) == 2
    assert not (tmp_path / "missing").exists()
