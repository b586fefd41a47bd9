"""``nadam-ref demo``: the main job that ``make demo`` runs, on the shipped data only.

1. The paper's nine rules racing on Rosenbrock's valley (``nadam-ref race --surface rosenbrock``), written to
   ``OUT/race/``: ``race.gif``, ``race.png``, ``loss.png``, ``summary.csv``.
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

from .. import rules
from . import race_cmd, reproduce_cmd, trace_cmd


def add_arguments(parser):
    parser.add_argument("--out", default="demo-output", help="where to write the demo's files")
    parser.add_argument("--quick", action="store_true", help="skip the class-scale MNIST experiment (minutes)")


def _run(command, argv):
    parser = argparse.ArgumentParser(prog=f"nadam-ref {command.__name__.rsplit('.', 1)[-1]}")
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv))


def run(args) -> int:
    out = os.path.abspath(args.out)
    race_dir = os.path.join(out, "race")
    _run(race_cmd, ["--surface", "rosenbrock", "--out", race_dir])

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
        status = _run(reproduce_cmd, ["--experiment", "mnist", "--scale", "class", "--out", experiment_dir])
        if status:
            return status

    print("\nThe demo's files:")
    print(f"  {race_dir}/race.gif   the nine rules racing on Rosenbrock (race.png, loss.png, summary.csv)")
    print(f"  {trace_path}        every rule's box, line by line with values, for two steps")
    if not args.quick:
        print(f"  {experiment_dir}/table.md   the paper's MNIST table, this run beside the paper "
              "(claims.md, curves.png, results.json)")
    return 0
