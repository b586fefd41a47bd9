"""``nadam-ref vectors --out FILE.json [--steps K]``: write the golden vectors (every rule × problem × schedule and
ε variant, the first K steps with every intermediate); ``--check FILE`` compares a file with a fresh build."""

from __future__ import annotations

from ..cli import CLIError


def add_arguments(parser):
    parser.add_argument("--out", default=None, help="where to write the JSON file")
    parser.add_argument("--steps", type=int, default=None, help="steps per case (default: as committed, 8)")
    parser.add_argument("--check", metavar="FILE", default=None, help="compare FILE with a fresh build instead")


def run(args) -> int:
    from ..crosscheck import vectors

    steps = vectors.STEPS if args.steps is None else args.steps
    if steps < 1:
        raise CLIError(f"--steps {steps}; expected an integer >= 1")
    if bool(args.out) == bool(args.check):
        raise CLIError("give exactly one of --out FILE or --check FILE")
    fresh = vectors.build(steps)
    if args.check:
        try:
            stored = vectors.load(args.check)
        except (OSError, ValueError) as e:
            raise CLIError(f"cannot read {args.check}: {e}") from None
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
