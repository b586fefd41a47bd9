"""``--tune``: choose η per rule on the validation set, on seeds disjoint from the reported ones.

Each rule is trained with seed :data:`configs.TUNE_SEED` (reported runs use seeds 0 … K−1, K <
:data:`configs.TUNE_SEED`, so the seed that picks η never reports a result: its noise is not selected for) for
``cfg["tune"]["epochs"]`` epochs at η = centre × factor, centres :data:`configs.LR_CENTRES`. The η with the
lowest validation metric after the last epoch wins; a diverged run scores +inf. While the winner is the smallest
or largest η tried, one more step of the grid's ratio is tried beyond it, at most
:data:`configs.MAX_TUNE_EXTENSIONS` times. With ``cfg["tune"]["refine"]``, the two η a quarter decade
(10^¼) either side of the winner are tried last. Runs of a round go to the pool together (:mod:`.parallel`).

Every η tried and its score is kept: the η-sensitivity curve of each rule (``report.plot_sensitivity``).
"""

from __future__ import annotations

import math

from . import configs, parallel, provenance, tasks

QUARTER_DECADE = 10**0.25


def tune_learning_rates(common: dict, rules, pool=None, progress=True, log=print, around: dict | None = None,
                        max_extensions: int | None = None):
    """Choose η per rule for the experiment ``common`` describes (see :func:`parallel.spec`); returns
    ``(chosen, details)``. ``max_extensions``: how many steps beyond an edge the walk may take (default
    :data:`configs.MAX_TUNE_EXTENSIONS`).

    ``around`` (rule → η, e.g. the committed choice) replaces the wide search by the fine one only: η × 10^{−¼, 0,
    ¼}, walking on by quarter decades while the best is on an edge."""
    name, spec = common["name"], dict(common["cfg"]["tune"])
    metric = tasks.EXPERIMENTS[name].METRIC["name"]
    centres = dict(configs.LR_CENTRES[name])
    if around is not None:
        centres.update(around)
        spec.update(factors=[1 / QUARTER_DECADE, 1.0, QUARTER_DECADE], refine=False)
    factors = sorted(spec["factors"])
    ratio = factors[1] / factors[0] if len(factors) > 1 else 10**0.5
    tried: dict = {rule: {} for rule in rules}

    def score(wanted: dict) -> None:
        keys = []
        for rule, lrs in wanted.items():
            for lr in lrs:
                lr = float(f"{lr:.3g}")
                if lr not in tried[rule] and (rule, lr) not in keys:
                    keys.append((rule, lr))
        specs = [parallel.spec(common, rule, lr, configs.TUNE_SEED, "tune", spec["epochs"]) for rule, lr in keys]
        for (rule, lr), record in zip(keys, parallel.run_all(pool, specs, progress), strict=True):
            value = record["epochs"][-1]["valid"][metric] if record["status"] == "finished" else math.inf
            tried[rule][lr] = {"lr": lr, "valid": value, "status": record["status"], "wall_s": record["wall_s"]}
            log(f"tune {name} {rule} η={lr:.3g}: valid {metric} {value:.4g} ({record['status']})")

    def best(rule) -> float:
        return min(tried[rule].values(), key=lambda c: (c["valid"], c["lr"]))["lr"]

    score({rule: [centres[rule] * f for f in factors] for rule in rules})
    extensions = configs.MAX_TUNE_EXTENSIONS if max_extensions is None else max_extensions
    for _ in range(extensions):
        edges = {}
        for rule in rules:
            if len(tried[rule]) > 1 and best(rule) == min(tried[rule]):
                edges[rule] = [best(rule) / ratio]
            elif len(tried[rule]) > 1 and best(rule) == max(tried[rule]):
                edges[rule] = [best(rule) * ratio]
        if not edges:
            break
        score(edges)
    if spec.get("refine"):
        score({rule: [best(rule) / QUARTER_DECADE, best(rule) * QUARTER_DECADE] for rule in rules})
    details = {"epochs": spec["epochs"], "factors": factors, "refine": bool(spec.get("refine")),
               "around": "the committed η (learning_rates.json)" if around is not None else "LR_CENTRES",
               "seed": configs.TUNE_SEED, "metric": f"valid {metric}", "max_extensions": extensions, "rules": {}}
    chosen = {}
    for rule in rules:
        chosen[rule] = best(rule)
        details["rules"][rule] = {"centre": centres[rule],
                                  "candidates": [tried[rule][lr] for lr in sorted(tried[rule])],
                                  "chosen": chosen[rule]}
    return chosen, details


def learning_rates_document(tuning_all: dict, scale: str, earlier: dict | None = None) -> dict:
    """What ``--tune`` found, as ``learning_rates.json`` stores it: ``chosen`` (experiment → rule → η), the
    ``search`` behind it, and ``produced_by`` (git commit, threads, tuning seed). An η that is still the
    smallest or largest tried (the walk stopped at its limit) is listed under ``at_edge``. ``earlier`` (the
    ``search`` of a previous document) keeps the experiments this run did not tune."""
    tuning_all = {**(earlier or {}), **tuning_all}
    at_edge = [f"{name}/{rule}" for name, found in tuning_all.items() for rule, r in found["rules"].items()
               if len(r["candidates"]) > 1
               and r["chosen"] in (r["candidates"][0]["lr"], r["candidates"][-1]["lr"])]
    return {"scale": scale,
            "produced_by": {**provenance.provenance(), "tune_seed": configs.TUNE_SEED,
                            "command": f"nadam-ref reproduce --scale {scale} --tune"},
            "chosen": {name: {rule: r["chosen"] for rule, r in found["rules"].items()}
                       for name, found in tuning_all.items()},
            "at_edge": at_edge, "search": tuning_all}
