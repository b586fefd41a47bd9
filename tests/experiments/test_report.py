"""Tables from hand-made results, where the right answers are known (claims: test_claims.py)."""

from __future__ import annotations

import json
import math

import pytest

from nadam_ref.experiments import report
from nadam_ref.rules import PAPER_RULES


def fake_results(tests: dict[str, dict[str, list[float]]], extra=None) -> dict:
    """Results whose runs end with the given test (and validation) metrics, one run per listed value, seeds 0, 1,
    …; ``extra(name, rule, seed)`` adds entries to that run's metrics."""
    metric = {"word2vec": "analogy", "mnist": "loss", "lstm": "perplexity"}
    experiments = {}
    for name, per_rule in tests.items():
        rules = {}
        for rule, values in per_rule.items():
            runs = []
            for seed, v in enumerate(values):
                score = {metric[name]: v, **(extra(name, rule, seed) if extra else {})}
                last = {"epoch": 1, "train": {"loss": 1.0}, "valid": score, "test": score}
                runs.append({"rule": rule, "seed": seed, "status": "diverged" if v is None else "finished",
                             "epochs": [] if v is None else [last]})
            rules[rule] = {"lr": 0.1, "runs": runs, "summary": report.summarize(runs, metric[name])}
        experiments[name] = {"metric": {"name": metric[name], "label": metric[name]}, "rules": rules}
    seeds = max((len(v) for per_rule in tests.values() for v in per_rule.values()), default=1)
    return {"scale": "class", "seeds": seeds, "backend": "numpy", "experiments": experiments}


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


def test_headings_name_the_data_and_never_call_other_data_mnist():
    results = fake_results({"mnist": {rule: [0.05] for rule in PAPER_RULES}})
    results["experiments"]["mnist"]["dataset"] = {"name": "Fashion-MNIST (not MNIST)", "source": "Debian",
                                                  "path": "/fm", "sha256": "ab"}
    table = report.table_markdown(results)
    assert "## CNN (Figure 2) on Fashion-MNIST (not MNIST) — loss" in table
    assert "MNIST CNN" not in table
    assert report.title("lstm", "Tiny Shakespeare (shipped)") == "LSTM language model (Figure 3) on Tiny Shakespeare"
    assert report.title("mnist") == "CNN (Figure 2)"


def test_one_column_curves_keep_their_title_inside_the_figure(tmp_path, monkeypatch):
    import matplotlib.figure

    seen = {}
    real = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        renderer = fig.canvas.get_renderer()
        boxes = [fig._suptitle.get_window_extent(renderer)] + [ax.title.get_window_extent(renderer) for ax in fig.axes]
        seen["title"] = fig._suptitle.get_text()
        seen["inside"] = all(b.x0 >= 0 and b.x1 <= fig.bbox.width for b in boxes)
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    results = fake_results({"lstm": {"adam": [100.0, 101.0], "nadam": [98.0, 99.0]}})
    results["experiments"]["lstm"]["dataset"] = {"name": "King James Bible (not Penn Treebank)"}
    report.plot_curves(results, str(tmp_path / "curves.png"))
    assert seen["inside"], seen["title"]
    assert seen["title"] == "Dozat (2016) reproduced at scale 'class', 2 seeds (mean over seeds)"


def test_curves_give_nine_rules_nine_styles_y_labels_and_say_the_test_split_is_held_out(tmp_path, monkeypatch):
    import matplotlib.figure

    seen = {}
    real = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        seen["axes"] = [(ax.get_title(), ax.get_ylabel(), [(line.get_color(), line.get_linestyle(), line.get_marker())
                                                           for line in ax.get_lines()]) for ax in fig.axes]
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    results = fake_results({"mnist": {rule: [0.1 + 0.01 * i] for i, rule in enumerate(PAPER_RULES)}})
    data = "MNIST test set (10,000 images, shipped; split 8000/1000/1000)"
    results["experiments"]["mnist"]["dataset"] = {"name": data}
    results["experiments"]["mnist"]["metric"]["label"] = "test loss (cross-entropy)"
    report.plot_curves(results, str(tmp_path / "curves.png"))
    (top_title, top_y, top_lines), (bottom_title, bottom_y, bottom_lines) = seen["axes"]
    assert len(set(top_lines)) == 9 and len({c for c, _, _ in top_lines}) == 9 and top_lines == bottom_lines
    assert top_y == "training loss" and bottom_y == "test loss (cross-entropy)"
    assert "split 8000/1000/1000" in top_title and "held-out test split" in bottom_title


