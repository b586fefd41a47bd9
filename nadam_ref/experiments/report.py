"""What a reproduction writes besides ``results.json``: the 3×3 tables, the paper's claims checked, the
curves.

* :func:`summarize` — mean ± std over seeds of each rule's final metrics;
* :func:`table_markdown` — the paper's 3×3 layout (GD Mom NAG / RMS Adam Nadam / Maxa A-max N-max), this run
  beside the paper's own numbers (``paper_results.json``), the best of each in bold;
* :func:`claims_markdown` — the paper's qualitative claims with paired verdicts (:mod:`.claims`);
* :func:`plot_curves` — learning curves of every rule, like the paper's Figures 1–3.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import textwrap
from importlib import resources

from .._io import atomic_file
from ..rules import PAPER_RULES
from . import claims as _claims
from . import verdicts

#: The paper's 3×3 layout: rows = denominator (none, L2, L∞), columns = momentum (none, classical, Nesterov).
GRID = (("gd", "momentum", "nag"), ("rmsprop", "adam", "nadam"), ("maxaprop", "adamax", "nadamax"))
SHORT = {
    "gd": "GD",
    "momentum": "Mom",
    "nag": "NAG",
    "rmsprop": "RMS",
    "adam": "Adam",
    "nadam": "Nadam",
    "maxaprop": "Maxa",
    "adamax": "A-max",
    "nadamax": "N-max",
}
#: Each experiment's model and the paper's figure it reproduces; :func:`title` adds the data it ran on.
TITLES = {
    "word2vec": "word2vec (Figure 1)",
    "mnist": "CNN (Figure 2)",
    "lstm": "LSTM language model (Figure 3)",
}


def title(name: str, data: str | None = None) -> str:
    """The heading of an experiment: model, figure and the data's name from its record (``dataset["name"]``),
    so that a run on other data is never headed "MNIST" or "Penn Treebank". A trailing remark in parentheses is
    dropped ("Tiny Shakespeare (shipped)"), unless it says what the data is not ("Fashion-MNIST (not MNIST)")."""
    if not data:
        return TITLES.get(name, name)
    short = re.sub(r" \((?!not ).*\)$", "", data)
    return f"{TITLES.get(name, name)} on {short}"


def paper_results() -> dict:
    """The paper's numbers (Figures 1–3), committed as data."""
    text = resources.files("nadam_ref.experiments").joinpath("paper_results.json").read_text(encoding="utf-8")
    return json.loads(text)


def summarize(runs: list[dict], metric: str) -> dict:
    """Mean and std (over seeds, ``ddof=1``; None for one seed) of the last epoch's ``metric`` per split."""
    finished = [r for r in runs if r["status"] == "finished" and r["epochs"]]
    out = {
        "seeds": len(runs),
        "finished": len(finished),
        "diverged": sum(r["status"] == "diverged" for r in runs),
    }
    for split in ("train", "valid", "test"):
        key = "loss" if split == "train" else metric
        values = [r["epochs"][-1][split][key] for r in finished if key in r["epochs"][-1].get(split, {})]
        out[split] = {
            "metric": key,
            "mean": statistics.fmean(values) if values else None,
            "std": statistics.stdev(values) if len(values) > 1 else None,
            "n": len(values),
        }
    return out


def _fmt(value, digits=4) -> str:
    if value is None:
        return "–"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.{digits}f}" if abs(value) >= 0.1 else f"{value:.{digits}g}"


def _cell(summary: dict | None) -> tuple[str, float | None]:
    if summary is None:
        return "not run", None
    test = summary["test"]
    if test["mean"] is None:
        return ("diverged" if summary["diverged"] else "–"), None
    text = _fmt(test["mean"])
    if test["std"] is not None:
        text += f" ± {_fmt(test['std'], 2)}"
    if summary["diverged"]:
        text += f" ({summary['diverged']} diverged)"
    return text, test["mean"]


