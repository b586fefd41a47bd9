"""A pre-registered analysis: a plan file fixes the comparisons, seeds, metric and correction before any run.

``docs/reproduction/plan.json`` is one. It names

* ``arms`` — one (experiment, rule, settings) each, with how its η is chosen (``"tune"``: its own ``--tune``
  search on the tuning seed, ``max_extensions`` steps past an edge at most; ``"committed"``:
  ``learning_rates.json``), what it computes, and optionally ``model_settings`` that override the model's
  configuration (word2vec's ``dropout``, say);
* ``primary`` — the comparisons "better arm beats worse arm" that decide: Holm–Bonferroni over them;
* ``exploratory`` — comparisons reported with their unadjusted intervals, and labelled so;
* ``seeds`` (``first``, ``count``), ``alpha`` and the ``correction`` (``"holm"``).

:func:`run` tunes the arms that ask for it, then trains every arm on the plan's seeds, seed by seed (a stopped
run leaves whole seeds), each arm in its own folder with a ``results.json`` as ``reproduce`` writes it.
:func:`judge` compares the arms and writes ``plan-verdicts.json`` and ``plan-claims.md``. Writing verdicts is
a *look*: it is recorded in ``plan-looks.json`` with the seeds each comparison used, and a later look with other
seeds is refused (:class:`SequentialLookError`) unless ``sequential=True``, which records it and makes the
report call the verdicts sequential.

An *amendment* (``docs/reproduction/plan-amendment-1.json``) adds arms and exploratory comparisons to a plan
whose verdicts were written, without changing anything the plan fixed: it names the plan and its SHA-256, may
define arms that the plan's conditional comparisons name and experiments no arm of the plan uses, and may not
add primary comparisons or redefine an arm. :func:`load` of an amendment returns the plan with it merged; the
plan's own arms are judged from the plan's results folder as they were trained there, never retrained. Its
judge is a new look, allowed without ``sequential`` only when it adds seeds to no comparison judged before.

A conditional experiment can name a ``baseline`` metric: each arm of its comparisons must then beat that
baseline on the plan's seeds (paired, 95 %) before the comparison joins the family (:func:`gate`).
"""

from __future__ import annotations

import hashlib
import json
import os

from .. import backend, models
from .._io import atomic_write_json, atomic_write_text
from . import claims, configs, datasets, parallel, provenance, report, tasks, tuning, verdicts
from .claims import seed_values
from .reproduce import RESULTS_FORMAT, versions

PLAN_FORMAT = "nadam_ref.plan/1"
AMENDMENT_FORMAT = "nadam_ref.plan-amendment/1"
LOOKS_FILE = "plan-looks.json"
NOT_COMPARED = "not compared"


class SequentialLookError(RuntimeError):
    """Seeds added to a planned family after its verdicts were written, without ``sequential=True``."""


def load(path) -> dict:
    """The plan at ``path``, checked; ``plan["sha256"]`` is the digest of the file as read. ValueError naming
    what is wrong."""
    with open(path, "rb") as f:
        raw = f.read()
    plan = json.loads(raw)
    if plan.get("format") == AMENDMENT_FORMAT:
        return _amended(plan, path, hashlib.sha256(raw).hexdigest())
    if plan.get("format") != PLAN_FORMAT:
        raise ValueError(f"{path}: format {plan.get('format')!r}; expected {PLAN_FORMAT!r}")
    seeds = plan.get("seeds", {})
    if plan.get("scale") not in configs.SCALES:
        raise ValueError(f"{path}: scale {plan.get('scale')!r}; expected one of {configs.SCALES}")
    configs.check_request(["mnist"], plan["scale"], ["adam"], seeds.get("count"), seeds.get("first"))
    if plan.get("correction") != "holm":
        raise ValueError(f"{path}: correction {plan.get('correction')!r}; expected 'holm'")
    if not 0 < plan.get("alpha", 0) < 1:
        raise ValueError(f"{path}: alpha {plan.get('alpha')!r}; expected a number between 0 and 1")
    _check_arms_and_comparisons(plan, path)
    return {**plan, "sha256": hashlib.sha256(raw).hexdigest(), "path": str(path)}


