"""word2vec's held-out metric: NCE's ranking of the true context word against noise words, on held-out text,
beside its shuffled-centre baseline (tasks.Word2Vec, models.word2vec.Word2Vec.evaluate, data.text)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest

from nadam_ref import Optimizer, data, models
from nadam_ref.data import text
from nadam_ref.experiments import claims, configs, report, tasks
from nadam_ref.rules import PAPER_RULES


def test_heldout_pairs_leave_out_unk_and_sample_the_same_pairs_every_time():
    vocab = data.build_vocab("a b c a b a".split() + ["<unk>"])
    ids = vocab.encode("a b zz c a b a".split())  # zz → <unk>
    centre, context = text.heldout_pairs(ids, vocab, window=1)
    unk = vocab.index["<unk>"]
    assert len(centre) == 2 * (len(ids) - 1) - 4  # the two pairs on each side of zz are gone
    assert unk not in centre and unk not in context
    few = text.heldout_pairs(ids, vocab, window=1, limit=3, seed=7)
    again = text.heldout_pairs(ids, vocab, window=1, limit=3, seed=7)
    assert len(few[0]) == 3 and all(numpy.array_equal(x, y) for x, y in zip(few, again, strict=True))
    with pytest.raises(data.EmptyCorpusError, match="no skip-gram pair"):
        text.heldout_pairs(vocab.encode("zz yy".split()), vocab)


def test_partners_in_a_cycle_give_each_slot_another_slots_value():
    values = numpy.arange(50)
    partners = text.partners_in_a_cycle(values, seed=3)
    assert sorted(partners) == list(values) and (partners != values).all()
    assert numpy.array_equal(partners, text.partners_in_a_cycle(values, seed=3))
    with pytest.raises(ValueError, match="at least 2"):
        text.partners_in_a_cycle([4], seed=3)


def hand_made_model():
    """Four words; word i's vector is the unit vector i, and so is its output vector: each word predicts itself."""
    model = models.build("word2vec", "tiny", vocab=4, dim=4, noise=3, counts=[1, 1, 1, 1])
    model.params["embedding"][...] = 5 * numpy.eye(4)
    model.params["nce_W"][...] = numpy.eye(4)
    model.params["nce_b"][...] = 0.0
    return model


def test_evaluate_counts_noise_words_that_outscore_the_context():
    model = hand_made_model()
    centre = numpy.array([0, 1, 2])
    candidates = numpy.array([[1, 2, 3], [0, 2, 3], [0, 1, 3]])
    right = model.evaluate(centre, centre, candidates)       # the context is the centre: it scores 5, noise 0
    assert right["error"] == 0.0 and right["pairs"] == 3
    # context 3 scores 0 for every centre; the candidate 3 is the context and is left out, the other two tie
    # with it at 0, and a tie counts as an error
    wrong = model.evaluate(centre, numpy.array([3, 3, 3]), candidates)
    assert wrong["error"] == 1.0
    model.params["nce_b"][3] = -1.0
    # pair 1: context 1 scores 0; candidate 0 (the centre) scores 5, an error; 1 is left out; 3 scores -1.
    # pair 2: context 1 is the centre and scores 5; no candidate reaches it. One error in five comparisons.
    mixed = model.evaluate(numpy.array([0, 1]), numpy.array([1, 1]), numpy.array([[0, 1, 3], [3, 3, 0]]))
    assert mixed["error"] == pytest.approx(1 / 5)
    assert right["loss"] < wrong["loss"]
    with pytest.raises(ValueError, match="expected integers in \\[0, 4\\)"):
        model.evaluate(centre, numpy.array([0, 1, 4]), candidates)


def test_a_centre_free_embedding_scores_exactly_its_baseline():
    model = hand_made_model()
    model.params["embedding"][...] = 1.0  # every word the same vector: the centre says nothing
    rng = numpy.random.default_rng(0)
    centre, context = rng.integers(0, 4, 200), rng.integers(0, 4, 200)
    candidates = model.heldout_candidates(200, seed=1)
    real = model.evaluate(centre, context, candidates)
    shuffled = model.evaluate(text.partners_in_a_cycle(centre, 2), context, candidates)
    assert real["error"] == shuffled["error"] and real["loss"] == pytest.approx(shuffled["loss"])


