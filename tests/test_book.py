"""The book's build and check scripts, without building the book: staging, the table of contents, the MathJax
tarball check, the cache invalidation, and the static and rendered-DOM checks on small hand-written pages."""

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile

import pytest
import yaml

from tools import book_build, book_check

ROOT = book_build.ROOT


def test_committed_toc_lists_every_notebook_and_existing_pages_only():
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = book_build.toc_files(toc)
    notebooks = {f"notebooks/{p.stem}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert notebooks <= set(files), f"notebooks missing from book/_toc.yml: {sorted(notebooks - set(files))}"
    for name in files:
        if not name.startswith("notebooks/"):
            assert (ROOT / "book" / f"{name}.md").is_file(), name


def test_config_vendors_mathjax_and_caches_execution():
    config = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    assert config["sphinx"]["config"]["mathjax_path"] == "mathjax/" + book_build.MATHJAX_ENTRY
    assert config["execute"]["execute_notebooks"] == "cache"


def fake_repo(tmp_path, conventions=False, benchmarks=()):
    (tmp_path / "book").mkdir()
    (tmp_path / "notebooks").mkdir()
    for name in ("_config.yml", "_toc.yml", "references.bib", "intro.md", "notation.md", "references.md"):
        (tmp_path / "book" / name).write_text((ROOT / "book" / name).read_text())
    for folder in book_build.BOOK_FOLDERS:
        shutil.copytree(ROOT / "book" / folder, tmp_path / "book" / folder)
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        (tmp_path / "notebooks" / path.name).write_text("{}")
    if conventions:
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "conventions.md").write_text("# Conventions\n")
        (tmp_path / "docs" / "reproduction" / "run").mkdir(parents=True)
        (tmp_path / "docs" / "reproduction.md").write_text("# Reproduction\n\n![curves](reproduction/run/c.png)\n")
        (tmp_path / "docs" / "reproduction" / "run" / "c.png").write_bytes(b"\x89PNG")
    if benchmarks:
        (tmp_path / "benchmarks" / "results").mkdir(parents=True)
        for name in benchmarks:
            (tmp_path / "benchmarks" / "results" / f"{name}.md").write_text(f"# {name}\n")
    return tmp_path


def test_stage_without_results_lists_no_results_part(tmp_path):
    repo = fake_repo(tmp_path)
    toc = book_build.stage(repo, repo / "stage", mathjax_parent=repo / "vendor", cache_dir=repo / "cache")
    assert "Results" not in [p["caption"] for p in toc["parts"]]
    config = yaml.safe_load((repo / "stage" / "_config.yml").read_text())
    assert config["sphinx"]["config"]["html_static_path"] == [str(repo / "stage" / "_static"), str(repo / "vendor")]
    assert config["sphinx"]["local_extensions"] == {"nadam_book": "_ext"}
    assert (repo / "stage" / "_ext" / "nadam_book.py").is_file()
    assert (repo / "stage" / "_static" / "nadam_ref.css").is_file()
    assert config["execute"]["cache"] == str(repo / "cache")
    assert (repo / "stage" / "notebooks" / "06_nadam_nadamax.ipynb").is_file()


def test_stage_adds_conventions_and_benchmarks_that_exist(tmp_path):
    repo = fake_repo(tmp_path, conventions=True, benchmarks=("update_step", "models"))
    toc = book_build.stage(repo, repo / "stage", mathjax_parent=repo / "vendor", cache_dir=repo / "cache")
    captions = [p["caption"] for p in toc["parts"]]
    assert captions.index("Results") == captions.index("Reference") - 1
    results = [c["file"] for c in toc["parts"][captions.index("Results")]["chapters"]]
    assert results == ["results/conventions", "results/reproduction", "results/benchmark_models",
                       "results/benchmark_update_step"]
    for name in results:
        assert (repo / "stage" / f"{name}.md").is_file()
    assert (repo / "stage" / "results" / "reproduction" / "run" / "c.png").read_bytes() == b"\x89PNG"
    assert yaml.safe_load((repo / "stage" / "_toc.yml").read_text()) == toc


