"""``reproduce``: run the paper's experiments for every rule and seed, resumably, and write the outputs.

The output folder holds::

    results.json     every run, epoch by epoch (train/valid/test metrics), η, seed, wall time, config,
    versions table.md         the paper's 3×3 tables, this run beside the paper (report.table_markdown)
    claims.md        the paper's qualitative claims, checked (report.claims_markdown)
    curves.png       learning curves of every rule (report.plot_curves)
    tuning.json      with --tune: every η tried and its validation score, and the η chosen, in the format
                     of the package's learning_rates.json (copy it there to make the choice the default)
    sensitivity-EXPERIMENT.png   with --tune: the validation metric against η, one curve per rule
    checkpoints/     EXPERIMENT/RULE/seedS/ (and tuning/...): one resumable checkpoint per run

``results.json`` is rewritten (atomically) after every run, so an interrupted reproduction leaves a valid file
with what it has finished; the same command then resumes and ends with the same contents as an uninterrupted
one (only the measured ``wall_s`` times differ).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys

from .. import __version__, backend
from .._io import atomic_write_json, atomic_write_text, check_writable
from ..fused import check_impl
from ..rules import PAPER_RULES
from . import configs, datasets, parallel, provenance, report, tasks, tuning

RESULTS_FORMAT = "nadam_ref.reproduce_results/1"


def reproduce(
    experiments,
    scale: str,
    *,
    rules=PAPER_RULES,
    seeds: int = 1,
    first_seed: int = 0,
    out: str = "runs/reproduce",
    fresh: bool = False,
    tune: bool | str = False,
    impl: str = "reference",
    layers: str = "fast",
    progress: bool = True,
    after_epoch=None,
    log=print,
    jobs: int = 1,
    scheduler: str | None = None,
    data_dir=None,
    settings: dict | None = None,
    epochs: int | None = None,
    learning_rates=None,
) -> dict:
    """Run ``experiments`` × ``rules`` × seeds ``first_seed … first_seed+seeds-1`` at ``scale`` into ``out``;
    return the results dict.

    ``fresh`` deletes this reproduction's checkpoints first; ``tune`` chooses η per rule on the validation set
    (:func:`tuning.tune_learning_rates`, on seeds disjoint from the reported ones) before the runs, instead of
    the committed values; ``tune="refine"`` searches only a quarter-decade grid around the committed values.
    ``after_epoch(epoch)`` is passed to :func:`runner.train_run` (in this process only).
    ``impl`` is the optimizer's implementation, ``"reference"`` (the rules as their boxes) or ``"fused"``
    (:mod:`nadam_ref.fused`, the same numbers to 1e-6 in float32, faster); it is part of each run's
    configuration, so a checkpoint of one is never resumed as the other. ``layers`` is the CNN's layer functions
    (:data:`configs.LAYERS`), part of the configuration in the same way.

    ``jobs`` runs that many (experiment, rule, seed) runs at once in worker processes, ``scheduler`` sends them
    to a Dask distributed scheduler at that address (:mod:`.parallel`); either way ``results.json`` is the same
    as with ``jobs=1`` apart from the measured wall times. ``data_dir`` points every experiment at other data
    (:func:`datasets.with_data_dir`). ``settings`` overrides the paper's shared hyper-parameters for every rule
    (an ablation, :data:`configs.SETTING_NAMES`); ``epochs`` overrides the configured number of epochs;
    ``learning_rates`` is a file in the format of ``learning_rates.json`` (a run's ``tuning.json``) to take η
    from instead of the committed one.
    """
    experiments, rules = list(experiments), list(rules)
    configs.check_request(experiments, scale, rules, seeds, first_seed)
    seed_list = range(first_seed, first_seed + seeds)
    settings = configs.check_settings(settings or {})
    if after_epoch is not None and (jobs > 1 or scheduler):
        raise ValueError("after_epoch runs in this process only; use jobs=1 and no scheduler")
    check_writable(out)
    if fresh:
        for folder in ("checkpoints", "tuning"):
            shutil.rmtree(os.path.join(out, folder), ignore_errors=True)
    xp = backend.get_xp()
    results = {
        "format": RESULTS_FORMAT,
        "scale": scale,
        "seeds": seeds,
        "first_seed": first_seed,
        "rules": rules,
        "settings": settings,
        "backend": backend.backend_name(xp),
        "versions": versions(),
        "experiments": {},
        "wall_s": 0.0,
    }
    tuning_all = {}
    with parallel.executor(jobs, scheduler) as pool:
        for name in experiments:
            cfg = datasets.with_data_dir(name, {**configs.get(name, scale), "impl": check_impl(impl),
                                                           "layers": _checked_layers(layers)}, data_dir)
            if epochs is not None:
                cfg["epochs"] = configs.check_epochs(epochs)
            common = {"name": name, "scale": scale, "cfg": cfg, "out": out, "settings": settings}
            dataset = datasets.describe(name, cfg)
            if tune:
                around = _learning_rates(name, rules, learning_rates) if tune == "refine" else None
                chosen, tuning_all[name] = tuning.tune_learning_rates(common, rules, pool, progress, log, around)
                _write_json(os.path.join(out, "tuning.json"),
                            tuning.learning_rates_document(tuning_all, scale, _earlier_tuning(out, scale)))
                report.plot_sensitivity(tuning_all[name], name, os.path.join(out, f"sensitivity-{name}.png"),
                                        dataset["name"])
            else:
                chosen = _learning_rates(name, rules, learning_rates)
            exp = {
                "config": cfg,
                "dataset": dataset,
                "metric": tasks.EXPERIMENTS[name].METRIC,
                "learning_rates": chosen,
                "lr_source": "--tune in this run (tuning.json)" if tune else (learning_rates or "learning_rates.json"),
                "rules": {},
            }
            results["experiments"][name] = exp
            # seed-major: stopped at any point, the seeds done so far hold every rule (pairs for the verdicts)
            specs = [parallel.spec(common, rule, chosen[rule], seed, "result")
                     for seed in seed_list for rule in rules]
            records = {}
            for s, record in zip(specs, parallel.run_all(pool, specs, progress, after_epoch), strict=True):
                records[s["rule"], s["seed"]] = record
                log(_describe(name, record))
                # after every run, what has finished so far: an interrupted reproduction leaves a valid file
                for rule in rules:
                    runs = [records[rule, seed] for seed in seed_list if (rule, seed) in records]
                    exp["rules"][rule] = {"lr": chosen[rule], "runs": runs,
                                          "summary": report.summarize(runs, exp["metric"]["name"])}
                results["wall_s"] = _total_wall(results)
                _write_json(os.path.join(out, "results.json"), results)
    write_outputs(results, out)
    return results


def _earlier_tuning(out, scale) -> dict:
    """The searches of earlier ``--tune`` runs in ``out`` at ``scale`` (other experiments run separately), so
    that tuning.json holds every experiment tuned there."""
    try:
        with open(os.path.join(out, "tuning.json"), encoding="utf-8") as f:
            earlier = json.load(f)
    except (OSError, ValueError):
        return {}
    return earlier.get("search", {}) if earlier.get("scale") == scale else {}


def _learning_rates(name, rules, path):
    return configs.learning_rates(name, rules) if path is None else configs.learning_rates(name, rules, path)


def _checked_layers(layers: str) -> str:
    if layers not in configs.LAYERS:
        raise ValueError(f"layers={layers!r}; expected one of {configs.LAYERS}")
    return layers


def write_outputs(results: dict, out: str) -> None:
    """results.json, table.md, claims.md and curves.png, each written atomically."""
    _write_json(os.path.join(out, "results.json"), results)
    atomic_write_text(os.path.join(out, "table.md"), report.table_markdown(results))
    atomic_write_text(os.path.join(out, "claims.md"), report.few_seeds_markdown(results, out)
                      + report.claims_markdown(results))
    report.plot_curves(results, os.path.join(out, "curves.png"))


def merge_results(documents: list[dict]) -> dict:
    """One results document from several of the same kind (e.g. one process per run, as
    ``tools/gpu_session.sh`` makes them): every run of every rule, with each rule's summary recomputed.
    ValueError when they differ in anything but their rules, seeds and runs (format, scale, settings, backend,
    or an experiment's config, data or metric), naming what differs, or when a run is in two of them."""
    if not documents:
        raise ValueError("nothing to merge: no results documents given")
    first = documents[0]
    same = ("format", "scale", "settings", "backend")
    exp_same = ("config", "dataset", "metric")
    merged = {**first, "experiments": {}, "rules": [], "wall_s": 0.0}
    for i, doc in enumerate(documents):
        for key in same:
            if doc.get(key) != first.get(key):
                raise ValueError(f"results {i}: {key} {doc.get(key)!r} differs from the first's {first.get(key)!r}")
        for name, exp in doc["experiments"].items():
            into = merged["experiments"].setdefault(name, {**exp, "rules": {}, "learning_rates": {}})
            for key in exp_same:
                if exp[key] != into[key]:
                    raise ValueError(f"results {i}: {name}'s {key} differs from the first's")
            for rule, info in exp["rules"].items():
                have = into["rules"].setdefault(rule, {**info, "runs": []})
                if have["lr"] != info["lr"]:
                    raise ValueError(f"results {i}: {name}/{rule} has η {info['lr']}, another {have['lr']}")
                seen = {r["seed"] for r in have["runs"]}
                twice = sorted(seen & {r["seed"] for r in info["runs"]})
                if twice:
                    raise ValueError(f"results {i}: {name}/{rule} seed(s) {twice} are in two documents")
                have["runs"] = sorted(have["runs"] + info["runs"], key=lambda r: r["seed"])
                have["summary"] = report.summarize(have["runs"], exp["metric"]["name"])
                into["learning_rates"][rule] = info["lr"]
    merged["rules"] = sorted({r for exp in merged["experiments"].values() for r in exp["rules"]},
                             key=list(PAPER_RULES).index)
    seeds = sorted({r["seed"] for exp in merged["experiments"].values() for info in exp["rules"].values()
                    for r in info["runs"]})
    merged["first_seed"], merged["seeds"] = seeds[0], seeds[-1] - seeds[0] + 1  # a run missing is unfinished
    merged["wall_s"] = _total_wall(merged)
    return merged


def versions() -> dict:
    import numpy

    found = {
        "nadam_ref": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
    }
    if "cupy" in sys.modules:
        found["cupy"] = sys.modules["cupy"].__version__
    return {**found, **provenance.provenance()}


def _describe(name, record) -> str:
    if record["status"] == "diverged":
        return f"{name} {record['rule']} seed {record['seed']}: diverged at {record['diverged_at']}"
    last = record["epochs"][-1]
    return (
        f"{name} {record['rule']} seed {record['seed']}: "
        + ", ".join(f"{split} {k} {v:.4g}" for split in ("valid", "test") for k, v in last[split].items())
        + f" (trained in {record['wall_s']:.1f} s)"
    )


def _total_wall(results) -> float:
    return sum(
        run["wall_s"]
        for exp in results["experiments"].values()
        for info in exp["rules"].values()
        for run in info["runs"]
    )


def _write_json(path, data) -> None:
    atomic_write_json(path, data, indent=1, ensure_ascii=True)
