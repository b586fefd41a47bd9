"""What a reproduction writes besides ``results.json``: the 3×3 tables, the paper's claims checked, the
curves.

* :func:`summarize` — mean ± std over seeds of each rule's final metrics;
* :func:`table_markdown` — the paper's 3×3 layout (GD Mom NAG / RMS Adam Nadam / Maxa A-max N-max), this run
  beside the paper's own numbers (``paper_results.json``), the best of each in bold;
* :func:`claims_markdown` — the paper's qualitative claims, each marked supported or not by this run;
* :func:`plot_curves` — learning curves of every rule, like the paper's Figures 1–3.
"""

from __future__ import annotations

import json
import math
import statistics
from importlib import resources

from .._io import atomic_file
from ..rules import PAPER_RULES

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
TITLES = {
    "word2vec": "word2vec (Figure 1)",
    "mnist": "MNIST CNN (Figure 2)",
    "lstm": "LSTM language model (Figure 3)",
}


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
        f"Seeds: {results['seeds']}; backend: {results['backend']}. Each cell is the test metric after the "
        "last epoch (mean ± std over seeds when there are several). Lower is better everywhere; the best "
        "of each table is in bold.",
        "",
    ]
    for name, exp in results["experiments"].items():
        metric = exp["metric"]
        lines += [f"## {TITLES.get(name, name)} — {metric['label']}", ""]
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
        unstable = [f"{SHORT[rule]} (seed {seed}: {first:.3g} → {last:.3g})"
                    for rule, seed, first, last in _growing_losses(exp)]
        if unstable:
            lines.append("Training loss grew more than tenfold from the first epoch to the last, though no "
                         "NaN appeared: " + ", ".join(unstable) + ".")
        lines.append("")
    return "\n".join(lines)


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


# -- claims ----------------------------------------------------------------------------------------------


def _means(results, experiment) -> dict | None:
    exp = results["experiments"].get(experiment)
    if exp is None:
        return None
    return {
        rule: (info["summary"]["test"]["mean"], info["summary"]["test"]["std"])
        for rule, info in exp["rules"].items()
    }


def _best_claim(means, rule, label, metric):
    if means is None:
        return "not tested", f"the {label} experiment was not run"
    if rule not in means or means[rule][0] is None:
        return "not tested", f"{SHORT[rule]} has no finished run"
    others = {r: v for r, (v, _) in means.items() if r != rule and v is not None}
    if not others:
        return "not tested", "no other rule finished"
    runner_up = min(others, key=others.get)
    mine, std = means[rule]
    margin = others[runner_up] - mine
    noise = _noise_note(margin, std, means[runner_up][1])
    if margin > 0:
        return "supported", (
            f"{SHORT[rule]} {_fmt(mine)} vs the next best, {SHORT[runner_up]} "
            f"{_fmt(others[runner_up])} ({metric}){noise}"
        )
    best = min({**others, rule: mine}, key={**others, rule: mine}.get)
    return "not supported", (
        f"{SHORT[rule]} {_fmt(mine)}, but {SHORT[best]} is best with {_fmt(others[best])} ({metric})"
    )


def _pair_claim(means, better, worse, label, metric):
    if means is None:
        return "not tested", f"the {label} experiment was not run"
    missing = [SHORT[r] for r in (better, worse) if r not in means or means[r][0] is None]
    if missing:
        return "not tested", f"no finished run of {', '.join(missing)}"
    (a, sa), (b, sb) = means[better], means[worse]
    verdict = "supported" if a < b else "not supported"
    return (
        verdict,
        f"{SHORT[better]} {_fmt(a)} vs {SHORT[worse]} {_fmt(b)} ({metric}){_noise_note(b - a, sa, sb)}",
    )


ONE_SEED = "; one seed, so the margin's noise is unknown (try --seeds 3)"


def _noise_note(margin, std_a, std_b) -> str:
    stds = [s for s in (std_a, std_b) if s is not None]
    if not stds:
        return ONE_SEED
    size = "larger" if abs(margin) > max(stds) else "not larger"
    return f"; the margin {_fmt(abs(margin), 2)} is {size} than the seed-to-seed std ({_fmt(max(stds), 2)})"


