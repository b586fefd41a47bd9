"""Merge several ``reproduce`` output folders of one kind into one, with its table, claims and curves.

For runs made one process each (``tools/gpu_session.sh`` starts one per experiment, rule and seed)::

    python -m tools.merge_runs OUT FOLDER [FOLDER ...]

reads each ``FOLDER/results.json``, merges them (:func:`nadam_ref.experiments.reproduce.merge_results`, which
refuses folders that differ in more than their rules and seeds) and writes ``OUT/results.json``, ``table.md``,
``claims.md`` and ``curves.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from nadam_ref.experiments.reproduce import merge_results, write_outputs  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("folders", nargs="+")
    args = parser.parse_args(argv)
    documents = []
    for folder in args.folders:
        with open(os.path.join(folder, "results.json"), encoding="utf-8") as f:
            documents.append(json.load(f))
    try:
        merged = merge_results(documents)
    except ValueError as e:
        print(f"merge_runs: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    write_outputs(merged, args.out)
    runs = sum(len(i["runs"]) for e in merged["experiments"].values() for i in e["rules"].values())
    print(f"{args.out}: {runs} runs of {', '.join(merged['rules'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