def _check_arms_and_comparisons(plan: dict, path) -> None:
    for name, arm in plan["arms"].items():
        if arm.get("experiment") not in plan["experiments"]:
            raise ValueError(f"{path}: arm {name!r} has experiment {arm.get('experiment')!r}; expected one of "
                             f"the plan's experiments {sorted(plan['experiments'])}")
        configs.check_request([arm["experiment"]], plan["scale"], [arm.get("rule")], 1)
        if arm.get("eta") not in ("tune", "committed"):
            raise ValueError(f"{path}: arm {name!r} has eta {arm.get('eta')!r}; expected 'tune' or 'committed'")
        configs.check_settings(arm.get("settings", {}))
        model = arm.get("model_settings", {})
        built = getattr(tasks.EXPERIMENTS.get(arm["experiment"]), "MODEL", None)  # the model the experiment trains
        known = models.MODELS[built].CONFIGS["class"] if built else {}
        if not isinstance(model, dict) or set(model) - set(known):
            raise ValueError(f"{path}: arm {name!r} has model_settings {model!r}; expected a dict of some of "
                             f"{sorted(known)}")
        wider = arm.get("max_extensions")
        if wider is not None and (arm["eta"] != "tune" or isinstance(wider, bool) or not isinstance(wider, int)
                                  or wider < 0):
            raise ValueError(f"{path}: arm {name!r} has max_extensions {wider!r}; expected a whole number >= 0, "
                             "on an arm whose eta is 'tune'")
    ids = [c["id"] for c in plan["primary"] + plan["exploratory"]]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: comparison ids repeat: {sorted(i for i in set(ids) if ids.count(i) > 1)}")
    for c in plan["primary"] + plan["exploratory"]:
        missing = [a for a in (c["better"], c["worse"]) if a not in plan["arms"]]
        if missing and not c.get("conditional"):
            raise ValueError(f"{path}: comparison {c['id']!r} names arm(s) {missing} that the plan does not define")


def _amended(amendment: dict, path, sha256: str) -> dict:
    """The plan that ``amendment`` (read from ``path``) names, with it merged; ValueError where the amendment
    would change what the plan fixed."""
    named = amendment.get("amends", {})
    plan = load(_from_root(path, named.get("plan", "")))
    own = (plan.get("amendment") or {}).get("sha256") or plan["sha256"]  # an amendment may amend an amendment
    if own != named.get("sha256"):
        raise ValueError(f"{path}: amends {named.get('plan')!r} with SHA-256 {named.get('sha256')!r}, but that "
                         f"file is now {own!r}: the plan changed after the amendment was written")
    if amendment.get("primary"):
        raise ValueError(f"{path}: an amendment cannot add primary comparisons; the plan fixed its family")
    redefined = sorted(set(amendment.get("arms", {})) & set(plan["arms"]))
    if redefined:
        raise ValueError(f"{path}: arm(s) {redefined} are the plan's; an amendment cannot redefine them")
    used = {a["experiment"] for a in plan["arms"].values()}
    touched = sorted(set(amendment.get("experiments", {})) & used)
    if touched:
        raise ValueError(f"{path}: experiment(s) {touched} have arms in the plan; an amendment cannot redefine them")
    this = {"title": amendment.get("title", ""), "path": str(path), "sha256": sha256,
            "results_of_the_plan": named.get("results")}
    earlier = plan.get("judged_from", {})
    merged = {**plan,
              "experiments": {**plan["experiments"], **amendment.get("experiments", {})},
              "arms": {**plan["arms"], **amendment.get("arms", {})},
              "exploratory": plan["exploratory"] + amendment.get("exploratory", []),
              "amendment": this, "amendments": plan.get("amendments", []) + [this],
              "judged_from": {**{arm: _from_root(path, named["results"]) for arm in plan["arms"] if arm not in earlier},
                              **earlier} if named.get("results") else dict(earlier)}
    _check_arms_and_comparisons(merged, path)
    return merged


def _from_root(path, relative: str) -> str:
    """``relative`` (written from the repository root, as the plans under ``docs/reproduction/`` are) as a
    path from here."""
    if os.path.isabs(relative) or os.path.exists(relative):
        return relative
    here = os.path.dirname(os.path.abspath(str(path)))
    root = os.path.dirname(os.path.dirname(here)) if here.endswith(os.path.join("docs", "reproduction")) else here
    return os.path.join(root, relative)