def claims(results: dict) -> list[dict]:
    """The paper's qualitative claims, each with a verdict (supported / not supported / not tested) and
    evidence."""
    w2v, mnist, lstm = (_means(results, e) for e in ("word2vec", "mnist", "lstm"))
    out = []

    def add(text, where, verdict_evidence):
        out.append(
            {"claim": text, "paper": where, "verdict": verdict_evidence[0], "evidence": verdict_evidence[1]}
        )

    add(
        "Nadam gives the best word vectors on word2vec",
        "Section 4.1, Figure 1",
        _best_claim(w2v, "nadam", "word2vec", "test analogy distance"),
    )
    if w2v is None:
        pair = ("not tested", "the word2vec experiment was not run")
    else:
        checks = [
            _pair_claim(w2v, nesterov, classical, "word2vec", "test analogy distance")
            for nesterov, classical in (("nag", "momentum"), ("nadam", "adam"), ("nadamax", "adamax"))
        ]
        wins = sum(v == "supported" for v, _ in checks)
        if any(v == "not tested" for v, _ in checks):
            verdict = "not tested"
        else:
            verdict = {3: "supported", 0: "not supported"}.get(wins, f"partly supported ({wins} of 3 pairs)")
        evidence = "; ".join(e for _, e in checks)
        if evidence.count(ONE_SEED) > 1:  # say it once, at the end
            evidence = evidence.replace(ONE_SEED, "") + ONE_SEED
        pair = (verdict, evidence)
    add(
        "The NAG-based rules beat their classical-momentum counterparts on word2vec "
        "(NAG > Mom, Nadam > Adam, N-max > A-max)",
        "Section 4.1 and 5",
        pair,
    )
    add(
        "RMSProp gives the lowest test loss on MNIST",
        "Section 4.2, Figure 2",
        _best_claim(mnist, "rmsprop", "MNIST", "test loss"),
    )
    add(
        "Classical momentum gives the best LSTM language model",
        "Section 4.3, Figure 3",
        _best_claim(lstm, "momentum", "LSTM", "test perplexity"),
    )
    add(
        "Nadam beats Adam on the LSTM language model",
        "Section 4.3, Figure 3",
        _pair_claim(lstm, "nadam", "adam", "LSTM", "test perplexity"),
    )
    return out


def claims_markdown(results: dict) -> str:
    lines = [
        f"# The paper's claims, checked by this run (scale `{results['scale']}`, seeds {results['seeds']})",
        "",
        "Verdicts compare the mean test metric after the last epoch. At `smoke` and `class` scale the "
        "models, data and training are far smaller than the paper's, so a verdict here is evidence about "
        "this setting, not a ruling on the paper.",
        "",
    ]
    for c in claims(results):
        lines += [f"- **{c['verdict']}** — {c['claim']} ({c['paper']}). {c['evidence']}."]
    return "\n".join(lines) + "\n"


# -- curves ----------------------------------------------------------------------------------------------

#: Colour by denominator (row of the grid), line style by momentum (column), as the grid reads; the styles are the
#: race's (nadam_ref.surfaces.plots): dotted no momentum, dashed classical, solid Nesterov.
_COLOURS = ("tab:blue", "tab:green", "tab:red")
_STYLES = (":", "--", "-")


def plot_curves(results: dict, path: str) -> None:
    """Training loss (top) and test metric (bottom) per epoch for every rule and experiment, saved to
    ``path``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    names = list(results["experiments"])
    fig, axes = plt.subplots(2, len(names), figsize=(5.2 * len(names), 7.5), squeeze=False)
    for col, name in enumerate(names):
        exp = results["experiments"][name]
        for i, row in enumerate(GRID):
            for j, rule in enumerate(row):
                if rule not in exp["rules"]:
                    continue
                style = {
                    "color": _COLOURS[i],
                    "linestyle": _STYLES[j],
                    "label": SHORT[rule],
                    "linewidth": 1.6,
                }
                for ax, split, key in (
                    (axes[0, col], "train", "loss"),
                    (axes[1, col], "test", exp["metric"]["name"]),
                ):
                    xs, ys = _mean_curve(exp["rules"][rule]["runs"], split, key)
                    if xs:
                        ax.plot(xs, ys, marker="o", markersize=3, **style)
                    else:
                        ax.plot([], [], **{**style, "label": f"{SHORT[rule]} (diverged)"})
        axes[0, col].set_title(f"{TITLES.get(name, name)}\ntraining loss")
        axes[1, col].set_title(exp["metric"]["label"])
        for ax in axes[:, col]:
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            if _spans_decades(ax):
                ax.set_yscale("log")
        axes[1, col].legend(fontsize=8, ncol=3)
    fig.suptitle(
        f"Dozat (2016) reproduced at scale '{results['scale']}', seeds: {results['seeds']}\n"
        "colour: denominator none/L2/L∞; line: momentum none (dotted) / classical (dashed) / Nesterov (solid)",
        fontsize=10,
    )
    fig.tight_layout()
    with atomic_file(path, "wb") as f:
        fig.savefig(f, format="png", dpi=110)
    plt.close(fig)


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
