"""The η and seed history behind the report: every earlier run a verdict could have been chosen from.

Read from git, not typed: every committed version of ``nadam_ref/experiments/learning_rates.json`` (which η
changed, and what the new search scored at the old and the new η), and every committed version of a
``results.json`` under ``docs/reproduction/`` (its seeds, settings, η, and Nadam − Adam where both ran).
Writes ``docs/reproduction/history.json`` and ``docs/reproduction/history.md``::

    python -m tools.reproduction_history [--out docs/reproduction]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from nadam_ref._io import atomic_write_json, atomic_write_text  # noqa: E402  (the one place that writes files)

LEARNING_RATES = "nadam_ref/experiments/learning_rates.json"
ADAM_NADAM = ("adam", "nadam")


def _git(*args) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _versions(path: str) -> list[tuple[str, str, str]]:
    """(commit, ISO date, subject) of every commit that changed ``path``, oldest first."""
    lines = _git("log", "--reverse", "--format=%h\t%cI\t%s", "--", path).splitlines()
    return [tuple(line.split("\t", 2)) for line in lines if line]


def _show(commit: str, path: str) -> dict:
    return json.loads(_git("show", f"{commit}:{path}"))


def eta_history() -> list[dict]:
    """One entry per version of learning_rates.json: its η, and every η that changed from the version before,
    with the new search's validation score at the old η and at the new one (when it tried both)."""
    out, before = [], None
    for commit, date, subject in _versions(LEARNING_RATES):
        document = _show(commit, LEARNING_RATES)
        chosen = document.get("chosen", {})
        changes = []
        for name, rules in chosen.items():
            for rule, lr in rules.items():
                old = (before or {}).get(name, {}).get(rule)
                if before is not None and old != lr:
                    scores = {c["lr"]: c["valid"] for c in
                              document.get("search", {}).get(name, {}).get("rules", {}).get(rule, {}).get(
                                  "candidates", [])}
                    changes.append({"experiment": name, "rule": rule, "old": old, "new": lr,
                                    "score_old": scores.get(old), "score_new": scores.get(lr),
                                    "tuned_on": {k: document.get("search", {}).get(name, {}).get(k)
                                                 for k in ("seed", "epochs", "metric")}})
        out.append({"commit": commit, "date": date, "subject": subject[:120],
                    "produced_by": document.get("produced_by", {}).get("git_commit"),
                    "chosen": chosen, "changes": changes})
        before = chosen
    return out


def _results_versions() -> list[tuple[str, str, str]]:
    """(commit, date, path) of every added or changed results.json under docs/reproduction, oldest first."""
    text = _git("log", "--reverse", "--diff-filter=AM", "--format=@%h\t%cI", "--name-only", "--",
                "docs/reproduction")
    found, commit, date = [], None, None
    for line in text.splitlines():
        if line.startswith("@"):
            commit, date = line[1:].split("\t")
        elif line.endswith("results.json"):
            found.append((commit, date, line))
    return found


def run_history() -> list[dict]:
    """One entry per committed results.json version: scale, seeds, settings, each experiment's η for Adam and
    Nadam, and the paired Nadam − Adam on its test metric where both ran (what a verdict could be read from)."""
    from nadam_ref.experiments import claims, verdicts

    out = []
    for commit, date, path in _results_versions():
        results = _show(commit, path)
        if "experiments" not in results:
            continue
        first = results.get("first_seed", 0)
        entry = {"commit": commit, "date": date, "path": path, "scale": results.get("scale"),
                 "seeds": list(range(first, first + results.get("seeds", 0))),
                 "settings": results.get("settings", {}),
                 "trained_by": results.get("versions", {}).get("git_commit"), "experiments": {}}
        for name, exp in results["experiments"].items():
            rules = exp.get("rules", {})
            item = {"epochs": exp.get("config", {}).get("epochs"), "rules": sorted(rules),
                    "data": exp.get("dataset", {}).get("name"),
                    "eta": {r: rules[r]["lr"] for r in ADAM_NADAM if r in rules}}
            if all(r in rules for r in ADAM_NADAM):
                p = verdicts.paired(claims.seed_values(results, name, "nadam", "test", None),
                                    claims.seed_values(results, name, "adam", "test", None))
                item["nadam_minus_adam"] = {"n": len(p.seeds), "mean": p.mean, "low": p.low, "high": p.high,
                                            "p": p.p, "verdict": p.verdict}
            entry["experiments"][name] = item
        out.append(entry)
    return out


