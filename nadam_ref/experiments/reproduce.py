"""``reproduce``: run the paper's experiments for every rule and seed, resumably, and write the outputs.

The output folder holds::

    results.json     every run, epoch by epoch (train/valid/test metrics), η, seed, wall time, config,
    versions table.md         the paper's 3×3 tables, this run beside the paper (report.table_markdown)
    claims.md        the paper's qualitative claims, checked (report.claims_markdown)
    curves.png       learning curves of every rule (report.plot_curves)
    tuning.json      with --tune: every η tried and its validation score, and the η chosen, in the format
                     of the package's learning_rates.json (copy it there to make the choice the default)
    checkpoints/     EXPERIMENT/RULE/seedS/ (and tuning/...): one resumable checkpoint per run

``results.json`` is rewritten (atomically) after every run, so an interrupted reproduction leaves a valid file
with what it has finished; the same command then resumes and ends with the same contents as an uninterrupted
one (only the measured ``wall_s`` times differ).
"""

from __future__ import annotations

import math
import os
import platform
import shutil
import sys

from .. import __version__, backend
from .._io import atomic_write_json, atomic_write_text, check_writable
from ..fused import check_impl
from ..rules import PAPER_RULES
from . import configs, report, runner, tasks

RESULTS_FORMAT = "nadam_ref.reproduce_results/1"


def reproduce(
    experiments,
    scale: str,
    *,
    rules=PAPER_RULES,
    seeds: int = 1,
    out: str = "runs/reproduce",
    fresh: bool = False,
    tune: bool = False,
    impl: str = "reference",
    layers: str = "fast",
    progress: bool = True,
    after_epoch=None,
    log=print,
) -> dict:
    """Run ``experiments`` × ``rules`` × seeds ``0 … seeds-1`` at ``scale`` into ``out``; return the results
    dict.

    ``fresh`` deletes this reproduction's checkpoints first; ``tune`` chooses η per rule on the validation set
    (see :func:`tune_learning_rates`) before the runs, instead of the committed values. ``after_epoch(epoch)``
    is passed to :func:`runner.train_run`. ``impl`` is the optimizer's implementation, ``"reference"`` (the
    rules as their boxes) or ``"fused"`` (:mod:`nadam_ref.fused`, the same numbers to 1e-6 in float32, faster);
    it is part of each run's configuration, so a checkpoint of one is never resumed as the other. ``layers`` is
    the CNN's layer functions (:data:`configs.LAYERS`), part of the configuration in the same way.
    """
    experiments, rules = list(experiments), list(rules)
    configs.check_request(experiments, scale, rules, seeds)
    check_writable(out)
    if fresh:
        for folder in ("checkpoints", "tuning"):
            shutil.rmtree(os.path.join(out, folder), ignore_errors=True)
    xp = backend.get_xp()
    results = {
        "format": RESULTS_FORMAT,
        "scale": scale,
        "seeds": seeds,
        "rules": rules,
        "backend": backend.backend_name(xp),
        "versions": versions(),
        "experiments": {},
        "wall_s": 0.0,
    }
    tuning_all = {}
    for name in experiments:
        cfg = {**configs.get(name, scale), "impl": check_impl(impl), "layers": _checked_layers(layers)}
        data = tasks.DataCache(name, cfg)
        if tune:
            chosen, tuning_all[name] = tune_learning_rates(name, scale, cfg, rules, out, data, progress, log)
            _write_json(os.path.join(out, "tuning.json"), learning_rates_document(tuning_all, scale))
        else:
            chosen = configs.learning_rates(name, rules)
        exp = {
            "config": cfg,
            "metric": tasks.EXPERIMENTS[name].METRIC,
            "learning_rates": chosen,
            "lr_source": "--tune in this run (tuning.json)" if tune else "learning_rates.json",
            "rules": {},
        }
        results["experiments"][name] = exp
        for rule in rules:
            runs = []
            for seed in range(seeds):
                record = _run(name, scale, cfg, rule, chosen[rule], seed, out, data, progress, after_epoch,
                              purpose="result")
                runs.append(record)
                log(_describe(name, record))
            exp["rules"][rule] = {
                "lr": chosen[rule],
                "runs": runs,
                "summary": report.summarize(runs, exp["metric"]["name"]),
            }
            results["wall_s"] = _total_wall(results)
            _write_json(os.path.join(out, "results.json"), results)
    write_outputs(results, out)
    return results