def seeds(plan: dict) -> list[int]:
    return list(range(plan["seeds"]["first"], plan["seeds"]["first"] + plan["seeds"]["count"]))


def arm_folder(out: str, arm: str, plan: dict | None = None) -> str:
    """Where ``arm``'s results are: under ``out``, or, for an arm of an amended plan, its plan's results."""
    return os.path.join((plan or {}).get("judged_from", {}).get(arm, out), *arm.split("/"))


def _order(plan: dict) -> list[str]:
    """The arms of the primary comparisons first, then those only the exploratory ones need."""
    named = [a for c in plan["primary"] + plan["exploratory"] for a in (c["better"], c["worse"])]
    return [a for a in dict.fromkeys(named + list(plan["arms"]))
            if a in plan["arms"] and a not in plan.get("judged_from", {})]


def run(plan: dict, out: str, *, jobs: int = 1, progress: bool = False, log=print, sequential: bool = False,
        judge_after: bool = True) -> dict:
    """Tune and train every arm of ``plan`` into ``out`` (resuming what is there), then :func:`judge`."""
    _check_not_looked(plan, out, sequential)
    order = _order(plan)
    if plan.get("judged_from"):
        log(f"plan: {len(plan['judged_from'])} arms of {plan['path']} and its earlier amendments are judged "
            f"from {', '.join(sorted(set(plan['judged_from'].values())))}, as they were trained there (not "
            f"retrained); the amendment trains {len(order)}: {', '.join(order)}")
    primary_arms = {a for c in plan["primary"] for a in (c["better"], c["worse"]) if a in plan["arms"]}
    with parallel.executor(jobs) as pool:
        for group in ([a for a in order if a in primary_arms], [a for a in order if a not in primary_arms]):
            results = {arm: _tune_or_read(plan, arm, out, pool, log) for arm in group}
            specs = [(arm, parallel.spec(_common(plan, arm, out), plan["arms"][arm]["rule"],
                                         results[arm]["lr"], seed, "result"))
                     for seed in seeds(plan) for arm in group]
            for (arm, _), record in zip(specs, parallel.run_all(pool, [s for _, s in specs], progress),
                                        strict=True):
                _add_run(results[arm], record, out, arm)
                log(f"plan {arm} seed {record['seed']}: {record['status']} ({record['wall_s']:.0f} s)")
    return judge(plan, out, sequential=sequential) if judge_after else {}


def _common(plan, arm, out) -> dict:
    a = plan["arms"][arm]
    cfg = {**configs.get(a["experiment"], plan["scale"]), "impl": "reference", "layers": "fast"}
    if a.get("model_settings"):
        cfg["model_settings"] = {**cfg.get("model_settings", {}), **a["model_settings"]}
    return {"name": a["experiment"], "scale": plan["scale"], "cfg": cfg, "out": arm_folder(out, arm),
            "settings": configs.check_settings(a.get("settings", {}))}


def _tune_or_read(plan, arm, out, pool, log) -> dict:
    """The arm's results document (reproduce's format, one experiment and rule), with its η chosen."""
    a, common = plan["arms"][arm], _common(plan, arm, out)
    name, rule = a["experiment"], a["rule"]
    folder = arm_folder(out, arm)
    if a["eta"] == "tune":
        chosen, details = tuning.tune_learning_rates(common, [rule], pool, False, log,
                                                     max_extensions=a.get("max_extensions"))
        atomic_write_json(os.path.join(folder, "tuning.json"),
                          tuning.learning_rates_document({name: details}, plan["scale"]), indent=1,
                          ensure_ascii=True)
        source = "--tune for this arm (tuning.json beside it)"
    else:
        chosen, source = configs.learning_rates(name, [rule]), "learning_rates.json (committed)"
    return {"format": RESULTS_FORMAT, "scale": plan["scale"], "seeds": plan["seeds"]["count"],
            "first_seed": plan["seeds"]["first"], "rules": [rule], "settings": common["settings"],
            "plan": {"sha256": plan["sha256"], "arm": arm, "computes": a.get("computes", "")},
            "backend": backend.backend_name(backend.get_xp()), "versions": versions(), "wall_s": 0.0,
            "experiments": {name: {"config": common["cfg"], "dataset": datasets.describe(name, common["cfg"]),
                                   "metric": tasks.EXPERIMENTS[name].METRIC, "learning_rates": chosen,
                                   "lr_source": source,
                                   "rules": {rule: {"lr": chosen[rule], "runs": [], "summary": None}}}},
            "lr": chosen[rule]}