def test_stage_refuses_a_toc_entry_without_its_page(tmp_path):
    repo = fake_repo(tmp_path)
    (repo / "notebooks" / "06_nadam_nadamax.ipynb").unlink()
    with pytest.raises(book_build.BookBuildError, match="notebooks/06_nadam_nadamax"):
        book_build.stage(repo, repo / "stage", mathjax_parent=repo / "vendor", cache_dir=repo / "cache")


def make_tarball(path, files):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def test_mathjax_from_a_verified_tarball_is_unpacked_once(tmp_path, monkeypatch):
    tgz = tmp_path / "mathjax.tgz"
    integrity = make_tarball(tgz, {"package/es5/tex-chtml.js": b"// mathjax", "package/README.md": b"x"})
    monkeypatch.setattr(book_build, "MATHJAX_INTEGRITY", integrity)
    target = book_build.ensure_mathjax(tmp_path / "vendor", tarball=tgz)
    assert (target / "tex-chtml.js").read_bytes() == b"// mathjax"
    assert not (target / "README.md").exists()
    tgz.unlink()  # already vendored: the tarball is not needed again
    assert book_build.ensure_mathjax(tmp_path / "vendor") == target


def test_a_tarball_with_the_wrong_digest_is_refused(tmp_path):
    tgz = tmp_path / "mathjax.tgz"
    make_tarball(tgz, {"package/es5/tex-chtml.js": b"// not the real one"})
    with pytest.raises(book_build.BookBuildError, match="expected"):
        book_build.ensure_mathjax(tmp_path / "vendor", tarball=tgz)
    assert not (tmp_path / "vendor" / "mathjax").exists()


def test_cache_is_dropped_when_the_package_changes(tmp_path):
    cache = tmp_path / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    (cache / "entry").write_text("x")
    book_build.invalidate_stale_cache(cache, fingerprint="a")  # no stamp yet: start clean
    assert not cache.exists()
    cache.mkdir()
    assert book_build.invalidate_stale_cache(cache, fingerprint="a") is False and cache.exists()
    assert book_build.invalidate_stale_cache(cache, fingerprint="b") is True and not cache.exists()


def test_package_fingerprint_follows_the_sources():
    assert book_build.package_fingerprint() == book_build.package_fingerprint()
    assert len(book_build.package_fingerprint()) == 64


# -- book_check ------------------------------------------------------------------------------------------------


def write_site(tmp_path, pages):
    for name, text in pages.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    book_check.parse_page.cache_clear()
    return tmp_path


def test_static_check_passes_a_clean_site(tmp_path):
    site = write_site(tmp_path, {
        "index.html": '<a href="a/b.html#sec">b</a><script src="_static/x.js"></script><a href="https://x.org">ext</a>',
        "a/b.html": '<h1 id="sec">B</h1><a href="../index.html">home</a><a href="#sec">self</a>',
        "_static/x.js": "", "_static/template.html": '<link href="{{ pathto(x) }}">'})
    assert book_check.check_static(site) == []


@pytest.mark.parametrize("page, message", [
    ('<a href="missing.html">x</a>', "no file missing.html"),
    ('<a href="index.html#nowhere">x</a>', "no id 'nowhere'"),
    ('<script src="https://cdn.example.org/mathjax.js"></script>', "loads from another host"),
    ('<link rel="stylesheet" href="//cdn.example.org/a.css">', "loads from another host"),
    ('<img src="../outside.png">', "outside the build"),
])
def test_static_check_finds_broken_links_and_external_assets(tmp_path, page, message):
    site = write_site(tmp_path / "site", {"index.html": page})
    (tmp_path / "outside.png").write_text("")
    problems = book_check.check_static(site)
    assert len(problems) == 1 and message in problems[0]


