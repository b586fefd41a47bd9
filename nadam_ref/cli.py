"""The ``nadam-ref`` command line (also ``python -m nadam_ref``).

Each sub-command lives in :mod:`nadam_ref.commands` and exposes ``add_arguments(parser)`` and
``run(args) -> int``; this file only lists them (a command's module is imported only when it runs, so
``nadam-ref --help`` stays fast) and turns every user error into one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

from .backend import BackendError
from .commands import CLIError

# name -> (module, one-line help). Modules are imported only when their command runs.
COMMANDS = {
    "rules": ("nadam_ref.commands.rules_cmd", "list the update rules with their boxes and defaults"),
    "trace": ("nadam_ref.commands.trace_cmd", "print each line of a rule's box with its values, step by step"),
    "demo": ("nadam_ref.commands.demo_cmd", "the main demo that `make demo` runs"),
    "bench": ("nadam_ref.commands.bench_cmd", "update step vs torch.optim and memory bandwidth; model steps vs torch"),
    "race": ("nadam_ref.commands.race_cmd", "rules racing on a 2D surface: animation, PNG, loss plot, summary.csv"),
    "crosscheck": ("nadam_ref.commands.crosscheck_cmd", "torch, optax and keras next to the paper's rules"),
    "identify": ("nadam_ref.commands.identify_cmd", "which nadam_ref rule and variant an optimizer computes"),
    "vectors": ("nadam_ref.commands.vectors_cmd", "write (or check) the golden test vectors as JSON"),
    "data": ("nadam_ref.commands.data_cmd", "download the full data sets, or show what data is available"),
    "reproduce": ("nadam_ref.commands.reproduce_cmd", "the paper's three experiments: 3×3 tables and curves"),
}

#: A value that starts with "-" and a digit (-1, -1e-8, -.5, -1.5,2) or is -inf/-nan: argparse's own pattern
#: misses the exponent form, and "--eps -1e-8" then reads as a missing value. No option of ours starts so.
NEGATIVE_NUMBER = re.compile(r"^-\.?\d|^-(inf|infinity|nan)$", re.IGNORECASE)


class Parser(argparse.ArgumentParser):
    """argparse with errors on one line, and negative numbers in any notation taken as values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER  # the attribute argparse consults for this

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    first = Parser(add_help=False)
    first.add_argument("command", nargs="?")
    full = _full_parser(first.parse_known_args(argv[:1])[0].command)
    try:
        args = full.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a bad argument already reported on one line
        return int(e.code or 0)
    if not getattr(args, "command", None):
        full.print_help()
        return 0
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args) or 0)
    except (CLIError, BackendError) as e:  # BackendError: NADAM_REF_BACKEND names a backend this machine lacks
        print(f"nadam-ref {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"nadam-ref {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`nadam-ref trace --steps 1000 | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _full_parser(command: str | None) -> argparse.ArgumentParser:
    from . import __version__

    parser = Parser(
        prog="nadam-ref",
        description="Reference implementation of Dozat (2016), Incorporating Nesterov Momentum into Adam.",
    )
    parser.add_argument("--version", action="version", version=f"nadam-ref {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        if name == command:  # only the chosen command's module is imported
            importlib.import_module(module).add_arguments(p)
    return parser


if __name__ == "__main__":
    sys.exit(main())
