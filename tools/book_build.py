"""Build the Jupyter Book (``make book``): assemble its pages, vendor MathJax, run ``jupyter-book build``.

Steps, all offline once MathJax is in place:

1. **MathJax.** ``book/_vendor/mathjax/`` holds MathJax 3's ``es5`` bundle, so the pages typeset math without a CDN.
   If it is missing, it is fetched once with ``npm pack mathjax@3.2.2`` (npm's cache makes a second fetch local), the
   tarball is checked against the pinned SHA-512, and unpacked atomically. ``--mathjax-tarball FILE`` or
   ``NADAM_REF_MATHJAX_TARBALL`` uses a tarball you already have instead.
2. **Sources.** ``book/_build/src`` receives the book's pages (``book/*.md``, ``_config.yml``, ``references.bib``),
   the notebooks (``notebooks/*.ipynb``), and, when they exist at build time, the conventions table of the
   cross-check harness (``docs/conventions.md``), the reproduction report (``docs/reproduction.md`` with its
   figures) and the benchmark results (``benchmarks/results/*.md``), which are appended to the table of contents
   as a "Results" part. Nothing is listed that does not exist.
3. **Build.** ``jupyter-book build`` writes ``book/_build/html``. Notebooks are executed with jupyter-cache
   (``book/_build/.jupyter_cache``), so a rebuild only re-runs notebooks whose code changed.
   ``NADAM_REF_FULL=1`` in the environment reaches the notebooks' kernels. A build that outlives
   :data:`BUILD_ATTEMPT_S` (a kernel and its client both idle, waiting on each other) is killed with its kernels
   and run again from the cache, at most :data:`BUILD_ATTEMPTS` times.

Check the result with ``python -m tools.book_check`` (links, no external scripts, math and animations in a
headless browser).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import yaml

from nadam_ref._io import move_into_place

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
BUILD = BOOK / "_build"
STAGE = BUILD / "src"
VENDOR = BOOK / "_vendor"

MATHJAX_PACKAGE = "mathjax@3.2.2"
#: npm's ``integrity`` field for mathjax-3.2.2.tgz (SHA-512 of the tarball, base64).
MATHJAX_INTEGRITY = (
    "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
)
MATHJAX_ENTRY = "tex-chtml.js"
BOOK_FILES = ("_config.yml", "_toc.yml", "references.bib")
BOOK_FOLDERS = ("_ext", "_static")  # the book's Sphinx extension and its stylesheet


class BookBuildError(RuntimeError):
    """Something the build needs is missing or wrong; the message says what and how to fix it."""


# -- MathJax ---------------------------------------------------------------------------------------------------


def ensure_mathjax(vendor: Path = VENDOR, tarball: Path | None = None) -> Path:
    """``vendor/mathjax`` with MathJax's es5 bundle in it, fetched and verified if it is not there yet."""
    target = vendor / "mathjax"
    if (target / MATHJAX_ENTRY).is_file():
        return target
    vendor.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=vendor) as tmp:
        tgz = Path(tarball) if tarball else npm_pack(MATHJAX_PACKAGE, Path(tmp), "--mathjax-tarball mathjax-3.2.2.tgz")
        verify_integrity(tgz, MATHJAX_INTEGRITY, MATHJAX_PACKAGE)
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tgz, "r:gz") as archive:
            members = [m for m in archive.getmembers() if m.name.startswith("package/es5/") and m.isfile()]
            if not members:
                raise BookBuildError(f"{tgz} holds no package/es5/ folder; is it the mathjax@3 npm tarball?")
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}  # Python >= 3.10.12 / 3.11.4
            archive.extractall(unpacked, members=members, **safe)
        move_into_place(unpacked / "package" / "es5", target)
    return target


