"""Every qualitative claim of the paper's Sections 4 and 5, and its verdict from a reproduction's results.

Each claim is a set of *pairs* "A beats B on experiment E's metric" combined by :func:`verdicts.all_of`,
:func:`verdicts.any_of` or :func:`verdicts.most_of`; every pair is judged by :func:`verdicts.paired` (same
seeds for both rules, a 95 % t interval on the per-seed differences). A claim whose pairs the reproduction
cannot check (an experiment not run, a rule without a finished run) is "not tested"; one that needs another
kind of run (ε, tuning effort) is listed with what would check it. Word2vec claims get no verdict unless every
rule in them beats the shuffled baseline of its metric (:mod:`nadam_ref.experiments.tasks`).

The claims are enumerated from the paper (``/work/shared/paper``), in its order; ``where`` names the section
and the figure whose table the claim reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import verdicts

NOT_TESTED, NO_VERDICT = "not tested", "no verdict"
NO_MOMENTUM, CLASSICAL, NESTEROV = ("gd", "rmsprop", "maxaprop"), ("momentum", "adam", "adamax"), (
    "nag", "nadam", "nadamax")
L2, LINF, PLAIN = ("rmsprop", "adam", "nadam"), ("maxaprop", "adamax", "nadamax"), ("gd", "momentum", "nag")
TEST = ("test", None)  # None: the experiment's own metric
DEV_ERROR = ("valid", "error")


@dataclass(frozen=True)
class Claim:
    key: str
    text: str
    where: str
    pairs: tuple = ()          # (experiment, better, worse); empty: checked by another kind of run
    combine: str = "all"       # all | any | generally (see _judge)
    split_key: tuple = TEST
    other_check: str = ""      # for claims this kind of run cannot check: what would


def _pairs(experiment, better, worse):
    return tuple((experiment, b, w) for b in better for w in worse if b != w)


CLAIMS = (
    Claim("w2v-rms-best", "The rules with RMSProp (RMS, Adam, Nadam) give better word vectors than all the others",
          "§4.1, Figure 1", _pairs("word2vec", L2, PLAIN + LINF)),
    Claim("w2v-nadam-over-rms-adam", "Nadam clearly outperforms RMSProp with no momentum and with classical "
          "momentum (Adam)", "§4.1, Figure 1", _pairs("word2vec", ("nadam",), ("rmsprop", "adam"))),
    Claim("w2v-nesterov-over-classical", "The rules with Nesterov momentum consistently beat those with classical "
          "momentum (NAG > Mom, Nadam > Adam, N-max > A-max)", "§4.1 and §5, Figure 1",
          tuple(("word2vec", n, c) for n, c in zip(NESTEROV, CLASSICAL, strict=True))),
    Claim("w2v-nadam-best", "Nadam produces by far the best word vectors (with dropout, as here)", "§4.1 and §5, "
          "Figure 1", _pairs("word2vec", ("nadam",), PLAIN + L2 + LINF)),
    Claim("mnist-nadam-best-dev", "Nadam receives the lowest development (validation) error", "§4.2 and §5, "
          "Figure 2", _pairs("mnist", ("nadam",), PLAIN + L2 + LINF), split_key=DEV_ERROR),
    Claim("mnist-momentum-worse-test", "On the test set every momentum rule underperforms its counterpart without "
          "momentum", "§4.2, Figure 2",
          tuple(("mnist", plain, m) for plain, ms in zip(NO_MOMENTUM, zip(CLASSICAL, NESTEROV, strict=True),
                                                             strict=True) for m in ms)),
    Claim("mnist-rmsprop-best-test", "RMSProp gives the lowest test loss (surpassing Nadam, contra Kingma & Ba)",
          "§4.2 and §5, Figure 2", _pairs("mnist", ("rmsprop",), PLAIN + L2 + LINF)),
    Claim("mnist-rmsprop-matters", "Including RMSProp makes a significant difference (RMS > GD, Adam > Mom, "
          "Nadam > NAG)", "§5, Figure 2", tuple(("mnist", a, b) for a, b in zip(L2, PLAIN, strict=True))),
    Claim("mnist-nadam-larger-eps", "Nadam performs noticeably better with a higher value of ε", "§4.2 (other "
          "training runs, no figure)", other_check="the ε ablation (`--set eps=...`), docs/reproduction.md"),
    Claim("lstm-adaptive-worse", "The rules with RMSProp or MaxaProp do noticeably worse than GD and the rules "
          "with only momentum", "§4.3 and §5, Figure 3", _pairs("lstm", PLAIN, L2 + LINF)),
    Claim("lstm-tuning-little-difference", "Tuning hyper-parameters makes little difference to that",
          "§4.3 and §5 (no figure)", other_check="a tuning-effort study (η-sensitivity curves of `--tune`)"),
    Claim("lstm-classical-over-nesterov", "Classical momentum outperforms Nesterov momentum (Mom > NAG)",
          "§4.3, Figure 3", (("lstm", "momentum", "nag"),)),
    Claim("lstm-momentum-best", "Classical momentum gives the best language model", "§4.3, Figure 3",
          _pairs("lstm", ("momentum",), PLAIN + L2 + LINF)),
    Claim("lstm-nadam-over-adam", "Nadam significantly outperforms Adam", "§4.3, Figure 3",
          (("lstm", "nadam", "adam"),)),
    Claim("lstm-nadam-over-rms-adam", "Adding Nesterov momentum to RMSProp (Nadam) improves it over no momentum "
          "(RMSProp) and classical momentum (Adam)", "§5, Figure 3", _pairs("lstm", ("nadam",), ("rmsprop", "adam"))),
    Claim("maxaprop-generally-worse", "The MaxaProp-based rules (MaxaProp, AdaMax, NadaMax) generally do worse "
          "than at least some of the others", "§5, Figures 1–3",
          tuple((e, r, m) for e in ("word2vec", "mnist", "lstm") for m in LINF for r in PLAIN + L2),
          combine="generally"),
    Claim("nadam-over-adam-two-of-three", "Nadam beats Adam in two of the three benchmarks (word2vec, LSTM)",
          "§5, Figures 1 and 3", (("word2vec", "nadam", "adam"), ("lstm", "nadam", "adam"))),
)


def seed_values(results: dict, experiment: str, rule: str, split: str, key: str | None) -> dict:
    """seed → the last epoch's ``split`` metric ``key`` of every finished run of ``rule``."""
    exp = results["experiments"][experiment]
    key = key or exp["metric"]["name"]
    return {run["seed"]: run["epochs"][-1][split][key] for run in exp["rules"][rule]["runs"]
            if run["status"] == "finished" and run["epochs"] and key in run["epochs"][-1].get(split, {})}


