"""``nadam-ref race``: rules racing on a 2D surface, as an animation, a PNG of the end, loss curves and a CSV;
or, with ``--sensitivity``, the final loss against η over several starts and noise seeds.

    nadam-ref race [--surface NAME] [--rules a,b,...] [--steps N] [--lr RULE=VALUE ...] [--tune]
                   [--start X,Y] [--noise SIGMA] [--seed N] [--small-multiples] [--format gif|html|png] [--out DIR]
    nadam-ref race --sensitivity [--starts K] [--seeds N] [--noise SIGMA] ...

The race itself is :func:`nadam_ref.surfaces.files.write_race` (and :func:`~nadam_ref.surfaces.files.
write_sensitivity`); this module only checks the arguments, calls it and prints the table. All files are written into
a staging folder inside ``--out`` and moved into place only when every one of them is complete; an error leaves
``--out`` as it was.
"""

from __future__ import annotations

import os
import time

from tqdm import tqdm

from .. import rules
from .._io import OutputDirError, check_writable
from ..surfaces import SURFACES, get_surface
from ..surfaces.race import MAX_STEPS, check_noise, check_start, race_table
from . import CLIError

FORMATS = ("gif", "html", "png")
def add_arguments(parser):
    parser.add_argument("--surface", default="rosenbrock", help=f"one of: {', '.join(SURFACES)} (default rosenbrock)")
    parser.add_argument("--rules", default=",".join(rules.PAPER_RULES),
                        help="comma-separated rule names (default: the paper's nine)")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"steps per rule (default: the surface's; at most {MAX_STEPS:,})")
    parser.add_argument("--lr", action="extend", nargs="+", default=[], metavar="RULE=VALUE",
                        help="set rules' η (--lr adam=0.1 nadam=0.05); the others come from the shipped table")
    parser.add_argument("--tune", action="store_true",
                        help="grid-search each rule's η for this race instead of using the shipped table")
    parser.add_argument("--start", default=None, metavar="X,Y",
                        help="start point (default: the surface's); write --start=-1.5,2 when x is negative")
    parser.add_argument("--format", choices=FORMATS, default="gif",
                        help="animation format: gif, html (notebook-style player) or png (no animation)")
    parser.add_argument("--frames", type=int, default=80, help="animation frames (default 80)")
    parser.add_argument("--noise", type=float, default=0.0, metavar="SIGMA",
                        help="add seeded Gaussian noise N(0, SIGMA²) to every gradient (default 0: exact gradients)")
    parser.add_argument("--seed", type=int, default=0, help="noise seed (default 0; every rule sees the same noise)")
    parser.add_argument("--small-multiples", action="store_true",
                        help="one panel per rule instead of all paths in one picture")
    parser.add_argument("--sensitivity", action="store_true",
                        help="instead of a race: final loss against η over --starts starts and --seeds noise seeds, "
                             "written to sensitivity.png and sensitivity.csv")
    parser.add_argument("--starts", type=int, default=4, help="--sensitivity: starts per η (default 4)")
    parser.add_argument("--seeds", type=int, default=3, help="--sensitivity: noise seeds per start (default 3)")
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
    if not 1 <= steps <= MAX_STEPS:
        raise CLIError(f"--steps {steps}; expected an integer from 1 to {MAX_STEPS:,} (a race keeps every iterate)")
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
    for name in ("starts", "seeds"):
        if getattr(args, name) < 1:
            raise CLIError(f"--{name} {getattr(args, name)}; expected an integer >= 1")
    try:
        noise = check_noise(args.noise)
    except ValueError as e:
        raise CLIError(f"--noise {args.noise!r}: {e}") from None
    if args.sensitivity and (args.lr or args.tune or args.start is not None):
        raise CLIError("--sensitivity runs every η of the grid from its own starts; no --lr, --tune or --start")
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
    return {"surface": surface, "rules": names, "steps": steps, "overrides": overrides, "start": start, "out": out,
            "noise": noise}


def run(args) -> int:
    job = parse(args)
    surface, steps, out = job["surface"], job["steps"], job["out"]
    from ..surfaces import files  # matplotlib loads only once the arguments are good

    began = time.perf_counter()
    bars = []

    def progress(stage, total):
        bars.append(tqdm(total=total, desc=f"{stage} on {surface.name}", unit="unit"))
        return bars[-1].update

    try:
        if args.sensitivity:
            rows = files.write_sensitivity(out, surface, job["rules"], steps, starts=args.starts, noise=job["noise"],
                                           seeds=range(args.seed, args.seed + args.seeds), progress=progress)
            written = ["sensitivity.png", "sensitivity.csv"]
            print(f"\n{surface.title}: {len(rows)} runs ({len(job['rules'])} rules × η grid × starts × seeds), "
                  f"noise σ = {job['noise']:g}, finished in {time.perf_counter() - began:.1f} s")
        else:
            run_ = files.write_race(out, surface, job["rules"], steps, job["overrides"], args.tune, job["start"],
                                    job["noise"], args.seed, args.format, args.frames, args.small_multiples,
                                    progress=progress)
            written = run_.written
            print("\n" + race_table(surface, run_.rows, job["noise"]))
            print(f"\n{surface.title}, {len(run_.results)} rules, {steps} steps, noise σ = {job['noise']:g}, "
                  f"finished in {time.perf_counter() - began:.1f} s")
    finally:
        for bar in bars:
            bar.close()
    for name in written:
        print(f"wrote {os.path.join(out, name)}")
    return 0

