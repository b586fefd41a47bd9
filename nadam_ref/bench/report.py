"""The benchmark's result as a Markdown table, and both files written atomically."""

from __future__ import annotations

import json
import os

from .._io import atomic_write_text

COLUMNS = ("nadam_ref reference", "nadam_ref fused", "fused kernel", "torch foreach", "torch fused")
RATIOS = ("fused kernel / torch foreach", "nadam_ref fused / torch foreach", "fused kernel / torch fused",
          "fused kernel / bound", "nadam_ref fused / bound")
BEST_RATIOS = ("fused kernel / torch foreach", "fused kernel / bound")


def _ms(value):
    return "–" if value is None else f"{value:.3g}"


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = ["# Update step benchmark", "",
             f"Measured {result['created']} on {m['cpu']}, {m['cores']} cores; Python {m['python']}, "
             f"NumPy {m['numpy']}, numba {m.get('numba')}, nadam_ref {m['nadam_ref']} (commit {m.get('commit')}).",
             "Medians of interleaved rounds, milliseconds per step of one float32 parameter tensor. "
             "*bound* = the step's memory traffic ((3 + 2·#state) × 4 bytes per parameter; Nadam and Adam 28) "
             "divided by the bandwidth of an in-place add measured in the same rounds (its best round, as STREAM "
             "reports). "
             "*fused kernel* is `nadam_ref.fused.step` alone; *nadam_ref fused* is `Optimizer.step` with its "
             "gradient checks (names, shapes, finiteness). Ratios use medians; *(best)* ratios use each "
             "workload's fastest round, which a busy shared machine disturbs least.", ""]
    for run in result["runs"]:
        torch = run["torch"]["version"] if run["torch"] else "not available"
        lines += [f"## {run['device'].upper()}, {run['threads']} thread(s); torch {torch}", "",
                  f"BLAS: {_blas(run['blas'])}. Threads of the compiled fused step (numba): "
                  f"{run.get('numba_threads')}. Environment changes: {run.get('environment_changes', {})}. "
                  f"Load average (1 min) before/after: {run.get('load_average')}.", "",
                  "| size | rule | " + " | ".join(COLUMNS) + " | bound | GB/s | "
                  + " | ".join(r.replace(" / ", "/") for r in RATIOS) + " | "
                  + " | ".join(r.replace(" / ", "/") + " (best)" for r in BEST_RATIOS) + " |",
                  "|" + "---|" * (4 + len(COLUMNS) + len(RATIOS) + len(BEST_RATIOS))]
        for r in run["results"]:
            cells = [_ms(r["median_ms"].get(c)) for c in COLUMNS]
            ratios = [_ratio(r["ratios"], k) for k in RATIOS]
            ratios += [_ratio(r.get("ratios_of_best_rounds", {}), k) for k in BEST_RATIOS]
            lines.append(f"| {r['size']:.0e} | {r['rule']} | " + " | ".join(cells)
                         + f" | {r['bound_ms']:.3g} | {max(r['bandwidth_gbs'].values()):.1f} | "
                         + " | ".join(ratios) + " |")
        memory_rows = [r for r in run["results"] if r["memory"]]
        if memory_rows:
            lines += ["", "Memory at the largest size (MB): resident after two steps (parameter copy and state), "
                      "and the extra peak during one step (temporaries).", "",
                      "| size | rule | implementation | resident | step peak extra |", "|---|---|---|---|---|"]
            for r in memory_rows:
                for name, mem in r["memory"].items():
                    lines.append(f"| {r['size']:.0e} | {r['rule']} | {name} | {mem['resident_mb']} | "
                                 f"{mem['step_peak_extra_mb']} |")
        if run.get("models"):
            lines += ["", "Model steps (forward + backward, paper size, float32), ms; ratio > 1: slower than torch.",
                      "",
                      "| model | nadam_ref | nadam_ref fast | torch | nadam_ref/torch | fast/torch | "
                      "step peak extra MB (ours / fast / torch) |", "|---|---|---|---|---|---|---|"]
            for r in run["models"]:
                ms, ratio, mem = r["median_ms"], r["ratios"], r["step_peak_extra_mb"]
                lines.append(f"| {r['model']} | {_ms(ms.get('nadam_ref'))} | {_ms(ms.get('nadam_ref fast'))} | "
                             f"{_ms(ms.get('torch'))} | {_ratio(ratio, 'nadam_ref / torch')} | "
                             f"{_ratio(ratio, 'nadam_ref fast / torch')} | "
                             f"{mem.get('nadam_ref')} / {mem.get('nadam_ref fast', '–')} / {mem.get('torch', '–')} |")
        lines.append("")
    return "\n".join(lines + targets_markdown(result))


