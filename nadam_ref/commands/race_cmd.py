"""``nadam-ref race``: rules racing on a 2D surface, as an animation, a PNG of the end, loss curves and a CSV.

    nadam-ref race [--surface NAME] [--rules a,b,...] [--steps N] [--lr RULE=VALUE ...] [--tune]
                   [--start X,Y] [--format gif|html|png] [--out DIR]

All files are written into a staging folder inside ``--out`` and moved into place only when every one of them is
complete (see :mod:`nadam_ref.surfaces.output`); an error leaves ``--out`` as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time

from tqdm import tqdm

from .. import rules
from ..surfaces import SURFACES, get_surface
from ..surfaces.output import OutputDirError, atomic_write_text, check_writable, staged_files
from ..surfaces.race import check_start
from . import CLIError

FORMATS = ("gif", "html", "png")
SUMMARY_FIELDS = ("rule", "lr", "steps", "final_loss", "distance_to_minimum", "first_step_within_tolerance",
                  "diverged", "diverged_at_step")


def add_arguments(parser):
    parser.add_argument("--surface", default="rosenbrock", help=f"one of: {', '.join(SURFACES)} (default rosenbrock)")
    parser.add_argument("--rules", default=",".join(rules.PAPER_RULES),
                        help="comma-separated rule names (default: the paper's nine)")
    parser.add_argument("--steps", type=int, default=None, help="steps per rule (default: the surface's)")
    parser.add_argument("--lr", action="extend", nargs="+", default=[], metavar="RULE=VALUE",
                        help="set rules' η (--lr adam=0.1 nadam=0.05); the others come from the shipped table")
    parser.add_argument("--tune", action="store_true",
                        help="grid-search each rule's η for this race instead of using the shipped table")
    parser.add_argument("--start", default=None, metavar="X,Y",
                        help="start point (default: the surface's); write --start=-1.5,2 when x is negative")
    parser.add_argument("--format", choices=FORMATS, default="gif",
                        help="animation format: gif, html (notebook-style player) or png (no animation)")
    parser.add_argument("--frames", type=int, default=80, help="animation frames (default 80)")
    parser.add_argument("--out", default="race-output", help="output folder (default race-output)")


def parse(args) -> dict:
    """Check every argument before any work; a CLIError naming the bad value otherwise."""
    try:
        surface = get_surface(args.surface)
    except ValueError as e:
        raise CLIError(str(e)) from None
    names = [name.strip() for name in args.rules.split(",") if name.strip()]
    if not names:
        raise CLIError(f"--rules {args.rules!r}; expected comma-separated names from: {', '.join(rules.RULES)}")
    for name in names:
        try:
            rules.get(name)
        except rules.UnknownRuleError as e:
            raise CLIError(str(e)) from None
    if len(set(names)) != len(names):
        raise CLIError(f"--rules {args.rules!r} names a rule twice")
    steps = surface.steps if args.steps is None else args.steps
    if steps < 1:
        raise CLIError(f"--steps {steps}; expected an integer >= 1")
    if args.frames < 2:
        raise CLIError(f"--frames {args.frames}; expected an integer >= 2")
    overrides = {}
    for item in args.lr:
        rule, sep, value = item.partition("=")
        try:
            lr = float(value)
        except ValueError:
            lr = None
        if not sep or lr is None:
            raise CLIError(f"--lr {item!r}; expected RULE=VALUE, e.g. --lr nadam=0.01")
        if not lr > 0 or lr == float("inf"):
            raise CLIError(f"--lr {item!r}: η must be a finite number > 0")
        if rule.strip() not in names:
            raise CLIError(f"--lr {item!r}: rule {rule.strip()!r} is not in this race's rules {names}")
        overrides[rule.strip()] = lr
    start = surface.start
    if args.start is not None:
        try:
            start = check_start(surface, args.start.split(","))
        except ValueError as e:
            raise CLIError(f"--start {args.start!r}: {e}") from None
    try:
        out = check_writable(args.out)
    except OutputDirError as e:
        raise CLIError(str(e)) from None
    return {"surface": surface, "rules": names, "steps": steps, "overrides": overrides, "start": start, "out": out}


def run(args) -> int:
    job = parse(args)
    surface, steps, start, out = job["surface"], job["steps"], job["start"], job["out"]
    from ..surfaces import lr_policy, plots  # matplotlib loads only once the arguments are good
    from ..surfaces.race import race, summarize

    began = time.perf_counter()
    tuned = None
    if args.tune:
        to_tune = [r for r in job["rules"] if r not in job["overrides"]]
        with tqdm(total=len(to_tune), desc=f"tuning η on {surface.name}", unit="rule") as bar:
            tuned = lr_policy.tune_all(surface, to_tune, steps, start=start, progress=lambda _: bar.update())
        lrs = {r: job["overrides"].get(r, tuned.get(r, {}).get("lr")) for r in job["rules"]}
    else:
        lrs = lr_policy.learning_rates(surface, job["rules"], job["overrides"])
    with tqdm(total=len(lrs), desc=f"racing on {surface.name}", unit="rule") as bar:
        results = race(surface, lrs, steps, start=start, progress=lambda _: bar.update())

    written = []
    with staged_files(out) as stage:
        if args.format == "gif":
            with tqdm(total=len(plots.frame_steps(steps, args.frames)), desc="drawing frames", unit="frame") as bar:
                plots.save_gif(surface, results, steps, os.path.join(stage, "race.gif"), frames=args.frames,
                               progress=bar.update)
            written.append("race.gif")
        elif args.format == "html":
            anim = plots.animate(surface, results, steps, frames=args.frames)
            with tqdm(total=len(anim.frame_steps), desc="drawing frames", unit="frame") as bar:
                page = _html_page(surface, plots.jshtml(anim))
                bar.update(len(anim.frame_steps))
            atomic_write_text(os.path.join(stage, "race.html"), page)
            written.append("race.html")
        plots.save_final_frame(surface, results, steps, os.path.join(stage, "race.png"))
        plots.loss_figure(surface, results).savefig(os.path.join(stage, "loss.png"), dpi=plots.PNG_DPI)
        written += ["race.png", "loss.png"]
        if tuned is not None:
            atomic_write_text(os.path.join(stage, "learning_rates.json"),
                              json.dumps({"surface": surface.name, "steps": steps, "start": list(start),
                                          "rules": tuned}, indent=1) + "\n")
            written.append("learning_rates.json")
        rows = [summarize(surface, r) for r in results]
        atomic_write_text(os.path.join(stage, "summary.csv"), _csv(rows))
        written.append("summary.csv")

    _print_table(surface, rows, steps)
    print(f"\n{surface.title}, {len(results)} rules, {steps} steps, finished in {time.perf_counter() - began:.1f} s")
    for name in written:
        print(f"wrote {os.path.join(out, name)}")
    return 0


def _csv(rows) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in SUMMARY_FIELDS})
    return buffer.getvalue()


def _print_table(surface, rows, steps) -> None:
    print(f"\n{'rule':<14}{'η':>8}{'final loss':>13}{'distance':>11}{'within ' + format(surface.tolerance, 'g'):>14}"
          f"  diverged")
    for r in rows:
        arrived = "-" if r["first_step_within_tolerance"] is None else f"t={r['first_step_within_tolerance']}"
        diverged = f"yes, at t={r['diverged_at_step']}" if r["diverged"] else "no"
        print(f"{r['rule']:<14}{r['lr']:>8g}{r['final_loss']:>13.4g}{r['distance_to_minimum']:>11.3g}{arrived:>14}"
              f"  {diverged}")


def _html_page(surface, player: str) -> str:
    return ("<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
            f"<title>nadam-ref race: {surface.title}</title></head>\n<body>\n{player}\n</body></html>\n")