def table_markdown(results: dict) -> str:
    """One 3×3 table per experiment: this run (mean ± std of the test metric) beside the paper, best in
    bold."""
    paper = paper_results()
    lines = [
        f"# Reproduction of Dozat (2016), scale `{results['scale']}`",
        "",
        (f"{_seeds_phrase(results).capitalize()}; " if _uneven(results) else f"Seeds: {results['seeds']}; ") +
        f"backend: {results['backend']}. Each cell is the test metric after the "
        "last epoch (mean ± std over seeds when there are several). Lower is better everywhere; the best "
        "of each table is in bold.",
        "",
    ]
    for name, exp in results["experiments"].items():
        metric = exp["metric"]
        lines += [f"## {title(name, exp.get('dataset', {}).get('name'))} — {metric['label']}", ""]
        lines += ["| this run | | | the paper | | |", "|---|---|---|---|---|---|"]
        ours = {
            rule: _cell(exp["rules"][rule]["summary"] if rule in exp["rules"] else None)
            for rule in PAPER_RULES
        }
        ours_best = _best({rule: value for rule, (_, value) in ours.items()})
        theirs = paper.get(name, {}).get("results", {})
        theirs_best = _best(theirs)
        for row in GRID:
            cells = [_bold(f"{SHORT[r]} {ours[r][0]}", r == ours_best) for r in row]
            cells += [_bold(f"{SHORT[r]} {_paper_fmt(theirs.get(r))}", r == theirs_best) for r in row]
            lines.append("| " + " | ".join(cells) + " |")
        lrs = ", ".join(f"{SHORT[r]} {exp['rules'][r]['lr']:.3g}" for r in PAPER_RULES if r in exp["rules"])
        lines += ["", f"η: {lrs}."]
        if "dataset" in exp:
            d = exp["dataset"]
            lines.append(f"Data: {d['name']} ({d['source']}; {d['path']}), SHA-256 `{d['sha256']}` "
                         "(of the sorted file digests in results.json).")
        if name == "word2vec":
            lines += _word2vec_meaning(results)
        unstable = [f"{SHORT[rule]} (seed {seed}: {first:.3g} → {last:.3g})"
                    for rule, seed, first, last in _growing_losses(exp)]
        if unstable:
            lines.append("Training loss grew more than tenfold from the first epoch to the last, though no "
                         "NaN appeared: " + ", ".join(unstable) + ".")
        lines.append("")
    return "\n".join(lines)