def used_etas(history: dict) -> list[dict]:
    """Every (experiment, rule, η) of Adam and Nadam in a committed class-scale run that differs from the current
    choice, with the current search's score at it and at the current η."""
    latest = _show(history["eta"][-1]["commit"], LEARNING_RATES) if history["eta"] else {}
    rows, seen = [], set()
    for run in history["runs"]:
        if run["scale"] != "class":
            continue
        for name, e in run["experiments"].items():
            for rule, lr in e["eta"].items():
                current = latest.get("chosen", {}).get(name, {}).get(rule)
                if (name, rule, lr) in seen or lr == current:
                    continue
                seen.add((name, rule, lr))
                scores = {c["lr"]: c["valid"] for c in latest.get("search", {}).get(name, {}).get(
                    "rules", {}).get(rule, {}).get("candidates", [])}
                rows.append({"experiment": name, "rule": rule, "eta": lr, "first_commit": run["commit"],
                             "score": scores.get(lr), "current": current, "current_score": scores.get(current)})
    return rows


def class_all9_facts(path: str) -> dict:
    """Facts of the earlier class-scale run that its report stated from memory, computed from its results:
    the spread of the rules' mean LSTM training losses per epoch, and word2vec's largest single-run top-1."""
    with open(path, encoding="utf-8") as f:
        results = json.load(f)
    lstm = results["experiments"]["lstm"]["rules"]
    spread = []
    for epoch in range(results["experiments"]["lstm"]["config"]["epochs"]):
        means = [sum(r["epochs"][epoch]["train"]["loss"] for r in info["runs"]) / len(info["runs"])
                 for info in lstm.values()]
        spread.append({"epoch": epoch + 1, "spread": max(means) - min(means)})
    top1 = [(r["epochs"][-1]["test"]["top1"], rule, r["seed"])
            for rule, info in results["experiments"]["word2vec"]["rules"].items() for r in info["runs"]]
    best = max(top1)
    return {"lstm_train_loss_spread": spread,
            "word2vec_top1_max": {"top1": best[0], "rule": best[1], "seed": best[2]},
            "word2vec_top1_mean_max": max(
                sum(r["epochs"][-1]["test"]["top1"] for r in info["runs"]) / len(info["runs"])
                for info in results["experiments"]["word2vec"]["rules"].values())}


def _num(x, fmt="{:.3g}") -> str:
    return "–" if x is None else fmt.format(x)


def markdown(history: dict) -> str:
    lines = ["Every version of `learning_rates.json` and the η that changed (score: the new search's validation "
             "metric on the tuning seed at that η, after its tuning epochs):", "",
             "| commit | date | η changed (experiment rule: old → new) | the new search's scores, old η vs new η |",
             "|---|---|---|---|"]
    for v in history["eta"]:
        changed = "; ".join(f"{c['experiment']} {c['rule']}: {_num(c['old'])} → {_num(c['new'])}"
                            for c in v["changes"]) or ("first version" if v is history["eta"][0] else "none")
        scores = "; ".join(f"{c['experiment']} {c['rule']}: {_num(c['score_old'], '{:.4g}')} vs "
                           f"{_num(c['score_new'], '{:.4g}')}" for c in v["changes"]
                           if c["score_old"] is not None) or "–"
        lines.append(f"| {v['commit']} | {v['date'][:10]} | {changed} | {scores} |")
    lines += ["", "Each η that a committed class-scale run of Adam or Nadam used, against the current choice, "
              "scored by the current search (the latest version above; – where it did not try that η):", "",
              "| experiment | rule | η used by earlier runs (first commit) | its score | the current η | its score |",
              "|---|---|---|---|---|---|"]
    for row in used_etas(history):
        lines.append(f"| {row['experiment']} | {row['rule']} | {_num(row['eta'])} ({row['first_commit']}) | "
                     f"{_num(row['score'], '{:.4g}')} | {_num(row['current'])} | "
                     f"{_num(row['current_score'], '{:.4g}')} |")
    lines += ["", "Every committed `results.json` under `docs/reproduction/` (each a run a verdict could have been "
              "read from), with Nadam − Adam on its test metric where both ran (95 % t interval, unadjusted):", "",
              "| commit | path | scale | seeds | settings | experiment (epochs): η Adam / Nadam | Nadam − Adam "
              "[95 %], p, n |", "|---|---|---|---|---|---|---|"]
    for r in history["runs"]:
        for name, e in r["experiments"].items():
            eta = " / ".join(_num(e["eta"].get(k)) for k in ADAM_NADAM)
            d = e.get("nadam_minus_adam")
            diff = "–" if d is None else (
                f"{_num(d['mean'], '{:+.3g}')} [{_num(d['low'], '{:+.3g}')}, {_num(d['high'], '{:+.3g}')}], "
                f"p = {_num(d['p'], '{:.2g}')}, n = {d['n']} ({d['verdict']})")
            seeds = f"{r['seeds'][0]}–{r['seeds'][-1]}" if r["seeds"] else "–"
            settings = ", ".join(f"{k}={v}" for k, v in r["settings"].items()) or "–"
            lines.append(f"| {r['commit']} | `{r['path'].removeprefix('docs/reproduction/')}` | {r['scale']} | "
                         f"{seeds} | {settings} | {name} ({e['epochs']}): {eta} | {diff} |")
    return "\n".join(lines) + "\n"