def npm_pack(package: str, destination: Path, instead: str) -> Path:
    """The tarball of ``package`` (``name@version``) from the npm registry, written into ``destination``;
    ``instead`` names the option that passes a tarball you already have."""
    npm = shutil.which("npm")
    if npm is None:
        raise BookBuildError(f"{package} is not vendored yet and npm is not on PATH: install npm (Debian: apt-get "
                             f"install npm), or pass {instead}")
    result = subprocess.run([npm, "pack", package, "--pack-destination", str(destination)],
                            capture_output=True, text=True)
    tarballs = sorted(destination.glob(f"{package.split('@')[0]}-*.tgz"))
    if result.returncode != 0 or not tarballs:
        raise BookBuildError(f"npm pack {package} failed (exit {result.returncode}): {result.stderr.strip()}")
    return tarballs[0]


def verify_integrity(path: Path, integrity: str, what: str) -> None:
    """Check ``path`` against npm's ``integrity`` field (``sha512-<base64>``) for ``what``."""
    algorithm, expected = integrity.split("-", 1)
    digest = base64.b64encode(hashlib.new(algorithm, Path(path).read_bytes()).digest()).decode()
    if digest != expected:
        raise BookBuildError(f"{path}: {algorithm} is {digest}, expected {expected} ({what})")


# -- sources ---------------------------------------------------------------------------------------------------


def optional_pages(root: Path = ROOT) -> list[tuple[Path, str]]:
    """The result pages that exist now, as ``(source file, name in the book)``."""
    pages = []
    conventions = root / "docs" / "conventions.md"
    if conventions.is_file():
        pages.append((conventions, "results/conventions.md"))
    reproduction = root / "docs" / "reproduction.md"
    if reproduction.is_file():  # its figures are copied beside it (see stage)
        pages.append((reproduction, "results/reproduction.md"))
    for path in sorted((root / "benchmarks" / "results").glob("*.md")):
        pages.append((path, f"results/benchmark_{path.stem}.md"))
    return pages


def toc_with_results(toc: dict, result_names: list[str]) -> dict:
    """``toc`` with a "Results" part listing ``result_names`` (without suffix), before the "Reference" part."""
    if not result_names:
        return toc
    toc = {**toc, "parts": list(toc["parts"])}
    part = {"caption": "Results", "chapters": [{"file": name} for name in result_names]}
    position = next((i for i, p in enumerate(toc["parts"]) if p.get("caption") == "Reference"), len(toc["parts"]))
    toc["parts"].insert(position, part)
    return toc


