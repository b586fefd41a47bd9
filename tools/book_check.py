"""Check the built book (``make book-check``): links and offline assets on every page, then every page as a browser
renders it.

1. **Every page, statically.** Every internal ``href``/``src`` resolves to a file of the build (and its ``#anchor`` to
   an ``id`` in that file); no ``<script>``, stylesheet, image or frame loads from another host.
2. **Every page, in a browser.** A local HTTP server serves ``book/_build/html``; headless Chromium (Debian's
   ``chromium``) loads each page with a small measuring script added (:data:`MEASURE_JS`) and gives back the DOM
   after the scripts ran. On every page MathJax must be loaded; where the page has math it must have typeset it
   (``mjx-container`` elements, no ``mjx-merror``); no raw ``\\(``, ``\\[``, ``$$`` or ``$…^…$`` may be left in the
   visible text (sidebar included); no table, code block, figure or formula may be wider than the article without a
   scroll container; every image must load; every animation must show a frame; and every internal link of the
   page must answer 200 from the server. A full-page screenshot of every page, in tiles, goes to ``--screenshots``.

Exit status 0 when everything passed, 1 when something failed (each failure is printed), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
HTML_DIR = ROOT / "book" / "_build" / "html"
SCREENSHOT_DIR = ROOT / "book" / "_build" / "screenshots"

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--mute-audio")
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
SKIPPED_SCHEMES = ("mailto:", "javascript:", "data:", "tel:")


@dataclass(frozen=True)
class PageCheck:
    """A page to open in the browser, how many animations it must show, and whether it has math to typeset."""

    name: str
    path: str
    animations: int = 0
    math: bool = True


def browser_pages(html_dir: Path) -> list[PageCheck]:
    """Every built page, the index first; the animations and math each must show are read from its HTML."""
    out = []
    for path in sorted(pages(html_dir), key=lambda p: (p.name != "index.html", p.as_posix())):
        relative = path.relative_to(html_dir).as_posix()
        if relative in ("genindex.html", "search.html"):
            continue  # Sphinx's generated index and search pages: no content of ours
        source = path.read_text(encoding="utf-8", errors="replace")
        name = relative[: -len(".html")].replace("/", "_")
        out.append(PageCheck(name, relative, animations=len(re.findall(r'<img id="_anim_img\w+"', source)),
                             math='class="math' in source))
    return out


# -- static checks -----------------------------------------------------------------------------------------------


@dataclass
class ParsedPage:
    ids: set = field(default_factory=set)
    links: list = field(default_factory=list)  # (tag, attribute, value)


class _Collector(HTMLParser):
    LINK_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "iframe": "src", "source": "src"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = ParsedPage()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key):
                self.page.ids.add(attrs[key])
        attribute = self.LINK_ATTRS.get(tag)
        if attribute and attrs.get(attribute):
            self.page.links.append((tag, attribute, attrs[attribute], attrs.get("rel") or ""))


@functools.cache
def parse_page(path: Path) -> ParsedPage:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8", errors="replace"))
    return collector.page


def pages(html_dir: Path) -> list[Path]:
    """The built pages; ``_static`` holds theme templates, not pages, and ``lite/`` is the JupyterLite app (its
    own check: ``tools.lite_check``)."""
    return sorted(p for p in html_dir.rglob("*.html")
                  if "_static" not in p.relative_to(html_dir).parts and p.relative_to(html_dir).parts[0] != "lite")


def check_static(html_dir: Path) -> list[str]:
    """Problems with links and external assets across every ``*.html`` of the build."""
    problems = []
    for page_path in pages(html_dir):
        page = parse_page(page_path)
        where = page_path.relative_to(html_dir).as_posix()
        for tag, attribute, value, rel in page.links:
            if value.startswith(SKIPPED_SCHEMES):
                continue
            if EXTERNAL.match(value):
                if tag != "a" and not (tag == "link" and rel in ("canonical", "alternate")):
                    problems.append(f"{where}: <{tag} {attribute}={value!r}> loads from another host")
                continue
            problem = _resolve(html_dir, page_path, value)
            if problem:
                problems.append(f"{where}: <{tag} {attribute}={value!r}>: {problem}")
    return problems


def _resolve(html_dir: Path, page_path: Path, link: str) -> str | None:
    parts = urlsplit(link)
    target = page_path if not parts.path else (page_path.parent / unquote(parts.path))
    target = Path(os.path.normpath(target))
    if target.is_dir():
        target = target / "index.html"
    if html_dir.resolve() not in target.resolve().parents and target.resolve() != html_dir.resolve():
        return "points outside the build"
    if not target.is_file():
        return f"no file {target.relative_to(html_dir) if html_dir in target.parents else target}"
    if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in parse_page(target).ids:
        return f"no id {parts.fragment!r} in {target.relative_to(html_dir).as_posix()}"
    return None


# -- browser checks ----------------------------------------------------------------------------------------------


#: Added to every page the browser check loads: once the page and MathJax are done, it measures what overflows the
#: article, which images failed and which animations show a frame, and writes the findings as JSON into
#: ``<pre id="nadam-check">`` for ``--dump-dom`` to return.
MEASURE_JS = r"""
(async function () {
  const report = {overflow: [], images: [], animations: 0, mathjax: !!window.MathJax};
  await new Promise(r => document.readyState === "complete" ? r() : window.addEventListener("load", r));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    try { await MathJax.startup.promise; } catch (e) { report.overflow.push("MathJax failed: " + e); }
  }
  const article = document.querySelector("article") || document.querySelector("main") || document.body;
  const limit = article.getBoundingClientRect().right + 1;
  const scrolls = el => ["auto", "scroll", "hidden"].includes(getComputedStyle(el).overflowX);
  const describe = el => el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
                                                     ? "." + el.className.trim().split(/\s+/).join(".") : "");
  for (const el of article.querySelectorAll("table, pre, img, figure, svg, mjx-container, .cell_output")) {
    let box = null;
    for (let a = el; a && a !== article; a = a.parentElement) { if (scrolls(a)) { box = a; break; } }
    const r = (box || el).getBoundingClientRect();
    if (r.width > 0 && r.right > limit) {
      report.overflow.push(describe(el) + " reaches " + Math.round(r.right - limit) + " px past the article" +
                           (box ? " (its scroll container too)" : " and has no scroll container"));
    }
  }
  for (const img of document.images) {
    if (img.id.startsWith("_anim_img")) {
      if (img.complete && img.naturalWidth > 0 && img.src.startsWith("data:image/png")) report.animations += 1;
    } else if (!img.complete || img.naturalWidth === 0) {
      report.images.push(img.getAttribute("src"));
    }
  }
  const pre = document.createElement("pre");
  pre.id = "nadam-check";
  pre.textContent = JSON.stringify(report);
  document.body.appendChild(pre);
})();
"""
MEASURE_PATH = "__nadam_check.js"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the book; a page asked for with ``?measure`` gets :data:`MEASURE_JS` added before ``</body>``."""

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == "/" + MEASURE_PATH:
            return self._send(MEASURE_JS.encode(), "text/javascript")
        if parts.query == "measure" and parts.path.endswith(".html"):
            page = Path(self.directory) / unquote(parts.path).lstrip("/")
            if page.is_file():
                text = page.read_text(encoding="utf-8", errors="replace")
                text = text.replace("</body>", f'<script src="/{MEASURE_PATH}"></script></body>', 1)
                return self._send(text.encode(), "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, kind: str):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the browser hangs up when its time budget ends
            super().handle_error(request, client_address)


def serve(html_dir: Path):
    """A threaded HTTP server on a free local port; returns ``(server, base_url)``. Call ``server.shutdown()``."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = _Server(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def chromium(binary: str, url: str, *extra: str, budget_ms: int = 20000, timeout: float = 120) -> str:
    """Run headless Chromium once with a fresh profile; return its stdout (the DOM with ``--dump-dom``)."""
    with tempfile.TemporaryDirectory(prefix="nadam-ref-chromium-") as profile:
        command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                   *extra, url]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"chromium exited {result.returncode} on {url}: {result.stderr.strip()[-500:]}")
    return result.stdout


class _VisibleText(HTMLParser):
    """The text a reader sees: everything outside script, style, code blocks, and MathJax's own output."""

    HIDDEN = {"script", "style", "pre", "code", "textarea", "mjx-container", "noscript", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


RAW_DOLLAR_MATH = re.compile(r"\$[^$\n]{0,80}[\\^_{][^$\n]{0,80}\$")


def check_rendered_dom(dom: str, page: PageCheck) -> list[str]:
    """Problems in the DOM of ``page`` after its scripts ran (and, when present, the measuring script's report)."""
    problems = []
    if page.math and dom.count("<mjx-container") == 0:
        problems.append(f"{page.name}: no math typeset by MathJax (no mjx-container)")
    if "<mjx-merror" in dom:
        problems.append(f"{page.name}: MathJax reported a TeX error (mjx-merror)")
    text = _VisibleText()
    text.feed(dom)
    visible = "".join(text.parts)
    for raw in ("\\(", "\\[", "$$"):
        at = visible.find(raw)
        if at >= 0:
            problems.append(f"{page.name}: raw math {raw!r} left in the text: {visible[max(0, at - 60):at + 60]!r}")
    dollar = RAW_DOLLAR_MATH.search(visible)
    if dollar:
        problems.append(f"{page.name}: raw math {dollar.group(0)!r} left in the text")
    report = re.search(r'<pre id="nadam-check">(.*?)</pre>', dom, re.DOTALL)
    if report is None:
        animations = len(re.findall(r'<img id="_anim_img\w+"[^>]*src="data:image/png', dom))
    else:
        found = json.loads(html.unescape(report.group(1)))
        animations = found["animations"]
        if not found["mathjax"]:
            problems.append(f"{page.name}: MathJax is not loaded")
        problems += [f"{page.name}: {what}" for what in found["overflow"]]
        problems += [f"{page.name}: image does not load: {src}" for src in found["images"]]
    if animations < page.animations:
        problems.append(f"{page.name}: expected {page.animations} animation(s) showing a frame, found {animations}")
    return problems


def check_links_answer(base_url: str, html_dir: Path, page: PageCheck) -> list[str]:
    """Every internal link of ``page`` answers 200 from the server."""
    problems, seen = [], set()
    for tag, attribute, value, _ in parse_page(html_dir / page.path).links:
        if value.startswith(SKIPPED_SCHEMES) or EXTERNAL.match(value) or value.startswith("#"):
            continue
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page.path), urlsplit(value).path))
        if path in seen:
            continue
        seen.add(path)
        try:
            with urllib.request.urlopen(base_url + path, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as e:
            status = e.code
        if status != 200:
            problems.append(f"{page.name}: <{tag} {attribute}={value!r}> answered HTTP {status}")
    return problems


def screenshot_tiles(binary: str, url: str, prefix: Path, width: int = 1280, height: int = 20000,
                     tile: int = 1600) -> list[Path]:
    """Photograph the whole page in one tall window, trim the blank space below the content, and save it as tiles
    ``prefix-01.png``, ``prefix-02.png``, ... of ``width`` x ``tile`` pixels (fragment URLs do not scroll in headless
    screenshots, so tiles are how the lower part of a page is seen)."""
    import numpy
    from PIL import Image

    with tempfile.TemporaryDirectory(prefix="nadam-ref-shot-") as tmp:
        tall = Path(tmp) / "page.png"
        chromium(binary, url, f"--screenshot={tall}", f"--window-size={width},{height}")
        image = Image.open(tall).convert("RGB")
        image.load()
    column = numpy.asarray(image.convert("L"))[:, width // 5: width * 4 // 5]
    inked = numpy.flatnonzero((column < 200).any(axis=1))
    end = height
    if inked.size:
        gaps = numpy.flatnonzero(numpy.diff(inked) > 1000)
        end = min(height, int(inked[gaps[0]] if gaps.size else inked[-1]) + 40)
    shots = []
    for index, top in enumerate(range(0, end, tile), start=1):
        path = prefix.with_name(f"{prefix.name}-{index:02d}.png")
        image.crop((0, top, width, min(top + tile, end))).save(path)
        shots.append(path)
    return shots


def check_in_browser(html_dir: Path, screenshot_dir: Path, binary: str) -> tuple[list[str], list[Path]]:
    problems, shots = [], []
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    server, base_url = serve(html_dir)
    try:
        for page in browser_pages(html_dir):
            if not (html_dir / page.path).is_file():
                problems.append(f"{page.name}: {page.path} was not built")
                continue
            url = base_url + page.path
            dom = chromium(binary, url + "?measure", "--dump-dom", "--window-size=1280,2000")
            problems += check_rendered_dom(dom, page)
            problems += check_links_answer(base_url, html_dir, page)
            for old in screenshot_dir.glob(f"{page.name}-*.png"):
                old.unlink()
            page_shots = screenshot_tiles(binary, url, screenshot_dir / page.name)
            if not page_shots:
                problems.append(f"{page.name}: no screenshot written for {url}")
            shots += page_shots
    finally:
        server.shutdown()
    return problems, shots


def verdict(tool: str, problems: list[str]) -> int:
    """Print each problem and the verdict; the exit status (0 passed, 1 failed)."""
    for problem in problems:
        print("FAIL", problem)
    print(f"{tool}: " + ("passed" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.book_check", description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=Path, default=HTML_DIR, help="the built book (book/_build/html)")
    parser.add_argument("--screenshots", type=Path, default=SCREENSHOT_DIR, help="where to save screenshots")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"),
                        help="the Chromium binary (Debian: apt-get install chromium)")
    parser.add_argument("--static-only", action="store_true", help="skip the browser checks")
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        print(f"book_check: no built book at {args.html} (run make book first)", file=sys.stderr)
        return 2
    problems = check_static(args.html)
    print(f"static: {len(pages(args.html))} pages, {len(problems)} problem(s)")
    if not args.static_only:
        if shutil.which(args.chromium) is None:
            print(f"book_check: no browser {args.chromium!r} (Debian: apt-get install chromium)", file=sys.stderr)
            return 2
        browser_problems, shots = check_in_browser(args.html, args.screenshots, args.chromium)
        checked = browser_pages(args.html)
        print(f"browser: {len(checked)} pages ({', '.join(p.name for p in checked)}); {len(browser_problems)} "
              f"problem(s); {len(shots)} screenshots in {args.screenshots}")
        problems += browser_problems
    return verdict("book_check", problems)


if __name__ == "__main__":
    sys.exit(main())