def targets_markdown(result: dict) -> list[str]:
    """The lines of the table of :func:`targets`; "nothing compared" when the result measures none of them."""
    rows = targets(result)
    if not rows:
        return ["## The issue's targets", "", "Nothing compared: this run measured none of the targets (each needs "
                "Adam or Nadam fused at 1 or 2 threads, or the CNN's fast layers beside torch, or on a GPU the "
                "fused kernel).", ""]
    lines = ["## The issue's targets", "",
             f"Code: commit {result.get('machine', {}).get('commit')}. Ratios of medians (and of each workload's "
             "best round); met = the median ratio is within the target.", "",
             "| target | threads | subject | ratio (median) | ratio (best) | target | met |",
             "|---|---|---|---|---|---|---|"]
    for t in rows:
        lines.append(f"| {t['target']} | {t['threads']} | {t['subject']} | {t['median_ratio']:.2f} | "
                     f"{t['best_ratio']:.2f} | ≤ {t['limit']} | {'yes' if t['met'] else 'no'} |")
    return [*lines, ""]


#: The issue's targets (issue 15): (what, threads, limit). ``Optimizer`` is ``Optimizer.step(impl="fused")``.
TARGETS = (("Optimizer / bound", 1, 1.3), ("Optimizer / same rule's torch foreach", 1, 0.2),
           ("Optimizer / torch Adam fused", 2, 1.0), ("CNN fast layers / torch", 1, 1.2),
           ("CNN fast layers / torch", 2, 0.8))
#: On a GPU the issue asked for one thing: the fused kernel at ≥ 70 % of the measured bandwidth.
GPU_TARGETS = (("fused kernel / bound (GPU)", 1, 1.43),)


def targets(result: dict) -> list[dict]:
    """Each target of the issue that this result measures, for Adam and Nadam at the largest size: the ratio of
    medians and of best rounds, and whether the median meets it."""
    rows = []
    for run in result["runs"]:
        by_rule = {r["rule"]: r for r in run["results"] if r["size"] == max(x["size"] for x in run["results"])}
        adam_fused = by_rule.get("adam", {}).get("median_ms", {}).get("torch fused")
        adam_fused_best = by_rule.get("adam", {}).get("min_ms", {}).get("torch fused")
        gpu = run.get("device") == "gpu"
        for what, threads, limit in GPU_TARGETS if gpu else TARGETS:
            if threads != run["threads"]:
                continue
            if gpu:
                for rule in ("adam", "nadam"):
                    r = by_rule.get(rule)
                    if r is not None and "fused kernel" in r["median_ms"]:
                        rows.append(_target(what, threads, limit, rule, r["size"],
                                            r["median_ms"]["fused kernel"] / r["bound_ms"],
                                            r["min_ms"]["fused kernel"] / r["bound_ms"]))
                continue
            if what.startswith("CNN"):
                for r in run.get("models", ()):
                    if r["model"] == "cnn" and "torch" in r["median_ms"] and "nadam_ref fast" in r["median_ms"]:
                        rows.append(_target(what, threads, limit, "cnn", None,
                                            r["median_ms"]["nadam_ref fast"] / r["median_ms"]["torch"],
                                            r["min_ms"]["nadam_ref fast"] / r["min_ms"]["torch"]))
                continue
            for rule in ("adam", "nadam"):
                r = by_rule.get(rule)
                if r is None or "nadam_ref fused" not in r["median_ms"]:
                    continue
                ours, best = r["median_ms"]["nadam_ref fused"], r["min_ms"]["nadam_ref fused"]
                against = {"Optimizer / bound": (r["bound_ms"], r["bound_ms"]),
                           "Optimizer / same rule's torch foreach": (r["median_ms"].get("torch foreach"),
                                                                      r["min_ms"].get("torch foreach")),
                           "Optimizer / torch Adam fused": (adam_fused, adam_fused_best)}[what]
                if against[0]:
                    rows.append(_target(what, threads, limit, rule, r["size"], ours / against[0], best / against[1]))
    return rows


def _target(what, threads, limit, subject, size, median, best):
    return {"target": what, "threads": threads, "limit": limit, "subject": subject, "size": size,
            "median_ratio": round(median, 3), "best_ratio": round(best, 3), "met": median <= limit}


def _ratio(ratios, key):
    return "–" if ratios.get(key) is None else f"{ratios[key]:.2f}"


def _blas(info):
    if isinstance(info, str):
        return info
    def one(b):  # threadpoolctl reports None for what a library does not say (OpenMP has no version)
        details = ", ".join(str(v) for v in (b.get("architecture"), f"{b['num_threads']} threads") if v is not None)
        return " ".join(str(v) for v in (b["internal_api"], b.get("version")) if v is not None) + f" ({details})"

    return ", ".join(one(b) for b in info) or "none loaded"


def write(result: dict, out_dir: str, stem: str) -> tuple[str, str]:
    """``out_dir/stem.json`` and ``out_dir/stem.md``, each written to a temporary file and renamed."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for suffix, text in ((".json", json.dumps(result, indent=1)), (".md", markdown(result))):
        path = os.path.join(out_dir, stem + suffix)
        atomic_write_text(path, text + "\n")
        paths.append(path)
    return tuple(paths)
