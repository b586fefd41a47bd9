"""``nadam-ref vectors --out FILE.json [--steps K]``: write the golden vectors (every rule × problem × schedule and
ε variant, the first K steps with every intermediate); ``--check FILE`` compares a file with a fresh build."""

from __future__ import annotations

from .._io import OutputDirError, check_file_writable
from . import CLIError

MAX_STEPS = 1000  # every intermediate of every case and step, built in memory: 35 MB at 72 cases


def add_arguments(parser):
    parser.add_argument("--out", default=None, help="where to write the JSON file")
    parser.add_argument("--steps", type=int, default=None,
                        help=f"steps per case (default: as committed, 8; at most {MAX_STEPS})")
    parser.add_argument("--check", metavar="FILE", default=None, help="compare FILE with a fresh build instead")


def run(args) -> int:
    from ..crosscheck import vectors

    steps = vectors.STEPS if args.steps is None else args.steps
    if not 1 <= steps <= MAX_STEPS:
        raise CLIError(f"--steps {steps}; expected an integer from 1 to {MAX_STEPS:,} (the file is built in memory)")
    if bool(args.out) == bool(args.check):
        raise CLIError("give exactly one of --out FILE or --check FILE")
    if args.out:
        try:
            check_file_writable(args.out)
        except OutputDirError as e:
            raise CLIError(f"--out: {e}") from None
    if args.check:
        try:
            stored = vectors.load(args.check)
        except (OSError, ValueError) as e:  # missing, unreadable, not UTF-8, not JSON
            raise CLIError(f"cannot read {args.check}: {e}") from None
    fresh = vectors.build(steps)
    if args.check:
        found = vectors.differences(stored, fresh)
        for line in found[:20]:
            print(line)
        print(f"{args.check}: {'matches' if not found else f'{len(found)} differences'} ({len(fresh['cases'])} cases)")
        return 0 if not found else 1
    try:
        size = vectors.write(args.out, fresh)
    except OSError as e:
        raise CLIError(f"cannot write {args.out}: {e}") from None
    print(f"wrote {args.out}: {len(fresh['cases'])} cases × {steps} steps, {size / 1e3:.0f} kB")
    return 0