def test_sensitivity_redraws_from_a_saved_tuning_file_with_a_diverged_eta(tmp_path):
    from nadam_ref._io import atomic_write_json

    details = {"epochs": 1, "seed": 1000, "metric": "valid loss",
               "rules": {"adam": {"candidates": [{"lr": 0.001, "valid": 0.3}, {"lr": 0.01, "valid": 0.2},
                                                 {"lr": 0.1, "valid": math.inf}]}}}
    atomic_write_json(tmp_path / "tuning.json", details)
    saved = json.loads((tmp_path / "tuning.json").read_text(encoding="utf-8"))
    assert saved["rules"]["adam"]["candidates"][2]["valid"] == "Infinity"
    report.plot_sensitivity(saved, "mnist", str(tmp_path / "s.png"), "Fashion-MNIST (not MNIST)")
    assert (tmp_path / "s.png").stat().st_size > 5_000


def test_word2vec_meaning_table_ends_before_the_next_paragraph():
    def extra(name, rule, seed):
        return {"analogy_shuffled": 0.5, "top1": 0.0, "coverage": 0.03, "questions_used": 281}

    results = fake_results({"word2vec": {rule: [0.3] for rule in PAPER_RULES}}, extra)
    run = results["experiments"]["word2vec"]["rules"]["gd"]["runs"][0]
    run["epochs"] = [dict(run["epochs"][0], epoch=1), dict(run["epochs"][0], epoch=2, train={"loss": 50.0})]
    lines = report.table_markdown(results).splitlines()
    grew = next(i for i, line in enumerate(lines) if line.startswith("Training loss grew"))
    assert lines[grew - 1] == "" and lines[grew - 2].startswith("| N-max |")


def test_sensitivity_caps_an_exploding_eta_at_the_top_edge(tmp_path, monkeypatch):
    import matplotlib.figure

    seen = {}
    real = matplotlib.figure.Figure.savefig

    def spy(fig, *args, **kwargs):
        ax = fig.axes[0]
        seen["ylim"], seen["title"] = ax.get_ylim(), ax.get_title()
        seen["inside"] = ax.title.get_window_extent(fig.canvas.get_renderer()).x1 <= fig.bbox.width
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    details = {"epochs": 1, "seed": 1000, "metric": "valid perplexity",
               "rules": {"gd": {"candidates": [{"lr": 1.0, "valid": 130.0}, {"lr": 3.0, "valid": 100.0},
                                                {"lr": 10.0, "valid": 1.7e11}, {"lr": 30.0, "valid": "Infinity"}]}}}
    report.plot_sensitivity(details, "lstm", str(tmp_path / "s.png"), "Tiny Shakespeare (shipped)")
    assert seen["ylim"][1] == pytest.approx(report.SENSITIVITY_CAP * 100.0)
    assert seen["inside"] and "on Tiny Shakespeare\n" in seen["title"]


def test_one_seed_says_what_it_can_show_before_the_claims():
    results = fake_results({"mnist": {"gd": [0.3], "adam": [0.1], "nadam": [0.2]}})
    text = report.few_seeds_markdown(results, "demo-output/reproduce-mnist")
    assert text.startswith("# What 1 seed can show") and "at least 3 paired seeds" in text
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [row.split(" | ")[0] for row in rows] == ["| Adam", "| Nadam", "| GD"]  # best validation first
    assert "`nadam-ref reproduce --experiment mnist --scale class --seeds 3 --out demo-output/reproduce-mnist`" in text


def test_three_seeds_need_no_preface():
    results = fake_results({"mnist": {"adam": [0.1, 0.2, 0.3]}})
    results["seeds"] = 3
    assert report.few_seeds_markdown(results) == ""