def _add_run(results, record, out, arm) -> None:
    exp = next(iter(results["experiments"].values()))
    info = next(iter(exp["rules"].values()))
    info["runs"] = [r for r in info["runs"] if r["seed"] != record["seed"]] + [record]
    info["summary"] = report.summarize(info["runs"], exp["metric"]["name"])
    results["wall_s"] = sum(r["wall_s"] for r in info["runs"])
    atomic_write_json(os.path.join(arm_folder(out, arm), "results.json"),
                      {k: v for k, v in results.items() if k != "lr"}, indent=1, ensure_ascii=True)


# -- judging --------------------------------------------------------------------------------------------------


def arm_values(plan: dict, out: str, arm: str) -> dict | None:
    """seed → the plan's metric of ``arm`` on the plan's seeds (finished runs only); None when not run."""
    return _arm_metric(plan, out, arm, None)


def _arm_metric(plan: dict, out: str, arm: str, key: str | None) -> dict | None:
    """seed → ``key`` (default: the plan's metric) of ``arm`` on the plan's seeds; None when not run."""
    a = plan["arms"].get(arm)
    path = os.path.join(arm_folder(out, arm, plan), "results.json")
    if a is None or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    metric = plan["experiments"][a["experiment"]]
    values = seed_values(results, a["experiment"], a["rule"], metric["split"], key or metric.get("key"))
    return {s: v for s, v in values.items() if s in seeds(plan)}


def gate(plan: dict, out: str, comparison: dict) -> list | None:
    """For a comparison whose experiment names a ``baseline``: each arm's metric − baseline per seed (paired,
    95 %), and whether the arm passes (the whole interval below 0). None when there is no baseline to pass."""
    experiment = plan["experiments"].get(comparison.get("conditional") or "", {})
    if not experiment.get("baseline"):
        return None
    checks = []
    for arm in (comparison["better"], comparison["worse"]):
        metric, baseline = arm_values(plan, out, arm), _arm_metric(plan, out, arm, experiment["baseline"])
        p = verdicts.paired(metric or {}, baseline or {})
        checks.append({"arm": arm, "baseline": experiment["baseline"], "paired": p.__dict__,
                       "passes": p.verdict == verdicts.SUPPORTED})  # the whole interval below 0
    return checks


def compare(plan: dict, out: str, comparison: dict) -> dict:
    """One comparison's paired test, or ``not compared`` with the reason."""
    row = {"id": comparison["id"], "question": comparison["question"], "better": comparison["better"],
           "worse": comparison["worse"], "planned_seeds": len(seeds(plan)), "means": None, "holm": None}
    a, b = arm_values(plan, out, comparison["better"]), arm_values(plan, out, comparison["worse"])
    if a is None or b is None:
        condition = plan["experiments"].get(comparison.get("conditional") or "", {}).get("condition")
        reason = "an arm was not run" + (f" ({condition})" if condition else "")
        return {**row, "verdict": NOT_COMPARED, "reason": reason, "paired": None}
    checks = gate(plan, out, comparison)
    if checks is not None:
        row["gate"] = checks
        failed = [c["arm"] for c in checks if not c["passes"]]
        if failed:
            return {**row, "verdict": NOT_COMPARED, "paired": None,
                    "reason": f"the gate: {', '.join(failed)} does not beat its shuffled baseline "
                              "(paired, 95 %) on the plan's seeds"}
    paired = verdicts.paired(a, b)
    row["means"] = {"better": _mean(a, paired.seeds), "worse": _mean(b, paired.seeds)}
    if paired.p is None:
        return {**row, "verdict": NOT_COMPARED, "paired": paired.__dict__,
                "reason": f"{len(paired.differences)} paired seed(s) < {verdicts.MIN_SEEDS}"}
    return {**row, "verdict": paired.verdict, "paired": paired.__dict__, "reason": ""}


