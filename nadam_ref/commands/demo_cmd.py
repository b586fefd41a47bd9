"""``nadam-ref demo``: the main job that ``make demo`` runs, on the shipped data only.

1. The paper's nine rules racing on Rosenbrock's valley, the race of ``nadam-ref race`` and notebook 7
   (:func:`nadam_ref.surfaces.files.write_race`), written to ``OUT/race/``: ``race.gif``, ``race.png``,
   ``loss.png``, ``summary.csv``; the same race with gradient noise σ = 20 in ``OUT/race-noisy/``.
2. The box of every rule traced for two steps on the built-in quadratic, written to ``OUT/trace.txt``.
3. The paper's MNIST experiment at class scale, all nine rules (``nadam-ref reproduce --experiment mnist
   --scale class``), written to ``OUT/reproduce-mnist/``: ``table.md``, ``claims.md``, ``curves.png``,
   ``results.json``. It checkpoints every epoch, so a second ``make demo`` resumes or reuses it.
   ``--quick`` skips this part.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os

from tqdm import tqdm

from .. import rules
from ..surfaces import get_surface
from ..surfaces.files import write_race
from . import trace_cmd

DEMO_NOISE = 20.0  # Rosenbrock's gradients are O(1)–O(100) along the path: σ = 20 blurs the valley floor


def _bar(stage, total):
    bar = tqdm(total=total, desc=f"race: {stage}", unit="unit", leave=False)
    return bar.update


def add_arguments(parser):
    parser.add_argument("--out", default="demo-output", help="where to write the demo's files")
    parser.add_argument("--quick", action="store_true", help="skip the class-scale MNIST experiment (minutes)")


def _run(command, argv):  # the trace table becomes a library function in issue 12; until then, its command
    parser = argparse.ArgumentParser(prog=f"nadam-ref {command.__name__.rsplit('.', 1)[-1]}")
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv))


def run(args) -> int:
    out = os.path.abspath(args.out)
    race_dir, noisy_dir = os.path.join(out, "race"), os.path.join(out, "race-noisy")
    rosenbrock = get_surface("rosenbrock")
    for folder, noise in ((race_dir, 0.0), (noisy_dir, DEMO_NOISE)):
        run_ = write_race(folder, rosenbrock, noise=noise, progress=_bar)
        arrived = [f"{row['rule']} t={row['first_step_within_tolerance']}" for row in run_.rows
                   if row["first_step_within_tolerance"] is not None]
        print(f"Rosenbrock race, noise σ = {noise:g}, arrived: {', '.join(arrived) or 'none'}")

    os.makedirs(out, exist_ok=True)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        for name in rules.PAPER_RULES:
            _run(trace_cmd, ["--rule", name, "--steps", "2"])
            print("\n" + "-" * 100 + "\n")
    trace_path = os.path.join(out, "trace.txt")
    with open(trace_path, "w", encoding="utf-8") as f:
        f.write(buffer.getvalue())
    print()
    _run(trace_cmd, ["--rule", "nadam", "--steps", "1"])

    experiment_dir = os.path.join(out, "reproduce-mnist")
    if not args.quick:
        print()
        from ..experiments.reproduce import reproduce

        reproduce(["mnist"], "class", out=experiment_dir)
        with open(os.path.join(experiment_dir, "table.md"), encoding="utf-8") as f:
            print(f.read())

    print("\nThe demo's files:")
    print(f"  {race_dir}/race.gif   the nine rules racing on Rosenbrock (race.png, loss.png, summary.csv)")
    print(f"  {noisy_dir}/race.gif   the same race with gradient noise σ = {DEMO_NOISE:g}")
    print(f"  {trace_path}        every rule's box, line by line with values, for two steps")
    if not args.quick:
        print(f"  {experiment_dir}/table.md   the paper's MNIST table, this run beside the paper "
              "(claims.md, curves.png, results.json)")
    return 0
