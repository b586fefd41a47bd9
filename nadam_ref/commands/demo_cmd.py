"""``nadam-ref demo``: the main job that ``make demo`` runs.

1. The paper's nine rules racing on Rosenbrock's valley (``nadam-ref race --surface rosenbrock``), written to
   ``OUT/race/``: ``race.gif``, ``race.png``, ``loss.png``, ``summary.csv``.
2. The box of every rule traced for two steps on the built-in quadratic, written to ``OUT/trace.txt``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os

from .. import rules
from . import race_cmd, trace_cmd


def add_arguments(parser):
    parser.add_argument("--out", default="demo-output", help="where to write the demo's files")


def run(args) -> int:
    race_dir = os.path.join(args.out, "race")
    race_parser = argparse.ArgumentParser(prog="nadam-ref race")
    race_cmd.add_arguments(race_parser)
    race_cmd.run(race_parser.parse_args(["--surface", "rosenbrock", "--out", race_dir]))
    print()

    os.makedirs(args.out, exist_ok=True)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        for name in rules.PAPER_RULES:
            trace_cmd.run(argparse.Namespace(rule=name, steps=2, json=False, lr=None, mu=None, nu=None, eps=None,
                                             schedule=None, eps_placement=None))
            print("\n" + "-" * 100 + "\n")
    text = buffer.getvalue()
    print(text)
    path = os.path.join(args.out, "trace.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"wrote {os.path.abspath(path)}")
    print(f"\nthe race: {os.path.abspath(os.path.join(race_dir, 'race.gif'))} (animation), race.png (last frame), "
          f"loss.png, summary.csv in {os.path.abspath(race_dir)}")
    return 0