def _mean(values: dict, over) -> float | None:
    return sum(values[s] for s in over) / len(over) if over else None


def judge(plan: dict, out: str, *, sequential: bool = False) -> dict:
    """Every comparison of ``plan`` from the arms in ``out``; Holm over the compared primary ones. Writes
    ``plan-verdicts.json`` and ``plan-claims.md`` and records the look (see the module docstring)."""
    primary = [compare(plan, out, c) for c in plan["primary"]]
    exploratory = [compare(plan, out, c) for c in plan["exploratory"]]
    compared = [r for r in primary if r["verdict"] != NOT_COMPARED]
    for r, adj in zip(compared, verdicts.holm([r["paired"]["p"] for r in compared], plan["alpha"]), strict=True):
        p = verdicts.Paired(**{**r["paired"], "seeds": tuple(r["paired"]["seeds"]),
                               "differences": tuple(r["paired"]["differences"])})
        r["holm"] = {**adj, "interval": verdicts.interval(p, 1 - adj["level"]),
                     "bonferroni_interval": verdicts.interval(p, 1 - plan["alpha"] / len(compared))}
        r["verdict"] = (verdicts.INCONCLUSIVE if not adj["rejected"] else
                        verdicts.SUPPORTED if p.mean < 0 else verdicts.NOT_SUPPORTED)
    os.makedirs(out, exist_ok=True)
    looks = _record_look(plan, out, primary + exploratory, sequential)
    document = {"plan": {k: plan[k] for k in ("title", "sha256", "path", "alpha", "correction", "seeds")},
                "amendment": plan.get("amendment"), "amendments": plan.get("amendments", []),
                "family_size": len(compared), "primary": primary, "exploratory": exploratory,
                "looks": looks, "sequential": any(look["sequential"] for look in looks),
                "arms": {arm: arm_facts(plan, out, arm) for arm in plan["arms"]},
                "judged_by": provenance.provenance()}
    document["arms_at_edge"] = sorted(a for a, f in document["arms"].items() if f and f["at_edge"])
    atomic_write_json(os.path.join(out, "plan-verdicts.json"), document, indent=1, ensure_ascii=True)
    atomic_write_text(os.path.join(out, "plan-claims.md"), claims_markdown(document))
    if plan.get("reanalysis") and not plan.get("amendment"):
        reanalyse(plan, out)
    return document


