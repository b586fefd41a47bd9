"""``nadam-ref demo``: the main job that ``make demo`` runs.

For now: the box of every rule traced for two steps on the built-in quadratic, written to ``OUT/trace.txt``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os

from .. import rules
from . import trace_cmd


def add_arguments(parser):
    parser.add_argument("--out", default="demo-output", help="where to write the demo's files")


def run(args) -> int:
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
    return 0
