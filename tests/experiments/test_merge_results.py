"""Merging one-process-per-run outputs (reproduce.merge_results, tools/merge_runs.py), and how a report names
rules that finished different numbers of runs."""

from __future__ import annotations

import copy
import json
import os

import pytest

from nadam_ref.experiments import report, reproduce
from tools import merge_runs


def _one(tmp_path, rule, seed):
    out = str(tmp_path / f"{rule}-{seed}")
    reproduce.reproduce(["linreg"], "smoke", rules=[rule], seeds=1, first_seed=seed, out=out, progress=False,
                        log=lambda *_: None)
    with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
        return out, json.load(f)


def test_merged_runs_are_every_run_with_each_summary_recomputed(linreg, tmp_path):
    parts = [_one(tmp_path, rule, seed) for rule, seed in (("adam", 5), ("adam", 6), ("nadam", 5))]
    merged = reproduce.merge_results([doc for _, doc in parts])
    rules = merged["experiments"]["linreg"]["rules"]
    assert [r["seed"] for r in rules["adam"]["runs"]] == [5, 6] and [r["seed"] for r in rules["nadam"]["runs"]] == [5]
    assert rules["adam"]["summary"]["seeds"] == 2
    assert merged["rules"] == ["adam", "nadam"] and (merged["first_seed"], merged["seeds"]) == (5, 2)
    assert merged["wall_s"] == pytest.approx(sum(d["wall_s"] for _, d in parts))
    assert "Seeds 5–6, mean over each rule's finished runs (1–2 a rule)" in report.table_markdown(merged)
    out = tmp_path / "merged"
    assert merge_runs.main([str(out)] + [folder for folder, _ in parts]) == 0
    assert sorted(os.listdir(out)) == ["claims.md", "curves.png", "results.json", "table.md"]


@pytest.mark.parametrize("spoil,message", [
    (lambda d: d.update(backend="cupy"), "backend"),
    (lambda d: d.update(settings={"eps": 1e-4}), "settings"),
    (lambda d: d["experiments"]["linreg"]["config"].update(epochs=9), "config"),
    (lambda d: d["experiments"]["linreg"]["rules"]["adam"].update(lr=0.5), "η"),
])
def test_documents_that_differ_in_more_than_rules_and_seeds_are_refused(linreg, tmp_path, spoil, message):
    _, a = _one(tmp_path, "adam", 5)
    _, b = _one(tmp_path, "adam", 6)
    spoil(b)
    with pytest.raises(ValueError, match=message):
        reproduce.merge_results([a, b])


def test_a_run_in_two_documents_and_nothing_to_merge_are_refused(linreg, tmp_path):
    _, a = _one(tmp_path, "adam", 5)
    with pytest.raises(ValueError, match=r"seed\(s\) \[5\] are in two"):
        reproduce.merge_results([a, copy.deepcopy(a)])
    with pytest.raises(ValueError, match="nothing to merge"):
        reproduce.merge_results([])
