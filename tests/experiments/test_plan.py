"""A pre-registered plan: Holm by hand, intervals that match it, the looks that refuse added seeds."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from nadam_ref.experiments import configs, plan, reproduce, tasks, verdicts

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# -- Holm, by hand ---------------------------------------------------------------------------------------------

def test_holm_adjusts_and_stops_at_the_first_step_it_cannot_reject():
    # sorted: .005 (×4 = .02, ≤ .0125 rejected), .01 (×3 = .03, ≤ .0167 rejected), .03 (×2 = .06, > .025:
    # stop), .04 (×1 = .04, but the running max keeps .06; not rejected, tested at step 3's level .025)
    out = verdicts.holm([0.01, 0.04, 0.03, 0.005], 0.05)
    assert [o["p"] for o in out] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert [o["rejected"] for o in out] == [True, False, False, True]
    assert [o["level"] for o in out] == pytest.approx([0.05 / 3, 0.025, 0.025, 0.0125])
    assert [o["step"] for o in out] == [2, 4, 3, 1]


def test_holm_rejects_a_later_step_at_the_full_alpha():
    out = verdicts.holm([0.02, 0.021], 0.05)  # .02 ≤ .025, then .021 ≤ .05; adjusted .04 and max(.04, .021)
    assert [o["p"] for o in out] == pytest.approx([0.04, 0.04])
    assert all(o["rejected"] for o in out)


def test_holm_rejects_nothing_once_the_first_step_fails():
    out = verdicts.holm([0.03, 0.04], 0.05)  # .03 > .025
    assert [o["rejected"] for o in out] == [False, False]
    assert [o["p"] for o in out] == pytest.approx([0.06, 0.06])


def test_holm_of_an_empty_family_is_empty_and_bad_p_values_are_refused():
    assert verdicts.holm([], 0.05) == []
    with pytest.raises(ValueError, match="expected numbers in"):
        verdicts.holm([0.5, 1.5])


def test_the_interval_at_95_percent_is_the_paired_one_and_widens_with_confidence():
    p = verdicts.paired({0: -1.0, 1: -1.1, 2: -0.9}, {0: 0.0, 1: 0.0, 2: 0.0})
    assert verdicts.interval(p, 0.95) == pytest.approx((p.low, p.high))
    low, high = verdicts.interval(p, 0.995)
    assert low < p.low and high > p.high
    assert verdicts.interval(verdicts.paired({0: 1.0}, {0: 0.0}), 0.95) is None


@pytest.mark.parametrize("pvalues", [[0.001, 0.2, 0.013, 0.04], [0.02, 0.021, 0.5], [0.3, 0.4]])
def test_a_holm_matched_interval_excludes_zero_exactly_when_holm_rejects(pvalues):
    # build paired differences with these two-sided p-values (3 seeds, t = mean / se), then compare
    rows = [verdicts.paired(dict(enumerate(_with_t(_t_for_p(p, 2)))), dict.fromkeys(range(3), 0.0))
            for p in pvalues]
    assert [r.p for r in rows] == pytest.approx(pvalues, rel=1e-6)
    out = verdicts.holm([r.p for r in rows], 0.05)
    for r, o in zip(rows, out, strict=True):
        low, high = verdicts.interval(r, 1 - o["level"])
        assert (low > 0 or high < 0) == o["rejected"]


def _t_for_p(p, df):
    lo, hi = 0.0, 1e6
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if 1 - verdicts.t_central_probability(mid, df) > p else (lo, mid)
    return (lo + hi) / 2


def _with_t(t):
    """Three numbers whose one-sample t statistic is ``t``: 1 ± 1 around a mean chosen to give it."""
    # values m-1, m, m+1: sd 1, se 1/√3, t = m √3
    m = t / 3**0.5
    return [m - 1, m, m + 1]


# -- plans -------------------------------------------------------------------------------------------------------

def _plan(tmp_path, count=3, primary=None, exploratory=None):
    arms = {f"linreg/{rule}-{decay}": {"experiment": "linreg", "rule": rule, "eta": "committed",
                                        "settings": {"m_decay": decay}, "computes": f"{rule}, m with {decay}"}
            for rule in ("adam", "nadam") for decay in ("constant", "scheduled")}
    document = {
        "format": plan.PLAN_FORMAT, "title": "test plan", "scale": "smoke", "seeds": {"first": 5, "count": count},
        "alpha": 0.05, "correction": "holm",
        "experiments": {"linreg": {"metric": "test loss", "split": "test", "key": None}},
        "arms": arms,
        "primary": primary if primary is not None else [
            {"id": "mu", "better": "linreg/nadam-constant", "worse": "linreg/adam-constant", "question": "μ"},
            {"id": "mu_t", "better": "linreg/nadam-scheduled", "worse": "linreg/adam-scheduled", "question": "μ_t"},
            {"id": "w2v", "better": "word2vec/nadam", "worse": "word2vec/adam", "question": "w2v",
             "conditional": "word2vec"}],
        "exploratory": exploratory if exploratory is not None else [
            {"id": "defaults", "better": "linreg/nadam-constant", "worse": "linreg/adam-scheduled",
             "question": "defaults"}],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document))
    return path


def test_a_plan_runs_on_its_seeds_and_judges_its_family_with_holm(linreg, tmp_path):
    out = str(tmp_path / "out")
    document = plan.run(plan.load(_plan(tmp_path)), out, log=lambda *_: None)
    results = json.loads(open(os.path.join(out, "linreg", "nadam-constant", "results.json")).read())
    runs = results["experiments"]["linreg"]["rules"]["nadam"]["runs"]
    assert [r["seed"] for r in runs] == [5, 6, 7]
    assert results["settings"] == {"m_decay": "constant"}
    primary = {r["id"]: r for r in document["primary"]}
    assert document["family_size"] == 2
    assert primary["w2v"]["verdict"] == plan.NOT_COMPARED and "not run" in primary["w2v"]["reason"]
    ps = [primary[k]["paired"]["p"] for k in ("mu", "mu_t")]
    expected = verdicts.holm(ps, 0.05)
    for key, e in zip(("mu", "mu_t"), expected, strict=True):
        r = primary[key]
        assert r["holm"]["p"] == pytest.approx(e["p"])
        low, high = r["holm"]["interval"]
        assert r["verdict"] == (verdicts.SUPPORTED if high < 0 else verdicts.NOT_SUPPORTED if low > 0
                                else verdicts.INCONCLUSIVE)
        b_low, b_high = r["holm"]["bonferroni_interval"]
        assert b_low <= r["paired"]["low"] and b_high >= r["paired"]["high"]
    assert document["exploratory"][0]["verdict"] in (verdicts.SUPPORTED, verdicts.NOT_SUPPORTED,
                                                     verdicts.INCONCLUSIVE)
    text = open(os.path.join(out, "plan-claims.md")).read()
    assert "### Primary" in text and "### Exploratory (unadjusted; decides nothing)" in text
    assert "Holm p" in text and "written once" in text


def test_seeds_added_after_a_look_are_refused_or_reported_as_sequential(linreg, tmp_path):
    out = str(tmp_path / "out")
    plan.run(plan.load(_plan(tmp_path, count=3)), out, log=lambda *_: None)
    again = plan.run(plan.load(_plan(tmp_path, count=3)), out, log=lambda *_: None)  # same seeds: no new look
    assert len(again["looks"]) == 1
    more = plan.load(_plan(tmp_path, count=4))
    with pytest.raises(plan.SequentialLookError, match="adds seeds after a look"):
        plan.run(more, out, log=lambda *_: None)
    document = plan.run(more, out, log=lambda *_: None, sequential=True)
    assert len(document["looks"]) == 2 and document["sequential"]
    assert document["looks"][1]["sequential"] and list(document["primary"][0]["paired"]["seeds"]) == [5, 6, 7, 8]
    assert "**sequential**" in open(os.path.join(out, "plan-claims.md")).read()


def test_judging_again_with_more_finished_seeds_is_a_sequential_look(linreg, tmp_path):
    out = str(tmp_path / "out")
    two = plan.load(_plan(tmp_path, count=3))
    plan.run(two, out, log=lambda *_: None)
    results_path = os.path.join(out, "linreg", "adam-constant", "results.json")
    results = json.loads(open(results_path).read())
    kept = results["experiments"]["linreg"]["rules"]["adam"]["runs"]
    results["experiments"]["linreg"]["rules"]["adam"]["runs"] = kept[:2]  # as if seed 7 had not finished
    open(results_path, "w").write(json.dumps(results))
    os.remove(os.path.join(out, plan.LOOKS_FILE))
    plan.judge(two, out)  # look 1: seeds 5, 6 for "mu"
    results["experiments"]["linreg"]["rules"]["adam"]["runs"] = kept
    open(results_path, "w").write(json.dumps(results))
    with pytest.raises(plan.SequentialLookError, match="sequential testing"):
        plan.judge(two, out)


def test_a_family_with_nothing_compared_says_so_and_passes_nothing(linreg, tmp_path):
    out = str(tmp_path / "out")
    document = plan.run(plan.load(_plan(tmp_path, count=2)), out, log=lambda *_: None)  # 2 seeds < 3
    assert document["family_size"] == 0
    assert all(r["verdict"] == plan.NOT_COMPARED for r in document["primary"])
    text = open(os.path.join(out, "plan-claims.md")).read()
    assert "nothing compared" in text and "**supported**" not in text


@pytest.mark.parametrize("change,message", [
    ({"correction": "bonferroni"}, "expected 'holm'"),
    ({"alpha": 1.5}, "between 0 and 1"),
    ({"seeds": {"first": 999, "count": 3}}, "first_seed=999"),
    ({"format": "other"}, "format"),
])
def test_a_bad_plan_is_refused_naming_what_is_wrong(linreg, tmp_path, change, message):
    path = _plan(tmp_path)
    document = {**json.loads(path.read_text()), **change}
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=message):
        plan.load(path)


def test_a_comparison_of_an_arm_the_plan_does_not_define_is_refused(linreg, tmp_path):
    path = _plan(tmp_path, primary=[{"id": "x", "better": "linreg/nadam-constant", "worse": "linreg/sgd",
                                     "question": "?"}])
    with pytest.raises(ValueError, match="does not define"):
        plan.load(path)


def test_the_committed_plan_is_valid_and_names_its_primary_family():
    p = plan.load(os.path.join(ROOT, "docs", "reproduction", "plan.json"))
    assert plan.seeds(p) == list(range(p["seeds"]["first"], p["seeds"]["first"] + p["seeds"]["count"]))
    assert max(plan.seeds(p)) < configs.TUNE_SEED
    assert {c["id"] for c in p["primary"]} >= {"lstm-mu", "lstm-mu_t", "mnist-mu", "mnist-mu_t"}


def test_reproduce_runs_the_seeds_from_first_seed(linreg, tmp_path):
    results = reproduce.reproduce(["linreg"], "smoke", rules=["adam"], seeds=2, first_seed=5,
                                  out=str(tmp_path), progress=False, log=lambda *_: None)
    assert [r["seed"] for r in results["experiments"]["linreg"]["rules"]["adam"]["runs"]] == [5, 6]
    with pytest.raises(ValueError, match="first_seed=999"):
        configs.check_request(["linreg"], "smoke", ["adam"], 2, 999)


# -- amendments and the baseline gate ---------------------------------------------------------------------------

class _LinregWithBaseline:
    """linreg, whose evaluation adds a baseline ``loss_shuffled`` = loss + OFFSET (a positive offset: the metric
    beats its baseline on every seed)."""
    OFFSET = 1.0
    METRIC = {"name": "loss", "baseline": "loss_shuffled", "label": "test loss"}

    @staticmethod
    def load_data(cfg):
        from tests.experiments.conftest import Linreg
        return Linreg.load_data(cfg)

    @classmethod
    def make_task(cls, data, cfg, seed):
        from tests.experiments.conftest import LinregTask
        task = LinregTask(data, cfg, seed)
        evaluate = task.evaluate

        def with_baseline():
            out = evaluate()
            return {s: {**m, "loss_shuffled": m["loss"] + cls.OFFSET} for s, m in out.items()}

        task.evaluate = with_baseline
        return task


@pytest.fixture
def linreg_w(linreg, monkeypatch):
    from tests.experiments.conftest import LINREG_CONFIG, LINREG_LRS
    monkeypatch.setitem(configs._CONFIGS, "linreg_w", {scale: dict(LINREG_CONFIG) for scale in configs.SCALES})
    monkeypatch.setitem(tasks.EXPERIMENTS, "linreg_w", _LinregWithBaseline)
    monkeypatch.setitem(configs.LR_CENTRES, "linreg_w", dict(LINREG_LRS))
    return _LinregWithBaseline


def _base_with_a_conditional(tmp_path):
    path = _plan(tmp_path, primary=[
        {"id": "mu", "better": "linreg/nadam-constant", "worse": "linreg/adam-constant", "question": "μ"},
        {"id": "w", "better": "linreg_w/nadam", "worse": "linreg_w/adam", "question": "w", "conditional": "linreg_w"}])
    return path


def _amendment(tmp_path, base_path, **change):
    document = {
        "format": plan.AMENDMENT_FORMAT, "title": "test amendment",
        "amends": {"plan": str(base_path), "sha256": hashlib.sha256(base_path.read_bytes()).hexdigest(),
                   "results": str(tmp_path / "base-out")},
        "experiments": {"linreg_w": {"metric": "test loss", "split": "test", "key": None,
                                     "baseline": "loss_shuffled", "condition": "each arm beats loss_shuffled"}},
        "arms": {f"linreg_w/{rule}": {"experiment": "linreg_w", "rule": rule, "eta": "tune", "settings": {}}
                 for rule in ("adam", "nadam")},
        "exploratory": [{"id": "w-again", "better": "linreg_w/adam", "worse": "linreg_w/nadam", "question": "?"}],
        **change}
    path = tmp_path / "amendment.json"
    path.write_text(json.dumps(document))
    return path


def test_an_amendment_trains_only_its_arms_and_its_look_only_adds_comparisons(linreg_w, tmp_path):
    base_path = _base_with_a_conditional(tmp_path)
    first = plan.run(plan.load(base_path), str(tmp_path / "base-out"), log=lambda *_: None)
    assert first["family_size"] == 1 and {r["id"]: r["verdict"] for r in first["primary"]}["w"] == plan.NOT_COMPARED
    amended = plan.load(_amendment(tmp_path, base_path))
    assert set(amended["judged_from"]) == set(plan.load(base_path)["arms"])
    logged, out = [], str(tmp_path / "amend-out")
    document = plan.run(amended, out, log=logged.append)
    assert sorted(os.listdir(out)) == sorted(["linreg_w", plan.LOOKS_FILE, "plan-claims.md", "plan-verdicts.json"])
    assert any("not retrained" in line for line in logged)
    rows = {r["id"]: r for r in document["primary"]}
    assert document["family_size"] == 2 and rows["w"]["verdict"] != plan.NOT_COMPARED
    assert rows["mu"]["paired"] == {r["id"]: r for r in first["primary"]}["mu"]["paired"]  # judged as trained
    assert all(c["passes"] for c in rows["w"]["gate"])
    looks = document["looks"]
    assert len(looks) == 2 and not document["sequential"]
    assert looks[1]["adds_comparisons"] == ["w", "w-again"] and looks[1]["amendment_sha256"]
    text = open(os.path.join(out, "plan-claims.md")).read()
    assert "Amended by" in text and "The gate" in text and "Look 2 added: w, w-again." in text


def test_an_arm_that_does_not_beat_its_baseline_keeps_its_comparison_out_of_the_family(linreg_w, tmp_path,
                                                                                        monkeypatch):
    monkeypatch.setattr(_LinregWithBaseline, "OFFSET", -1.0)
    base_path = _base_with_a_conditional(tmp_path)
    plan.run(plan.load(base_path), str(tmp_path / "base-out"), log=lambda *_: None)
    document = plan.run(plan.load(_amendment(tmp_path, base_path)), str(tmp_path / "amend-out"),
                        log=lambda *_: None)
    w = {r["id"]: r for r in document["primary"]}["w"]
    assert w["verdict"] == plan.NOT_COMPARED and "the gate" in w["reason"] and document["family_size"] == 1
    assert not any(c["passes"] for c in w["gate"])
    assert "| **no** |" in open(os.path.join(tmp_path, "amend-out", "plan-claims.md")).read()


@pytest.mark.parametrize("change,message", [
    ({"amends": "wrong digest"}, "the plan changed after the amendment was written"),
    ({"primary": [{"id": "x", "better": "linreg_w/adam", "worse": "linreg_w/nadam", "question": "?"}]},
     "cannot add primary"),
    ({"arms": {"linreg/adam-constant": {"experiment": "linreg", "rule": "adam", "eta": "tune", "settings": {}}}},
     "cannot redefine them"),
    ({"experiments": {"linreg": {"metric": "test loss", "split": "valid", "key": None}}}, "have arms in the plan"),
])
def test_an_amendment_that_would_change_what_the_plan_fixed_is_refused(linreg_w, tmp_path, change, message):
    base_path = _base_with_a_conditional(tmp_path)
    path = _amendment(tmp_path, base_path)
    document = json.loads(path.read_text())
    if change.get("amends") == "wrong digest":
        document["amends"]["sha256"] = "0" * 64
    else:
        document.update(change)
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=message):
        plan.load(path)


def test_the_committed_amendment_completes_the_plans_conditional_comparisons():
    amended = plan.load(os.path.join(ROOT, "docs", "reproduction", "plan-amendment-1.json"))
    base = plan.load(os.path.join(ROOT, "docs", "reproduction", "plan.json"))
    assert amended["primary"] == base["primary"] and amended["seeds"] == base["seeds"]
    conditional = {a for c in base["primary"] if c.get("conditional") for a in (c["better"], c["worse"])}
    assert conditional and conditional <= set(amended["arms"]) and not conditional & set(base["arms"])
    assert set(amended["judged_from"]) == set(base["arms"])


def test_an_amendment_of_an_amendment_keeps_each_arm_where_it_was_trained_and_may_widen_a_search(linreg_w,
                                                                                                 tmp_path):
    base_path = _base_with_a_conditional(tmp_path)
    plan.run(plan.load(base_path), str(tmp_path / "base-out"), log=lambda *_: None)
    first = _amendment(tmp_path, base_path)
    plan.run(plan.load(first), str(tmp_path / "first-out"), log=lambda *_: None)
    wider = {"experiment": "linreg_w", "rule": "adam", "eta": "tune", "settings": {}, "max_extensions": 5}
    second = {"format": plan.AMENDMENT_FORMAT, "title": "second",
              "amends": {"plan": str(first), "sha256": hashlib.sha256(first.read_bytes()).hexdigest(),
                         "results": str(tmp_path / "first-out")},
              "arms": {"linreg_w/adam-wide": wider},
              "exploratory": [{"id": "wide", "better": "linreg_w/nadam", "worse": "linreg_w/adam-wide",
                               "question": "?", "conditional": "linreg_w"}]}
    path = tmp_path / "second.json"
    path.write_text(json.dumps(second))
    chained = plan.load(path)
    assert chained["judged_from"]["linreg/adam-constant"] == str(tmp_path / "base-out")
    assert chained["judged_from"]["linreg_w/adam"] == str(tmp_path / "first-out")
    assert [a["title"] for a in chained["amendments"]] == ["test amendment", "second"]
    document = plan.run(chained, str(tmp_path / "second-out"), log=lambda *_: None)
    assert len(document["looks"]) == 3 and document["looks"][2]["adds_comparisons"] == ["wide"]
    tuned = json.loads((tmp_path / "second-out" / "linreg_w" / "adam-wide" / "tuning.json").read_text())
    assert tuned["search"]["linreg_w"]["max_extensions"] == 5
    assert document["arms"]["linreg_w/adam-wide"]["at_edge"] in (True, False)
    with pytest.raises(ValueError, match="max_extensions"):
        path.write_text(json.dumps({**second, "arms": {"linreg_w/adam-wide": {**wider, "max_extensions": -1}}}))
        plan.load(path)


@pytest.mark.parametrize("arm,message", [
    ({"experiment": "word2vec", "rule": "nadam", "eta": "tune", "model_settings": {"dropuot": 0.0}}, "dropout"),
    ({"experiment": "linreg", "rule": "nadam", "eta": "tune", "model_settings": {"dropout": 0.0}}, "model_settings"),
])
def test_an_arm_may_override_only_settings_its_model_has(linreg, tmp_path, arm, message):
    path = _plan(tmp_path)
    document = json.loads(path.read_text())
    document["experiments"]["word2vec"] = {"metric": "test context_error", "split": "test", "key": None}
    document["arms"]["x/arm"] = arm
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match=message):
        plan.load(path)


def test_an_arm_with_model_settings_trains_that_model():
    amended = plan.load(os.path.join(ROOT, "docs", "reproduction", "plan-amendment-3.json"))
    cfg = plan._common(amended, "word2vec/nadam-mu-nodrop", "unused")["cfg"]
    assert cfg["model_settings"] == {"dropout": 0.0}
    from nadam_ref.experiments import tasks as experiment_tasks
    model = experiment_tasks._build("word2vec", {**cfg, "model": "tiny"}, 0, vocab=13, counts=None)
    assert model.config["dropout"] == 0.0
