"""Adam against Nadam under several readings of the paper (ablation runs), as one table of paired verdicts.

Each reading is one reproduction folder, run with the same seeds for both rules and its own ``--set``
(``m_decay``, ``eps``, ``eps_placement``, ``schedule_timescale``; none for the rules as printed)::

    python -m nadam_ref.experiments.ablation mnist runs/ablation/*      # markdown table on stdout

A row reads the reading's settings from its ``results.json`` and judges "Nadam beats Adam" with
:func:`verdicts.paired` on the last epoch's test metric.
"""

from __future__ import annotations

import json
import os
import statistics
import sys

from . import claims, verdicts

#: What each setting means, for the table.
READINGS = {
    "m_decay": "m decays with {} for both",  # with μ for both, both boxes (Algorithms 6 and 8) are as printed
    "eps": "ε = {} (inside the root)",
    "eps_placement": "ε placed {} the root",
    "schedule_timescale": "warming schedule time scale {} steps (paper 250)",
}


def describe_settings(settings: dict) -> str:
    if not settings:
        return ("package defaults: Adam's m with μ_t (the §4 schedule put into Algorithm 6, which prints μ), "
                "Nadam's m with μ (Algorithm 8 as printed); ε = 1e-8 inside; time scale 250")
    text = "; ".join(READINGS.get(k, k + " = {}").format({"scheduled": "μ_t", "constant": "μ"}.get(v, v))
                     for k, v in settings.items())
    return text + (" (Algorithms 6 and 8 as printed)" if settings == {"m_decay": "constant"} else "")


def pair_row(results: dict, experiment: str, better: str = "nadam", worse: str = "adam") -> dict:
    """The paired comparison of ``better`` and ``worse`` in one reading."""
    a = claims.seed_values(results, experiment, better, "test", None)
    b = claims.seed_values(results, experiment, worse, "test", None)
    exp = results["experiments"][experiment]
    return {"reading": describe_settings(results.get("settings", {})),
            "lr": {r: exp["rules"][r]["lr"] for r in (worse, better)},
            "means": {r: statistics.fmean(v.values()) if v else None for r, v in ((worse, b), (better, a))},
            "paired": verdicts.paired(a, b),
            "epochs": exp["config"]["epochs"]}


def ablation_markdown(rows: list[dict], experiment: str, better: str = "nadam", worse: str = "adam") -> str:
    lines = [f"| reading ({experiment}, test metric, {rows[0]['epochs'] if rows else '?'} epoch(s)) | η {worse} / "
             f"{better} | {worse} mean | {better} mean | {better} − {worse} per seed | 95 % t interval | "
             f"\"{better} beats {worse}\" |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        p = row["paired"]
        diffs = ", ".join(f"{d:+.4g}" for d in p.differences)
        interval = "–" if p.low is None else f"[{p.low:+.4g}, {p.high:+.4g}] (p = {p.p:.2g})"
        lines.append(f"| {row['reading']} | {row['lr'][worse]:.3g} / {row['lr'][better]:.3g} | "
                     f"{_num(row['means'][worse])} | {_num(row['means'][better])} | {diffs} | {interval} | "
                     f"{p.verdict} |")
    return "\n".join(lines) + "\n"


def _num(x):
    return "–" if x is None else f"{x:.4g}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) < 2:
        print("usage: python -m nadam_ref.experiments.ablation EXPERIMENT FOLDER...", file=sys.stderr)
        return 2
    experiment, folders = argv[0], argv[1:]
    rows = []
    for folder in folders:
        with open(os.path.join(folder, "results.json"), encoding="utf-8") as f:
            rows.append(pair_row(json.load(f), experiment))
    print(ablation_markdown(rows, experiment), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