def baseline_check(results: dict, rule: str) -> verdicts.Paired:
    """Does ``rule``'s word2vec test metric beat its shuffled baseline (paired over seeds)? The baseline is the
    metric record's ``baseline`` (results before it was recorded scored the analogy distance, whose baseline is
    ``analogy_shuffled``)."""
    metric = seed_values(results, "word2vec", rule, "test", None)
    baseline = results["experiments"]["word2vec"]["metric"].get("baseline", "analogy_shuffled")
    shuffled = seed_values(results, "word2vec", rule, "test", baseline)
    return verdicts.paired({s: metric[s] for s in shuffled if s in metric}, shuffled)


def judge(claim: Claim, results: dict) -> dict:
    """The verdict of one claim, with every pair's paired comparison."""
    out = {"key": claim.key, "claim": claim.text, "paper": claim.where, "pairs": [], "note": ""}
    if not claim.pairs:
        return {**out, "verdict": NOT_TESTED, "note": f"needs {claim.other_check}"}
    missing = sorted({e for e, _, _ in claim.pairs if e not in results["experiments"]}
                     | {f"{r} ({e})" for e, a, b in claim.pairs if e in results["experiments"] for r in (a, b)
                        if r not in results["experiments"][e]["rules"]})
    if missing:
        return {**out, "verdict": NOT_TESTED, "note": "not run: " + ", ".join(missing)}
    split, key = claim.split_key
    for experiment, better, worse in claim.pairs:
        cmp = verdicts.paired(seed_values(results, experiment, better, split, key),
                              seed_values(results, experiment, worse, split, key))
        out["pairs"].append({"experiment": experiment, "better": better, "worse": worse,
                             "metric": f"{split} {key or results['experiments'][experiment]['metric']['name']}",
                             "verdict": cmp.verdict, "evidence": cmp.describe(), "paired": cmp.__dict__})
    combine = {"all": verdicts.all_of, "any": verdicts.any_of, "generally": _generally}[claim.combine]
    out["verdict"] = combine(out["pairs"]) if claim.combine == "generally" else combine(
        p["verdict"] for p in out["pairs"])
    w2v_rules = sorted({r for e, a, b in claim.pairs if e == "word2vec" for r in (a, b)})
    failing = [r for r in w2v_rules if baseline_check(results, r).verdict != verdicts.SUPPORTED]
    if failing:  # the metric is not shown to mean anything: withhold a verdict either way
        note = ("the word2vec metric of " + ", ".join(failing) + " is not shown to beat its shuffled "
                "baseline (paired, 95 %)")
        if out["verdict"] in (verdicts.SUPPORTED, verdicts.NOT_SUPPORTED):
            out["verdict"], note = NO_VERDICT, note + f", so its \"{out['verdict']}\" is withheld"
        out["note"] = note
    return out


def _generally(pairs) -> str:
    """For each (experiment, MaxaProp rule): does some other rule beat it? Then: is that so for most?"""
    groups: dict = {}
    for p in pairs:
        groups.setdefault((p["experiment"], p["worse"]), []).append(p["verdict"])
    return verdicts.most_of(verdicts.any_of(v) for v in groups.values())


def claims(results: dict) -> list[dict]:
    """Every claim of :data:`CLAIMS`, judged."""
    return [judge(c, results) for c in CLAIMS]


def _data_lines(results: dict) -> list[str]:
    """Which data each experiment ran on (its record in results.json): a claim about "MNIST" checked on
    Fashion-MNIST must say so."""
    named = [f"{name}: {exp['dataset']['name']}" for name, exp in results["experiments"].items()
             if exp.get("dataset")]
    return ["Data: " + "; ".join(named) + ".", ""] if named else []