@pytest.fixture(scope="module")
def trained():
    """The class model on the shipped Tiny Shakespeare (1k words), 600 Adam steps: a real, short training."""
    cfg = configs.get("word2vec", "class") | {"vocab_size": 1000}
    task = tasks.Word2Vec.make_task(tasks.Word2Vec.load_data(cfg), cfg, seed=0)
    before = task.evaluate()
    optimizer = Optimizer("adam", task.model.params, lr=0.03)
    _, batches = task.train_batches(0, numpy.random.default_rng(0))
    for _, batch in zip(range(600), batches, strict=False):
        optimizer.step(task.model.loss_and_grads(batch)[1])
    return task, before


def test_a_trained_embedding_beats_its_shuffled_baseline(trained):
    task, before = trained
    after = task.evaluate()
    for split in ("valid", "test"):
        assert after[split]["context_error"] < after[split]["context_error_shuffled"] - 0.01, after[split]
        assert after[split]["context_error"] < before[split]["context_error"] - 0.05
    assert set(before) == {"valid", "test"}


def test_an_embedding_with_its_rows_shuffled_scores_at_its_baseline(trained):
    task, _ = trained
    saved = task.model.params["embedding"].copy()
    trained_scores = task.evaluate()
    try:
        task.model.params["embedding"][...] = saved[numpy.random.default_rng(9).permutation(len(saved))]
        shuffled = task.evaluate()
    finally:
        task.model.params["embedding"][...] = saved
    for split in ("valid", "test"):
        learnt = trained_scores[split]["context_error_shuffled"] - trained_scores[split]["context_error"]
        gap = shuffled[split]["context_error"] - shuffled[split]["context_error_shuffled"]
        assert abs(gap) < learnt / 4, (shuffled[split], learnt)


def test_the_same_pairs_and_candidates_for_every_seed():
    cfg = configs.get("word2vec", "smoke")
    loaded = tasks.Word2Vec.load_data(cfg)
    one, other = (tasks.Word2Vec.make_task(loaded, cfg, seed) for seed in (0, 5))
    assert all(numpy.array_equal(one.candidates[s], other.candidates[s]) for s in ("valid", "test"))
    assert len(loaded["heldout"]["test"]["centre"]) == cfg["eval_pairs"]
    assert "questions" in loaded  # Tiny Shakespeare's 1k words cover a few analogy questions


def held_out_results(gap):
    """Results scored like the task, five seeds a rule: ``context_error`` 0.40 + 0.01 × the rule's index (+ 0.001
    × seed), its baseline ``gap`` above GD's."""
    rules = {}
    for i, rule in enumerate(PAPER_RULES):
        runs = []
        for seed in range(5):
            scores = {"context_error": 0.40 + 0.01 * i + 0.001 * seed,
                      "context_error_shuffled": 0.40 + gap + 0.002 * seed}
            runs.append({"rule": rule, "seed": seed, "status": "finished",
                         "epochs": [{"epoch": 1, "train": {"loss": 1.0}, "valid": scores, "test": scores}]})
        rules[rule] = {"lr": 0.1, "runs": runs, "summary": report.summarize(runs, "context_error")}
    metric = {"name": "context_error", "baseline": "context_error_shuffled", "label": "context_error"}
    return {"scale": "class", "seeds": 5, "backend": "numpy",
            "experiments": {"word2vec": {"metric": metric, "rules": rules}}}


def test_claims_read_the_baseline_the_metric_names():
    assert claims.baseline_check(held_out_results(0.1), "gd").verdict == "supported"
    assert claims.baseline_check(held_out_results(-0.2), "gd").verdict == "not supported"


def test_report_sets_the_metric_beside_its_baseline():
    lines = report.table_markdown(held_out_results(0.1)).splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| rule | context_error | baseline"))
    gd = lines[header + 2]
    assert gd.startswith("| GD | 0.4020 | 0.5040 | supported: -0.1020 [") and gd.endswith("] | – | – | – |"), gd
    failing = report.table_markdown(held_out_results(-0.2)).splitlines()
    assert failing[header + 2].startswith("| GD | 0.4020 | 0.2040 | not supported: +0.1980 [")
    assert any("another metric" in line for line in lines)


DEMO = Path(__file__).resolve().parents[2] / "docs" / "reproduction" / "word2vec-metric"


def test_the_committed_demonstration_table_is_rendered_from_its_results():
    results = json.loads((DEMO / "results.json").read_text(encoding="utf-8"))
    assert (DEMO / "table.md").read_text(encoding="utf-8") == report.table_markdown(results)
    assert results["experiments"]["word2vec"]["metric"] == tasks.Word2Vec.METRIC
