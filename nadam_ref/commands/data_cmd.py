"""``nadam-ref data``: ``download mnist|ptb|text8 [--dir D] [--mirror URL]`` and ``info [--json]``."""

from __future__ import annotations

from .._io import strict_json
from . import CLIError


def add_arguments(parser):
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    dl = sub.add_parser("download", help="fetch a full data set into the cache, checksum-verified")
    dl.add_argument("name", choices=["mnist", "ptb", "text8"])
    dl.add_argument("--dir", default=None, help="destination folder (default: the cache's <name>/ folder)")
    dl.add_argument("--mirror", default=None, help="base URL of a mirror holding the same file names")
    dl.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the server (default 60)")
    info = sub.add_parser("info", help="what data is available locally, and where")
    info.add_argument("--json", action="store_true", help="machine-readable output")


def run(args) -> int:
    from .. import data

    if args.action == "download":
        try:
            data.download(args.name, args.dir, mirror=args.mirror, timeout=args.timeout)
        except (ValueError, data.DownloadError, OSError) as e:  # a bad --mirror or --timeout is a ValueError
            raise CLIError(str(e)) from None
        return 0
    report = data.info()
    if args.json:
        print(strict_json(report, indent=2))
        return 0
    print("shipped with the package (offline defaults):")
    for f in report["shipped"]:
        print(f"  {f['path']}  ({f['bytes']:,} bytes)")
    print(f"download cache: {report['cache_dir']}  (set NADAM_REF_DATA to move it)")
    for name, d in report["downloads"].items():
        state = "complete" if d["complete"] else (
            f"NOT {name}: checksums differ for {', '.join(d['mismatched'])}" if d["mismatched"]
            else f"partial: {', '.join(d['present'])}" if d["present"] else "not downloaded")
        print(f"  {name:<6} {state:<16} {d['dir']}")
    fashion = report["fashion_mnist"]
    print(f"Fashion-MNIST (Debian dataset-fashion-mnist): "
          f"{', '.join(fashion['files']) if fashion['files'] else 'not installed'} at {fashion['dir']}")
    return 0