def arm_facts(plan: dict, out: str, arm: str) -> dict | None:
    """What the report says of an arm: its η and where it came from, whether a search left it on the edge of
    what it tried, the commits that trained its runs, and its finished seeds; None when it was not run."""
    folder = arm_folder(out, arm, plan)
    path = os.path.join(folder, "results.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    a = plan["arms"][arm]
    exp = results["experiments"][a["experiment"]]
    runs = exp["rules"][a["rule"]]["runs"]
    searched = None  # the search behind the η: the arm's own, or the committed one (learning_rates.json)
    if os.path.exists(os.path.join(folder, "tuning.json")):
        with open(os.path.join(folder, "tuning.json"), encoding="utf-8") as f:
            searched = json.load(f)
    elif a["eta"] == "committed":
        searched = configs._committed()
    edge = None if searched is None else f"{a['experiment']}/{a['rule']}" in searched.get("at_edge", [])
    return {"computes": a.get("computes", ""), "eta": exp["rules"][a["rule"]]["lr"], "eta_from": exp["lr_source"],
            "at_edge": edge, "folder": folder,
            "trained_by": sorted({r.get("trained_by", {}).get("git_commit", "?")[:7] for r in runs}),
            "finished_seeds": sorted(r["seed"] for r in runs if r["status"] == "finished")}


def reanalyse(plan: dict, out: str) -> dict:
    """The plan's ``reanalysis``: an earlier run's claims with Holm over all their pair tests
    (:func:`claims.with_holm`), written to ``reanalysis.json`` and ``reanalysis.md`` in ``out``."""
    path = plan["reanalysis"]["results"]
    with open(path if os.path.isabs(path) else os.path.join(_root(plan), path), encoding="utf-8") as f:
        again = claims.with_holm(json.load(f), plan["alpha"])
    again["results"] = path
    atomic_write_json(os.path.join(out, "reanalysis.json"), again, indent=1, ensure_ascii=True)
    atomic_write_text(os.path.join(out, "reanalysis.md"), claims.holm_markdown(again))
    return again


def _root(plan: dict) -> str:
    """The repository root of a plan under ``docs/reproduction/`` (paths in it are from the root)."""
    here = os.path.dirname(os.path.abspath(plan["path"]))
    return os.path.dirname(os.path.dirname(here)) if here.endswith(os.path.join("docs", "reproduction")) else "."


def _look_seeds(rows) -> dict:
    return {r["id"]: sorted(r["paired"]["seeds"]) if r["paired"] else [] for r in rows}


def _read_looks(out, plan: dict | None = None) -> list:
    """The looks recorded in ``out``; for an amended plan with none there yet, the plan's own looks."""
    path = os.path.join(out, LOOKS_FILE)
    results = (plan or {}).get("amendment", {}) and _from_root(plan["amendment"]["path"],
                                                               plan["amendment"]["results_of_the_plan"] or "")
    if not os.path.exists(path) and results and os.path.exists(os.path.join(results, LOOKS_FILE)):
        path = os.path.join(results, LOOKS_FILE)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return json.load(f)["looks"]


def _check_not_looked(plan, out, sequential) -> None:
    """Before a run: seeds of the plan that no earlier look covered would be added after a look."""
    looks = _read_looks(out, plan)
    if not looks or sequential:
        return
    judged = {s for ids in looks[-1]["seeds"].values() for s in ids}
    if looks[-1].get("planned_seeds") != seeds(plan) or not set(seeds(plan)) <= judged:
        raise SequentialLookError(
            f"verdicts of this plan were written in {out} (look {len(looks)}, seeds {sorted(judged)}); running "
            f"seeds {sorted(set(seeds(plan)) - judged) or seeds(plan)} now adds seeds after a look, which is "
            "sequential testing: pass --sequential to run them and report the verdicts as sequential")


def _record_look(plan, out, rows, sequential) -> list:
    looks = _read_looks(out, plan)
    now = _look_seeds(rows)
    before = looks[-1]["seeds"] if looks else {}
    changed = sorted(i for i, judged in before.items() if judged and now.get(i) != judged)
    added = sorted(i for i in now if now[i] and not before.get(i))
    if looks and not changed and not added:
        return looks  # the same seeds judged again: not a new look
    if changed and not sequential:
        raise SequentialLookError(
            f"verdicts of this plan were written with other seeds for {', '.join(changed)} (look {len(looks)}); "
            "judging again with more seeds is sequential testing: pass --sequential to record it and report "
            "it as such")
    looks = looks + [{"look": len(looks) + 1, "seeds": now, "planned_seeds": seeds(plan),
                      "plan_sha256": plan["sha256"], "commit": provenance.provenance()["git_commit"],
                      "amendment_sha256": (plan.get("amendment") or {}).get("sha256"),
                      "adds_comparisons": added, "sequential": bool(changed)}]
    atomic_write_json(os.path.join(out, LOOKS_FILE), {"looks": looks}, indent=1, ensure_ascii=True)
    return looks


# -- the report -----------------------------------------------------------------------------------------------


def _g(x, digits=3) -> str:
    return "–" if x is None else f"{x:+.{digits}g}" if x != 0 else "0"


def _interval(iv) -> str:
    return "–" if iv is None else f"[{_g(iv[0])}, {_g(iv[1])}]"


def claims_markdown(document: dict) -> str:
    """The plan's verdicts as a report: the primary family with Holm beside the unadjusted numbers, then the
    exploratory comparisons, then the looks."""
    plan, primary = document["plan"], document["primary"]
    m = document["family_size"]
    lines = [f"# {plan['title']}", "",
             f"Plan `{plan['path']}` (SHA-256 `{plan['sha256'][:12]}…`), planned seeds "
             f"{plan['seeds']['first']}–{plan['seeds']['first'] + plan['seeds']['count'] - 1}. "
             f"**Primary** comparisons: Holm–Bonferroni over the {m} compared, family-wise α = {plan['alpha']}; "
             "the adjusted interval is at the level Holm tested each comparison at (it excludes 0 exactly when "
             "Holm rejects), the Bonferroni interval at 1 − α/m has simultaneous coverage; the unadjusted 95 % "
             "interval and p are beside them. **Exploratory** comparisons are unadjusted and decide nothing. "
             "Differences are better arm − worse arm (lower is better).", ""]
    for a in document.get("amendments") or ([document["amendment"]] if document.get("amendment") else []):
        lines += [f"Amended by `{a['path']}` (SHA-256 `{a['sha256'][:12]}…`): {a['title']}. The arms it did not "
                  f"define are judged from `{a['results_of_the_plan']}` and the folders before it, as they were "
                  "trained there.", ""]
    if m == 0:
        lines += ["**Primary family: nothing compared** (no comparison had 3 paired seeds); no verdict.", ""]
    lines += ["### Primary", "",
              "| comparison | seeds | mean Δ | 95 % interval (unadjusted) | p | Holm p | Holm interval | "
              "Bonferroni interval | verdict |", "|---|---|---|---|---|---|---|---|---|"]
    for r in primary:
        lines.append(_row(r, adjusted=True))
    lines += ["", "### Exploratory (unadjusted; decides nothing)", "",
              "| comparison | seeds | mean Δ | 95 % interval | p | verdict at 95 % |", "|---|---|---|---|---|---|"]
    for r in document["exploratory"]:
        lines.append(_row(r, adjusted=False))
    arms = {a: f for a, f in (document.get("arms") or {}).items() if f}
    if arms:
        lines += ["", "### The arms: what each computes, its η, what trained it", "",
                  "| arm | computes | η | chosen by | on the edge of its search? | trained by | finished seeds |",
                  "|---|---|---|---|---|---|---|"]
        for arm, f in arms.items():
            edge = "–" if f["at_edge"] is None else "**yes**" if f["at_edge"] else "no"
            lines.append(f"| `{arm}` | {f['computes']} | {f['eta']:.3g} | {f['eta_from']} | {edge} | "
                         f"{', '.join(f['trained_by'])} | {len(f['finished_seeds'])} |")
    gated = [c for r in primary + document["exploratory"] for c in r.get("gate") or []]
    if gated:
        lines += ["", "### The gate: each arm against its shuffled baseline", "",
                  "| arm | seeds | mean (metric − baseline) | 95 % interval | passes |", "|---|---|---|---|---|"]
        for c in {c["arm"]: c for c in gated}.values():
            p = c["paired"]
            lines.append(f"| `{c['arm']}` − its `{c['baseline']}` | {len(p['seeds'])} | {_g(p['mean'])} | "
                         f"{_interval(None if p['low'] is None else (p['low'], p['high']))} | "
                         f"{'yes' if c['passes'] else '**no**'} |")
    looks = document["looks"]
    lines += ["", f"Looks: {len(looks)}" + (" — **sequential**: seeds were added after verdicts were written; "
                                            "α is not spent across the looks, so these verdicts are weaker than "
                                            "they read." if document["sequential"] else
                                            " (the verdicts were written once)." if len(looks) == 1 else
                                            " (a later look only added comparisons that had no seeds before; "
                                            "no comparison judged earlier gained a seed).")]
    for look in looks:
        if look.get("adds_comparisons") and look["look"] > 1:
            lines.append(f"Look {look['look']} added: {', '.join(look['adds_comparisons'])}.")
    return "\n".join(lines) + "\n"


def _row(r, adjusted: bool) -> str:
    p = r["paired"]
    label = f"{r['question']} (`{r['better']}` − `{r['worse']}`)"
    if r["verdict"] == NOT_COMPARED:
        blanks = " – |" * (6 if adjusted else 3)
        return f"| {label} | {len(p['differences']) if p else 0} of {r['planned_seeds']} |{blanks} " \
               f"**{NOT_COMPARED}**: {r['reason']} |"
    n = f"{len(p['seeds'])} of {r['planned_seeds']}"
    base = f"| {label} | {n} | {_g(p['mean'])} | {_interval((p['low'], p['high']))} | {p['p']:.2g} |"
    if not adjusted:
        return base + f" {r['verdict']} |"
    h = r["holm"]
    return base + (f" {h['p']:.2g} | {_interval(h['interval'])} | {_interval(h['bonferroni_interval'])} | "
                   f"**{r['verdict']}** |")