def claims_markdown(results: dict) -> str:
    judged = claims(results)
    counts = {v: sum(c["verdict"] == v for c in judged) for v in
              (verdicts.SUPPORTED, verdicts.NOT_SUPPORTED, verdicts.INCONCLUSIVE, NO_VERDICT, NOT_TESTED)}
    lines = [
        f"# The paper's claims (Sections 4 and 5), checked by this run (scale `{results['scale']}`, "
        f"seeds {results['seeds']})",
        "",
        "Each claim is made of pairs \"A beats B\" (lower metric is better). A pair is judged from the per-seed "
        "differences A − B over the seeds where both finished (same seeds, so the same initialisation and data "
        "order for both): a two-sided 95 % Student-t interval on their mean, and the paired t-test. "
        "**supported**: the interval lies below 0; **not supported**: above 0; **inconclusive**: it contains 0, "
        f"or fewer than {verdicts.MIN_SEEDS} seeds. A claim of several pairs is supported when all are (\"some\" "
        "and \"generally\" claims say how they combine); the intervals are not corrected for multiple "
        "comparisons. At `smoke` and `class` scale the models, data and run lengths are far smaller than the "
        "paper's, and the warming schedule ends near μ_t ≈ 0.5–0.7: a verdict is evidence about this setting, "
        "not a ruling on the paper.",
        "",
        *_data_lines(results),
        "Summary: " + ", ".join(f"{n} {v}" for v, n in counts.items() if n) + ".",
        "",
    ]
    for c in judged:
        lines.append(f"- **{c['verdict']}** — {c['claim']} ({c['paper']})." + (f" {c['note']}." if c["note"]
                                                                                 else ""))
        for p in c["pairs"]:
            lines.append(f"  - {p['experiment']} {p['better']} vs {p['worse']} ({p['metric']}): "
                         f"{p['verdict']}; {p['evidence']}")
    return "\n".join(lines) + "\n"


def with_holm(results: dict, alpha: float = 0.05) -> dict:
    """Every claim judged twice: as :func:`claims` does (each pair at 95 % on its own) and with Holm–Bonferroni
    over every distinct pair test the claims make (:func:`verdicts.holm`), a pair's verdict then decided by its
    adjusted p. A verdict withheld for word2vec's baseline stays withheld. Returns ``{"family_size", "claims"}``;
    each claim has ``verdict`` (unadjusted) and ``holm_verdict``."""
    judged = claims(results)
    tests = {}
    for c in judged:
        for p in c["pairs"]:
            if p["paired"]["p"] is not None:
                tests[p["experiment"], p["better"], p["worse"], p["metric"]] = p["paired"]
    keys = list(tests)
    adjusted = dict(zip(keys, verdicts.holm([tests[k]["p"] for k in keys], alpha), strict=True))
    for c in judged:
        holm_pairs = []
        for p in c["pairs"]:
            adj = adjusted.get((p["experiment"], p["better"], p["worse"], p["metric"]))
            p["holm_p"] = adj["p"] if adj else None
            p["holm_verdict"] = (verdicts.INCONCLUSIVE if adj is None or not adj["rejected"] else
                                 verdicts.SUPPORTED if p["paired"]["mean"] < 0 else verdicts.NOT_SUPPORTED)
            holm_pairs.append({**p, "verdict": p["holm_verdict"]})
        decided = (verdicts.SUPPORTED, verdicts.NOT_SUPPORTED)
        c["decided"] = sum(p["verdict"] in decided for p in c["pairs"])
        c["holm_decided"] = sum(p["holm_verdict"] in decided for p in c["pairs"])
        if c["verdict"] in (NOT_TESTED, NO_VERDICT) or not holm_pairs:
            c["holm_verdict"] = c["verdict"]
            continue
        claim = next(k for k in CLAIMS if k.key == c["key"])
        combine = {"all": verdicts.all_of, "any": verdicts.any_of, "generally": _generally}[claim.combine]
        c["holm_verdict"] = combine(holm_pairs) if claim.combine == "generally" else combine(
            p["verdict"] for p in holm_pairs)
    return {"alpha": alpha, "family_size": len(keys), "claims": judged}


def holm_markdown(reanalysis: dict) -> str:
    """One row a claim: the verdict unadjusted and with Holm over every pair test, and the deciding pairs."""
    lines = [f"| claim (paper) | verdict, each pair at 95 % | verdict, Holm over all {reanalysis['family_size']} "
             "pair tests | pairs decided, supported or not (unadjusted → Holm) |", "|---|---|---|---|"]
    for c in reanalysis["claims"]:
        before, after = c["decided"], c["holm_decided"]
        changed = " (changed)" if c["holm_verdict"] != c["verdict"] else ""
        lines.append(f"| {c['claim']} ({c['paper']}) | {c['verdict']} | **{c['holm_verdict']}**{changed} | "
                     f"{before} → {after} of {len(c['pairs'])} |")
    return "\n".join(lines) + "\n"