TYPESET = '<span class="math"><mjx-container class="MathJax">x</mjx-container></span>'
ANIMATION = '<img id="_anim_img0a1b" src="data:image/png;base64,AAAA">'


def test_rendered_dom_with_math_and_animation_passes():
    page = book_check.PageCheck("nadam", "n.html", animations=1)
    dom = f"<p>Text {TYPESET}</p>{ANIMATION}<pre>raw \\( in code is fine</pre>"
    assert book_check.check_rendered_dom(dom, page) == []


@pytest.mark.parametrize("dom, message", [
    ("<p>no math at all</p>", "no math typeset"),
    (f"<p>{TYPESET} and \\(x\\) untouched</p>", "raw math '\\\\('"),
    (f"<p>{TYPESET} $$x$$</p>", "raw math '$$'"),
    (f"<p>{TYPESET}<mjx-merror>bad</mjx-merror></p>", "TeX error"),
    (f"<p>{TYPESET}</p><img id='_anim_img0'>", "expected 1 animation"),
])
def test_rendered_dom_problems_are_reported(dom, message):
    problems = book_check.check_rendered_dom(dom, book_check.PageCheck("nadam", "n.html", animations=1))
    assert any(message in p for p in problems), problems


def test_browser_pages_are_every_page_with_their_animations_and_math(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "_static").mkdir()
    (tmp_path / "index.html").write_text('<span class="math">x</span>')
    (tmp_path / "references.html").write_text("<p>no math</p>")
    (tmp_path / "search.html").write_text("")
    (tmp_path / "_static" / "t.html").write_text("")
    (tmp_path / "lite" / "lab").mkdir(parents=True)  # the JupyterLite app: tools.lite_check checks it
    (tmp_path / "lite" / "lab" / "index.html").write_text('<script src="https://cdn.example/x.js"></script>')
    (tmp_path / "notebooks" / "07_race.html").write_text('<img id="_anim_img1a"><img id="_anim_img2b"> class="math"')
    checks = book_check.browser_pages(tmp_path)
    assert [(c.name, c.animations, c.math) for c in checks] == [
        ("index", 0, True), ("notebooks_07_race", 2, True), ("references", 0, False)]
    assert book_check.check_static(tmp_path) == []


def test_measuring_report_problems_are_reported():
    report = ('<pre id="nadam-check">{"overflow": ["table reaches 90 px past the article and has no scroll '
              'container"], "images": ["a.png"], "animations": 0, "mathjax": false}</pre>')
    problems = book_check.check_rendered_dom("<p>text</p>" + report,
                                             book_check.PageCheck("refs", "r.html", animations=1, math=False))
    assert any("no scroll container" in p for p in problems)
    assert any("image does not load: a.png" in p for p in problems)
    assert any("MathJax is not loaded" in p for p in problems)
    assert any("expected 1 animation" in p for p in problems)


def test_raw_dollar_math_in_visible_text_is_a_problem():
    problems = book_check.check_rendered_dom("<p>convergence rate $O(1/k^2)$</p>",
                                             book_check.PageCheck("refs", "r.html", math=False))
    assert any("$O(1/k^2)$" in p for p in problems), problems


def test_a_build_that_hangs_is_stopped_and_run_again(tmp_path, capsys):
    marker = tmp_path / "first-attempt"
    # the first attempt sleeps past the limit (the idle kernel hang); the second finds the marker and exits 0
    script = (f"import pathlib, sys, time; m = pathlib.Path({str(marker)!r})\n"
              "if not m.exists():\n    m.touch(); time.sleep(60)\nsys.exit(0)")
    status = book_build.run_with_retries([sys.executable, "-c", script], dict(os.environ), attempt_s=3, attempts=2)
    assert status == 0 and marker.exists()
    assert "attempt 1 of 2" in capsys.readouterr().err


def test_a_build_that_always_hangs_gives_up_with_124(tmp_path):
    status = book_build.run_with_retries([sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ),
                                         attempt_s=1, attempts=2)
    assert status == 124