def progress(folder: str) -> dict:
    """How far each run in a reproduction folder got, read from its checkpoints (``state.json``): epochs
    finished of those planned, status, wall time, and the last finished epoch's test metrics."""
    runs = []
    for where, _, files in sorted(os.walk(os.path.join(folder, "checkpoints"))):
        if "state.json" not in files:
            continue
        with open(os.path.join(where, "state.json"), encoding="utf-8") as f:
            state = json.load(f)
        identity, record = state["identity"], state["record"]
        runs.append({"experiment": identity["experiment"], "rule": identity["rule"], "seed": identity["seed"],
                     "epochs_done": len(record["epochs"]), "epochs_planned": identity["epochs"],
                     "status": record["status"], "wall_s": record["wall_s"],
                     "test": record["epochs"][-1]["test"] if record["epochs"] else None})
    read_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return {"folder": folder, "produced_by": "python -m tools.reproduction_history --progress", "read_at": read_at,
            "runs": runs,
            "runs_with_an_epoch": sum(r["epochs_done"] > 0 for r in runs),
            "runs_finished": sum(r["status"] == "finished" for r in runs)}


def smoke_recheck(folder: str, stated_file: str) -> dict:
    """The smoke check again at this commit: the SHA-256 of its claims.md beside the one ``stated_file`` (the
    earlier check's record, ``jobs-and-dask.txt``) gives for one process."""
    with open(os.path.join(folder, "claims.md"), "rb") as f:
        now = hashlib.sha256(f.read()).hexdigest()
    with open(stated_file, encoding="utf-8") as f:
        fields = f.readline().split()
    stated = fields[fields.index("claims.md") + 1]
    with open(os.path.join(folder, "results.json"), encoding="utf-8") as f:
        versions = json.load(f)["versions"]
    return {"folder": folder, "commit": versions["git_commit"][:7], "git_dirty": versions["git_dirty"],
            "claims_md_sha256": now, "stated_sha256": stated, "stated_in": os.path.relpath(stated_file, ROOT),
            "same": "yes" if now == stated else "no",
            "learning_rates_changed_at": [v["commit"] for v in eta_history()][-1]}


def progress_markdown(found: dict) -> str:
    lines = ["| experiment | rule | seed | epochs finished | status | wall time (s) | last test metrics |",
             "|---|---|---|---|---|---|---|"]
    for r in found["runs"]:
        test = ", ".join(f"{k} {v:.4g}" for k, v in (r["test"] or {}).items()) or "–"
        lines.append(f"| {r['experiment']} | {r['rule']} | {r['seed']} | {r['epochs_done']} of "
                     f"{r['epochs_planned']} | {r['status']} | {r['wall_s']:.0f} | {test} |")
    if not found["runs"]:
        lines.append("| – | – | – | no epoch finished | – | – | – |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "reproduction"))
    parser.add_argument("--progress", nargs=2, metavar=("RUN_FOLDER", "JSON"),
                        help="write how far each run of RUN_FOLDER got (its checkpoints) to JSON, and stop")
    parser.add_argument("--smoke-recheck", nargs=3, metavar=("RUN_FOLDER", "STATED", "JSON"),
                        help="compare RUN_FOLDER's claims.md with the SHA-256 in STATED, write JSON, and stop")
    args = parser.parse_args(argv)
    if args.smoke_recheck:
        folder, stated, target = args.smoke_recheck
        atomic_write_json(target, smoke_recheck(folder, stated), indent=1, ensure_ascii=True)
        return 0
    if args.progress:
        found = progress(args.progress[0])
        atomic_write_json(args.progress[1], found, indent=1, ensure_ascii=True)
        atomic_write_text(os.path.splitext(args.progress[1])[0] + ".md", progress_markdown(found))
        return 0
    history = {"produced_by": "python -m tools.reproduction_history (reads git log and git show)",
               "eta": eta_history(), "runs": run_history()}
    history["used_etas"] = used_etas(history)
    history["class_all9"] = class_all9_facts(os.path.join(ROOT, "docs", "reproduction", "class-all9",
                                                           "results.json"))
    atomic_write_json(os.path.join(args.out, "history.json"), history, indent=1, ensure_ascii=True)
    atomic_write_text(os.path.join(args.out, "history.md"), markdown(history))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