def _word2vec_meaning(results) -> list[str]:
    """What word2vec's metric means: per rule, the test metric beside its shuffled baseline (means over finished
    seeds) and the paired check that it beats the baseline (:func:`.claims.baseline_check`), then the paper's
    analogy distance beside its own baseline where the vocabulary covers questions. Results scored by the
    analogy distance alone (before the held-out metric) show that pair only."""
    exp = results["experiments"]["word2vec"]
    metric = exp["metric"]
    held_out = "baseline" in metric
    columns = [(metric["name"], metric["baseline"])] if held_out else []
    columns.append(("analogy", "analogy_shuffled"))
    rows = []
    for rule, info in exp["rules"].items():
        finished = [r["epochs"][-1]["test"] for r in info["runs"] if r["status"] == "finished" and r["epochs"]]
        finished = [t for t in finished if all(k in t for k in columns[0])]
        if not finished:
            continue
        cells = [f"{statistics.fmean(t[k] for t in finished):.4f}" if all(k in t for t in finished) else "–"
                 for pair in columns for k in pair]
        check = _claims.baseline_check(results, rule)
        cells.insert(2, check.verdict if check.mean is None else
                     f"{check.verdict}, {len(check.seeds)} seed(s): {check.mean:+.4f}" if check.low is None else
                     f"{check.verdict}: {check.mean:+.4f} [{check.low:+.4f}, {check.high:+.4f}]")
        last = finished[0]
        cells.append(f"{last['analogy_questions']} ({last['analogy_coverage']:.1%})" if "analogy_questions" in last
                     else f"{last['questions_used']} ({last['coverage']:.1%})" if "questions_used" in last else "–")
        rows.append(f"| {SHORT[rule]} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    beats = (f"beats it? (metric − baseline, paired over seeds: mean [95 % t interval]; "
             f"inconclusive below {verdicts.MIN_SEEDS} seeds)")
    if held_out:
        intro = (f"What the word2vec metric means (test split, means over finished seeds; lower is better): "
                 f"`{metric['name']}` beside its baseline `{metric['baseline']}`, the same held-out pairs and "
                 "noise words with each centre word swapped for another pair's. A rule not shown below its "
                 "baseline has not shown that a word's vector tells anything about its neighbours, and its "
                 "claims get no verdict. The paper's analogy distance (secondary) is beside its "
                 "shuffled-answer baseline, with the questions the vocabulary covers. The paper's column above "
                 "is its analogy distance on text8, another metric.")
        header = (f"| rule | {metric['name']} | baseline | {beats} | analogy distance | shuffled-answer "
                  "baseline | questions covered |")
    else:
        intro = ("What the word2vec metric means (test half; lower distance is better; a distance not below the "
                 "shuffled-answer baseline measures nothing about analogies, and its claims get no verdict):")
        header = f"| rule | analogy distance | shuffled-answer baseline | {beats} | questions covered |"
    rule_line = "|" + "---|" * (header.count(" | ") + 1)
    return ["", intro, "", header, rule_line, *rows, ""]  # the blank line ends the table before the next paragraph


def _growing_losses(exp):
    """(rule, seed, first, last) of the finished runs whose training loss grew more than tenfold: unstable at
    their η."""
    for rule, info in exp["rules"].items():
        for run in info["runs"]:
            if run["status"] == "finished" and len(run["epochs"]) > 1:
                first, last = run["epochs"][0]["train"]["loss"], run["epochs"][-1]["train"]["loss"]
                if last > 10 * abs(first):
                    yield rule, run["seed"], first, last


def _paper_fmt(value) -> str:
    return "–" if value is None else (f"{value:.1f}" if value >= 10 else f"{value:.4g}")


def _best(values: dict) -> str | None:
    finite = {k: v for k, v in values.items() if v is not None and math.isfinite(v)}
    return min(finite, key=finite.get) if finite else None


def _bold(text: str, on: bool) -> str:
    return f"**{text}**" if on else text


# -- claims (the verdicts live in claims.py) ---------------------------------------------------------------

claims = _claims.claims
claims_markdown = _claims.claims_markdown


def few_seeds_markdown(results: dict, out: str | None = None) -> str:
    """What a run of fewer than :data:`verdicts.MIN_SEEDS` seeds can show, to stand before its claims: each rule's
    numbers, best validation score first, and why no claim gets a verdict; "" for a run with enough seeds.
    ``out``: the run's folder, for the command that adds seeds to it."""
    from .verdicts import MIN_SEEDS

    seeds = results["seeds"]
    if seeds >= MIN_SEEDS:
        return ""
    lines = [f"# What {seeds} seed{'s' if seeds > 1 else ''} can show", "",
             f"This run trained every rule from {seeds} seed{'s' if seeds > 1 else ''} (one initialisation and one "
             "data order each). That gives each rule its numbers, below. It cannot tell whether a difference "
             "between two rules is larger than the difference another seed would make: a verdict on a claim needs "
             f"at least {MIN_SEEDS} paired seeds, so every claim below is \"inconclusive\" for that reason, and a "
             "claim about an experiment this run did not include is \"not tested\".", ""]
    for name, exp in results["experiments"].items():
        metric = exp["metric"]["name"]
        rows = sorted(exp["rules"].items(), key=lambda item: (item[1]["summary"]["valid"]["mean"] is None,
                                                              item[1]["summary"]["valid"]["mean"] or 0.0))
        lines += [f"{title(name, exp.get('dataset', {}).get('name'))}, last epoch, best validation {metric} first "
                  "(lower is better):", "", f"| rule | validation {metric} | test {metric} |", "| --- | --- | --- |"]
        lines += [f"| {SHORT[rule]} | {_fmt(info['summary']['valid']['mean'])} | "
                  f"{_fmt(info['summary']['test']['mean'])} |" for rule, info in rows]
        lines.append("")
    scale = results["scale"]
    which = next(iter(results["experiments"])) if len(results["experiments"]) == 1 else "all"
    command = (f"nadam-ref reproduce --experiment {which} --scale {scale} "
               f"--seeds {MIN_SEEDS}" + (f" --out {out}" if out else ""))
    lines += [f"For verdicts: `{command}` (in the same folder the seeds already trained are reused).", "", ""]
    return "\n".join(lines)


# -- curves ----------------------------------------------------------------------------------------------

def _rule_style(rule: str) -> dict:
    """The rule's colour, line style and marker, the same as in the race's pictures (:mod:`nadam_ref.surfaces.plots`):
    nine distinct colours; dotted no momentum, dashed classical, solid Nesterov."""
    from ..surfaces.plots import RULE_MARKER, RULE_STYLE

    colour, style = RULE_STYLE[rule]
    return {"color": colour, "linestyle": style, "marker": RULE_MARKER[rule]}


def plot_curves(results: dict, path: str) -> None:
    """Training loss (top) and the held-out test split's metric (bottom) per epoch, the mean over seeds, for every
    rule and experiment, saved to ``path``. Each column is headed with the data's full name (which says how it was
    split: the shipped MNIST is the 10,000 images of MNIST's test set, split into train, validation and test)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    names = list(results["experiments"])
    fig, axes = plt.subplots(2, len(names), figsize=(5.4 * len(names) + 2.4, 8.4), squeeze=False)
    for col, name in enumerate(names):
        exp = results["experiments"][name]
        for rule in PAPER_RULES:
            if rule not in exp["rules"]:
                continue
            style = {**_rule_style(rule), "label": SHORT[rule], "linewidth": 1.8, "markersize": 5}
            for ax, split, key in ((axes[0, col], "train", "loss"), (axes[1, col], "test", exp["metric"]["name"])):
                xs, ys = _mean_curve(exp["rules"][rule]["runs"], split, key)
                if xs:
                    ax.plot(xs, ys, **style)
                elif col == 0 and split == "train":
                    ax.plot([], [], **{**style, "label": f"{SHORT[rule]} (diverged)"})
        data = exp.get("dataset", {}).get("name")
        heading = TITLES.get(name, name) + ("\n" + textwrap.fill(f"data: {data}", 46) if data else "")
        axes[0, col].set_title(f"{heading}\n\ntraining loss (mean over each epoch)", fontsize=10)
        axes[0, col].set_ylabel("training loss")
        axes[1, col].set_title("held-out test split, after each epoch", fontsize=10)
        axes[1, col].set_ylabel(textwrap.fill(exp["metric"]["label"], 40))  # a long label is taller than a panel
        last = max((e["epoch"] for info in exp["rules"].values() for r in info["runs"] for e in r["epochs"]),
                   default=1)
        for ax in axes[:, col]:
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
            ax.set_xlim(0.8, last + 0.2)  # a one-epoch run is a point at 1, not a float axis around it
            if last == 1:
                ax.set_xticks([1])
            ax.grid(alpha=0.3)
            if _spans_decades(ax):
                ax.set_yscale("log")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=9, frameon=False,
               title="rule\n(dotted: no momentum,\ndashed: classical,\nsolid: Nesterov)", title_fontsize=8.5)
    fig.suptitle(f"Dozat (2016) reproduced at scale '{results['scale']}', {_seeds_phrase(results)}", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1 - 2.1 / fig.get_figwidth(), 1))
    with atomic_file(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)


#: A score more than this many times the best of the search is drawn at the top edge (▲), so that one
#: exploding η does not squash every other curve into a line.
SENSITIVITY_CAP = 5.0


def plot_sensitivity(details: dict, name: str, path: str, data: str | None = None) -> None:
    """The η-sensitivity curves of one experiment's ``--tune``: validation metric against η, one line per
    rule (colour and line style as in :func:`plot_curves`). A score above :data:`SENSITIVITY_CAP` × the best
    one, or a diverged η, is drawn as ▲ on the top edge. ``data``: the name of the data it ran on
    (:func:`title`)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    # float(): a diverged score is stored in tuning.json as the string "Infinity"
    curves = {rule: [(c["lr"], float(c["valid"])) for c in r["candidates"]] for rule, r in details["rules"].items()}
    finite = [v for points in curves.values() for _, v in points if math.isfinite(v)]
    top = min(max(finite), SENSITIVITY_CAP * min(finite)) if finite else 1.0
    fig, ax = plt.subplots(figsize=(6.4, 5.0))
    for row in GRID:
        for rule in row:
            if rule not in curves:
                continue
            lrs = [lr for lr, _ in curves[rule]]
            ys = [min(v, top) for _, v in curves[rule]]
            colour = _rule_style(rule)["color"]
            ax.plot(lrs, ys, color=colour, linestyle=_rule_style(rule)["linestyle"], label=SHORT[rule])
            for lr, (_, v) in zip(lrs, curves[rule], strict=True):
                ax.plot(lr, min(v, top), marker="^" if v > top else "o", markersize=6 if v > top else 3,
                        color=colour, clip_on=False)
    ax.set_xscale("log")
    ax.set_xlabel("η")
    ax.set_ylabel(details["metric"])
    ax.grid(alpha=0.3)
    if finite:
        low = min(finite)
        ax.set_ylim(low - 0.05 * (top - low), top)
    # below the axes: a legend inside covers some curve's minimum in one experiment or another
    ax.legend(fontsize=8, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    ax.set_title(f"{title(name, data)}\nη sensitivity after {details['epochs']} epoch(s), seed "
                 f"{details.get('seed')}; ▲: above {SENSITIVITY_CAP:g}× the best, or diverged", fontsize=9)
    fig.tight_layout()
    with atomic_file(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)


def _seeds_phrase(results: dict) -> str:
    """"3 seeds (mean over seeds)", or, when rules finished different numbers of runs, how many each did."""
    seeds, finished = results["seeds"], _finished_counts(results)
    if _uneven(results):
        first = results.get("first_seed", 0)
        return (f"seeds {first}–{first + seeds - 1}, mean over each rule's finished runs "
                f"({finished[0]}{'–' + str(finished[-1]) if len(finished) > 1 else ''} a rule)")
    return f"{seeds} seed{'s' if seeds != 1 else ''}" + (" (mean over seeds)" if seeds > 1 else "")


def _finished_counts(results: dict) -> list[int]:
    return sorted({sum(r["status"] == "finished" for r in info["runs"])
                   for exp in results["experiments"].values() for info in exp["rules"].values()})


def _uneven(results: dict) -> bool:
    """Did some rule finish fewer runs than the seeds asked for?"""
    counts = _finished_counts(results)
    return bool(counts) and counts != [results["seeds"]]


def _mean_curve(runs, split, key):
    """Per-epoch mean over the seeds that reached that epoch."""
    by_epoch: dict[int, list[float]] = {}
    for run in runs:
        for e in run["epochs"]:
            if key in e.get(split, {}):
                by_epoch.setdefault(e["epoch"], []).append(e[split][key])
    xs = sorted(by_epoch)
    return xs, [statistics.fmean(by_epoch[x]) for x in xs]


def _spans_decades(ax) -> bool:
    ys = [y for line in ax.get_lines() for y in line.get_ydata() if y > 0]
    return bool(ys) and max(ys) / min(ys) > 20
