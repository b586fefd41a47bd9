"""``nadam-ref bench [--json]``: time the update step of every rule against torch.optim and the memory bandwidth,
and the models' training steps against torch.

Writes ``<out>/update_step_<device>.json`` and ``.md`` and prints the Markdown tables (or, with ``--json``, the
JSON).
"""

from __future__ import annotations

from .. import RULES, backend
from .._io import OutputDirError, check_writable, strict_json
from . import CLIError

DEFAULT_SIZES = (100_000, 10_000_000)
MAX_SIZE = 1_000_000_000  # each of θ, g, m, n and torch's copies is 4 GB in float32 at this size


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of the table")
    parser.add_argument("--out", default="benchmarks/results", help="folder for the JSON and Markdown files")
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help=f"parameter counts, comma-separated (default 100000,10000000; at most {MAX_SIZE:.0e})")
    parser.add_argument("--rules", default=",".join(RULES), help="rules, comma-separated (default: all)")
    parser.add_argument("--threads", default="1,2", help="thread counts, one child process each (default 1,2)")
    parser.add_argument("--repeats", type=int, default=9, help="interleaved rounds per workload (default 9)")
    parser.add_argument("--models", default="cnn,lstm_lm,word2vec",
                        help="models whose forward + backward step to time against torch (CPU only), "
                             "comma-separated, or 'none' (default: cnn,lstm_lm,word2vec at paper size)")
    parser.add_argument("--device", choices=("cpu", "gpu", "auto"), default="cpu",
                        help="cpu (NumPy vs torch CPU), gpu (CuPy vs torch CUDA), or auto (gpu when one is present)")
    parser.add_argument("--full-below", type=int, default=1_000_000,
                        help="above this size only adam and nadam run every implementation; the other rules "
                             "run fused against torch (default 1000000)")


def _ints(text: str, what: str, most: int) -> list[int]:
    try:
        values = [int(float(x)) for x in text.split(",") if x.strip()]
    except (ValueError, OverflowError):  # "x", "nan", "inf"
        values = []
    if not values or any(not 0 < v <= most for v in values):
        raise CLIError(f"--{what} {text!r}: expected comma-separated whole numbers from 1 to {most:,}")
    return values


def run(args) -> int:
    from ..bench import report, runner

    rules = [r.strip() for r in args.rules.split(",") if r.strip()]
    unknown = [r for r in rules if r not in RULES]
    if unknown or not rules:
        raise CLIError(f"--rules: unknown {unknown or args.rules!r}; expected some of {', '.join(RULES)}")
    if args.repeats < 1:
        raise CLIError(f"--repeats {args.repeats}: expected at least 1")
    device = args.device
    if device == "auto":
        device = "gpu" if backend.gpu_available() else "cpu"
    if device == "gpu" and not backend.gpu_available():
        raise CLIError("--device gpu: no CUDA device is available here (CuPy "
                       f"{'is not installed' if backend.cupy_module() is None else 'sees no GPU'})")
    from ..bench.model_steps import MODELS

    chosen = [] if args.models.strip() == "none" else [m.strip() for m in args.models.split(",") if m.strip()]
    if any(m not in MODELS for m in chosen):
        raise CLIError(f"--models {args.models!r}: expected some of {', '.join(MODELS)}, or 'none'")
    if args.full_below < 0:
        raise CLIError(f"--full-below {args.full_below}: expected a parameter count >= 0")
    config = {"sizes": _ints(args.sizes, "sizes", MAX_SIZE), "rules": rules,
              "threads": _ints(args.threads, "threads", 1024),
              "repeats": args.repeats, "device": device, "full_below": args.full_below, "models": chosen}
    try:
        check_writable(args.out)  # before the minutes of measuring, not after
    except OutputDirError as e:
        raise CLIError(f"--out: {e}") from None
    result = runner.run(config)
    json_path, md_path = report.write(result, args.out, f"update_step_{device}")
    print(strict_json(result, indent=1) if args.json else report.markdown(result))
    print(f"\nwrote {json_path} and {md_path}", flush=True)
    return 0
