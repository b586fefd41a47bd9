"""Tables and claims from hand-made results, where the right answers are known."""

from __future__ import annotations

import pytest

from nadam_ref.experiments import report
from nadam_ref.rules import PAPER_RULES


def fake_results(tests: dict[str, dict[str, list[float]]]) -> dict:
    """Results whose runs end with the given test metrics (one run per listed value)."""
    metric = {"word2vec": "analogy", "mnist": "loss", "lstm": "perplexity"}
    experiments = {}
    for name, per_rule in tests.items():
        rules = {}
        for rule, values in per_rule.items():
            runs = []
            for seed, v in enumerate(values):
                score = {metric[name]: v}
                last = {"epoch": 1, "train": {"loss": 1.0}, "valid": score, "test": score}
                runs.append({"rule": rule, "seed": seed, "status": "diverged" if v is None else "finished",
                             "epochs": [] if v is None else [last]})
            rules[rule] = {"lr": 0.1, "runs": runs, "summary": report.summarize(runs, metric[name])}
        experiments[name] = {"metric": {"name": metric[name], "label": metric[name]}, "rules": rules}
    return {"scale": "class", "seeds": 1, "backend": "numpy", "experiments": experiments}


def as_paper(name):
    return {rule: [value] for rule, value in report.paper_results()[name]["results"].items()}


def test_the_papers_own_numbers_support_every_claim():
    results = fake_results({name: as_paper(name) for name in ("word2vec", "mnist", "lstm")})
    verdicts = [c["verdict"] for c in report.claims(results)]
    assert verdicts == ["supported"] * 5


def test_claims_that_fail_are_reported_as_failing():
    w2v = as_paper("word2vec")
    w2v["adam"] = [0.2]  # Adam now beats Nadam, and classical momentum beats Nesterov in one pair
    lstm = as_paper("lstm")
    lstm["nadam"] = [120.0]
    results = fake_results({"word2vec": w2v, "mnist": as_paper("mnist"), "lstm": lstm})
    by_claim = {c["claim"]: c for c in report.claims(results)}
    verdicts = [c["verdict"] for c in by_claim.values()]
    assert verdicts == ["not supported", "partly supported (2 of 3 pairs)", "supported", "supported",
                        "not supported"]
    assert "Adam is best" in next(iter(by_claim.values()))["evidence"]


def test_missing_experiment_or_diverged_rule_is_not_tested():
    lstm = as_paper("lstm")
    lstm["momentum"] = [None]  # diverged
    results = fake_results({"lstm": lstm})
    verdicts = {c["claim"]: c["verdict"] for c in report.claims(results)}
    assert list(verdicts.values())[:3] == ["not tested"] * 3
    assert verdicts["Classical momentum gives the best LSTM language model"] == "not tested"


def test_seeds_margin_is_compared_with_the_spread():
    mnist = {rule: [0.05, 0.06] for rule in PAPER_RULES}
    mnist["rmsprop"] = [0.0449, 0.0451]  # best by 0.01, spread 0.007 of the others
    (claim,) = [c for c in report.claims(fake_results({"mnist": mnist})) if "MNIST" in c["claim"]]
    assert claim["verdict"] == "supported" and "is larger than the seed-to-seed std" in claim["evidence"]


def test_table_bolds_the_best_and_shows_the_paper():
    mnist = {rule: [0.05] for rule in PAPER_RULES} | {"adam": [0.01]}
    table = report.table_markdown(fake_results({"mnist": mnist}))
    assert "**Adam 0.01**" in table and "**RMS 0.0172**" in table
    assert table.count("**") == 4


@pytest.mark.parametrize("values, mean, std", [([1.0], 1.0, None), ([1.0, 3.0], 2.0, 2**0.5)])
def test_summarize(values, mean, std):
    runs = [{"status": "finished", "epochs": [{"train": {"loss": v}, "valid": {"m": v}, "test": {"m": v}}]}
            for v in values]
    summary = report.summarize(runs, "m")
    assert summary["test"]["mean"] == mean
    assert summary["test"]["std"] == (pytest.approx(std) if std else None)


def test_table_flags_a_growing_training_loss():
    results = fake_results({"mnist": {rule: [0.05] for rule in PAPER_RULES}})
    run = results["experiments"]["mnist"]["rules"]["gd"]["runs"][0]
    run["epochs"] = [dict(run["epochs"][0], epoch=1), dict(run["epochs"][0], epoch=2, train={"loss": 50.0})]
    table = report.table_markdown(results)
    assert "grew more than tenfold" in table and "GD (seed 0: 1 → 50)" in table