def toc_files(toc: dict) -> list[str]:
    """Every ``file:`` entry of a jb-book table of contents, root first."""
    files = [toc["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    return files


def stage(root: Path = ROOT, stage_dir: Path = STAGE, mathjax_parent: Path = VENDOR,
          cache_dir: Path = BUILD / ".jupyter_cache") -> dict:
    """Assemble the book's source folder; return the table of contents written there."""
    book, notebooks = root / "book", root / "notebooks"
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    (stage_dir / "notebooks").mkdir(parents=True)
    for path in sorted(book.glob("*.md")):
        shutil.copy2(path, stage_dir / path.name)
    for name in BOOK_FILES:
        if name != "_toc.yml":
            shutil.copy2(book / name, stage_dir / name)
    for folder in BOOK_FOLDERS:
        shutil.copytree(book / folder, stage_dir / folder)
    for path in sorted(notebooks.glob("*.ipynb")):
        shutil.copy2(path, stage_dir / "notebooks" / path.name)

    results = []
    for source, name in optional_pages(root):
        (stage_dir / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, stage_dir / name)
        figures = source.with_suffix("")  # docs/reproduction/ holds the figures docs/reproduction.md shows
        if figures.is_dir():
            for png in sorted(figures.rglob("*.png")):
                target = stage_dir / name[: -len(".md")] / png.relative_to(figures)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(png, target)
        results.append(name[: -len(".md")])
    toc = toc_with_results(yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8")), results)
    missing = [f for f in toc_files(toc) if not _page_exists(stage_dir, f)]
    if missing:
        raise BookBuildError(f"the table of contents lists pages that do not exist: {missing}")
    (stage_dir / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False, allow_unicode=True), encoding="utf-8")

    config = yaml.safe_load((book / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["cache"] = str(cache_dir)
    config["sphinx"]["config"]["html_static_path"] = [str(stage_dir / "_static"), str(mathjax_parent)]
    (stage_dir / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                                           encoding="utf-8")
    return toc


def _page_exists(stage_dir: Path, name: str) -> bool:
    return any((stage_dir / f"{name}{suffix}").is_file() for suffix in (".md", ".ipynb"))


# -- build -----------------------------------------------------------------------------------------------------


def package_fingerprint(package: Path = ROOT / "nadam_ref") -> str:
    """SHA-256 over the package's Python sources: what the notebooks' outputs depend on besides their own code."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def invalidate_stale_cache(cache_dir: Path = BUILD / ".jupyter_cache", fingerprint: str | None = None) -> bool:
    """jupyter-cache keys a notebook on its own code only; drop the cache when the package changed since it was
    filled, so no page shows outputs of an older ``nadam_ref``. Returns True if the cache was dropped."""
    fingerprint = fingerprint or package_fingerprint()
    stamp = cache_dir.with_name(cache_dir.name + ".package-sha256")
    stale = stamp.is_file() and stamp.read_text().strip() != fingerprint
    if stale or not stamp.is_file():
        # Sphinx's saved environment holds the old outputs too, and would skip the unchanged notebook files.
        for folder in (cache_dir, cache_dir.parent / ".doctrees", cache_dir.parent / "jupyter_execute"):
            shutil.rmtree(folder, ignore_errors=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n")
    return stale


#: Seconds one ``jupyter-book build`` may take before it is stopped and started again, and how often. Now and then
#: a notebook's kernel and its client both sit idle, each waiting for the other (seen in notebook 07, with
#: ipykernel 6 and 7); a second build gets past it, and the execution cache keeps every notebook already run.
BUILD_ATTEMPT_S = 420
BUILD_ATTEMPTS = 3


def run_with_retries(command: list, env: dict, attempt_s: float = BUILD_ATTEMPT_S,
                     attempts: int = BUILD_ATTEMPTS) -> int:
    """Run ``command`` in a session of its own; one that outlives ``attempt_s`` is killed with its kernels and
    run again, up to ``attempts`` times. Returns the last exit status (124 when every attempt timed out)."""
    for attempt in range(1, attempts + 1):
        process = subprocess.Popen(command, env=env, start_new_session=True)
        try:
            return process.wait(timeout=attempt_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            print(f"jupyter-book build still running after {attempt_s:.0f} s (attempt {attempt} of {attempts}): "
                  "stopped it and its kernels", file=sys.stderr)
    return 124


def build(args) -> int:
    started = time.perf_counter()
    mathjax = ensure_mathjax(tarball=args.mathjax_tarball)
    print(f"MathJax: {mathjax}")
    if invalidate_stale_cache():
        print("nadam_ref changed since the notebooks were cached: executing them again")
    toc = stage()
    print(f"staged {len(toc_files(toc))} pages in {STAGE.relative_to(ROOT)}")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # notebooks must draw inline figures
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book) if jupyter_book.exists() else "jupyter-book", "build", str(STAGE),
               "--path-output", str(BOOK), "--builder", "html"]
    if args.warnings_as_errors:
        command.append("-W")
    returncode = run_with_retries(command, env)
    if returncode != 0:
        print(f"jupyter-book build failed (exit {returncode})", file=sys.stderr)
        return returncode
    print(f"built {BUILD.relative_to(ROOT) / 'html' / 'index.html'} in {time.perf_counter() - started:.0f} s")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.book_build", description=__doc__.splitlines()[0])
    parser.add_argument("--mathjax-tarball", type=Path, default=os.environ.get("NADAM_REF_MATHJAX_TARBALL"),
                        help="use this mathjax-3.2.2.tgz instead of fetching it with npm")
    parser.add_argument("-W", "--warnings-as-errors", action="store_true", help="fail on Sphinx warnings")
    args = parser.parse_args(argv)
    try:
        return build(args)
    except BookBuildError as e:
        print(f"book_build: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