def _run(name, scale, cfg, rule, lr, seed, out, data, progress, after_epoch, purpose, epochs=None):
    epochs = cfg["epochs"] if epochs is None else epochs
    identity = {
        "experiment": name,
        "scale": scale,
        "config": cfg,
        "purpose": purpose,
        "epochs": epochs,
        "rule": rule,
        "hparams": {**configs.PAPER_SETTINGS, "lr": lr},
        "seed": seed,
    }
    sub = "checkpoints" if purpose == "result" else "tuning"
    folder = os.path.join(out, sub, name, rule, f"seed{seed}" if purpose == "result" else f"lr{lr:.6g}")
    return runner.train_run(
        lambda: tasks.EXPERIMENTS[name].make_task(data.get(), cfg, seed),
        identity,
        folder,
        epochs=epochs,
        lr_at=lambda epoch: lr * configs.lr_factor(cfg, epoch),
        hparams=configs.PAPER_SETTINGS,
        clip_norm=cfg.get("clip_norm"),
        impl=cfg.get("impl", "reference"),
        progress=progress,
        after_epoch=after_epoch,
    )


def _checked_layers(layers: str) -> str:
    if layers not in configs.LAYERS:
        raise ValueError(f"layers={layers!r}; expected one of {configs.LAYERS}")
    return layers


def tune_learning_rates(name, scale, cfg, rules, out, data, progress=True, log=print):
    """Choose η per rule on the validation set, returning ``(chosen, details)``.

    Seed 0 is trained for ``cfg["tune"]["epochs"]`` epochs at each η = centre × factor
    (``cfg["tune"]["factors"]``, centres :data:`configs.LR_CENTRES`), and the η with the lowest validation
    metric after the last epoch wins; a diverged run scores +inf. While the winner is the smallest or largest
    η tried, one more step of the grid's ratio is tried beyond it, at most :data:`configs.MAX_TUNE_EXTENSIONS`
    times.
    """
    spec = cfg["tune"]
    metric = tasks.EXPERIMENTS[name].METRIC["name"]
    factors = sorted(spec["factors"])
    ratio = factors[1] / factors[0] if len(factors) > 1 else 10**0.5
    chosen, details = (
        {},
        {"epochs": spec["epochs"], "factors": factors, "metric": f"valid {metric}", "rules": {}},
    )
    for rule in rules:
        centre = configs.LR_CENTRES[name][rule]
        tried: dict[float, dict] = {}

        def score(lr, rule=rule, tried=tried):
            lr = float(f"{lr:.3g}")
            if lr not in tried:
                record = _run(
                    name,
                    scale,
                    cfg,
                    rule,
                    lr,
                    0,
                    out,
                    data,
                    progress,
                    None,
                    purpose="tune",
                    epochs=spec["epochs"],
                )
                value = record["epochs"][-1]["valid"][metric] if record["status"] == "finished" else math.inf
                tried[lr] = {"lr": lr, "valid": value, "status": record["status"], "wall_s": record["wall_s"]}
                log(f"tune {name} {rule} η={lr:.3g}: valid {metric} {value:.4g} ({record['status']})")
            return lr

        for factor in factors:
            score(centre * factor)
        for _ in range(configs.MAX_TUNE_EXTENSIONS):
            best = min(tried.values(), key=lambda c: (c["valid"], c["lr"]))["lr"]
            if best == min(tried) and len(tried) > 1:
                score(best / ratio)
            elif best == max(tried) and len(tried) > 1:
                score(best * ratio)
            else:
                break
        candidates = [tried[lr] for lr in sorted(tried)]
        chosen[rule] = min(candidates, key=lambda c: (c["valid"], c["lr"]))["lr"]
        details["rules"][rule] = {"centre": centre, "candidates": candidates, "chosen": chosen[rule]}
    return chosen, details


def learning_rates_document(tuning_all: dict, scale: str) -> dict:
    """What ``--tune`` found, as ``learning_rates.json`` stores it: ``chosen`` (experiment → rule → η) and the
    ``search`` behind it. An η that is still the smallest or largest tried (the walk stopped at its limit) is
    listed under ``at_edge``."""
    at_edge = [f"{name}/{rule}" for name, found in tuning_all.items() for rule, r in found["rules"].items()
               if len(r["candidates"]) > 1
               and r["chosen"] in (r["candidates"][0]["lr"], r["candidates"][-1]["lr"])]
    return {"scale": scale, "chosen": {name: {rule: r["chosen"] for rule, r in found["rules"].items()}
                                       for name, found in tuning_all.items()},
            "at_edge": at_edge, "search": tuning_all}


def write_outputs(results: dict, out: str) -> None:
    """results.json, table.md, claims.md and curves.png, each written atomically."""
    _write_json(os.path.join(out, "results.json"), results)
    atomic_write_text(os.path.join(out, "table.md"), report.table_markdown(results))
    atomic_write_text(os.path.join(out, "claims.md"), report.claims_markdown(results))
    report.plot_curves(results, os.path.join(out, "curves.png"))


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
    return found


def _describe(name, record) -> str:
    if record["status"] == "diverged":
        return f"{name} {record['rule']} seed {record['seed']}: diverged at {record['diverged_at']}"
    last = record["epochs"][-1]
    return (
        f"{name} {record['rule']} seed {record['seed']}: "
        + ", ".join(f"{split} {k} {v:.4g}" for split in ("valid", "test") for k, v in last[split].items())
        + f" ({record['wall_s']:.1f} s)"
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
