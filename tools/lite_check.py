"""Check the JupyterLite site (``make lite-check``): a notebook run top to bottom in headless Chromium.

A local HTTP server serves ``book/_build/html/lite``; Debian's ``chromium`` opens the notebook in JupyterLite's
notebook app and is driven over the DevTools protocol (a websocket; :class:`DevTools`). The site exposes the app
as ``window.jupyterapp`` (``tools.lite_build.site_config``), so the check runs the notebook's "Run All Cells"
command, as a reader's click would, and waits for it. It passes when every code cell ran (an execution count, no
error output), a figure was drawn (an ``image/png`` output, shown as a loaded ``<img>``), and the kernel was
Pyodide's, loaded from the site itself (any request to another host fails the check). A screenshot of the
first figure, with the cell that drew it, goes to ``--screenshot``.

Exit status 0 when it passed, 1 when it failed (each problem printed), 2 for a usage error.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tools.book_check import CHROMIUM_FLAGS, serve, verdict

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "book" / "_build" / "html" / "lite"
SCREENSHOT = ROOT / "book" / "_build" / "screenshots" / "lite-01_gd_and_momentum.png"
NOTEBOOK = "01_gd_and_momentum.ipynb"
#: Seconds the whole run may take: Pyodide starting in a worker, NumPy and Matplotlib loading, and the notebook's
#: cells (its animation draws 40 frames) on a 2-core machine.
RUN_S = 600

#: Started once in the page: waits for the app and the notebook's kernel, runs every cell, and leaves a report in
#: ``window.__liteCheck`` (``done`` and ``error`` once it has finished).
RUN_ALL_JS = r"""
(() => {
  const state = window.__liteCheck = {phase: "waiting for the app", done: false, error: null};
  const until = async (test, what) => {
    state.phase = what;
    for (;;) { const value = test(); if (value) return value; await new Promise(r => setTimeout(r, 250)); }
  };
  (async () => {
    const app = await until(() => window.jupyterapp, "waiting for window.jupyterapp");
    const panel = await until(() => {
      const w = app.shell.currentWidget;
      return w && w.content && w.sessionContext ? w : null;
    }, "waiting for the notebook");
    await panel.context.ready;
    await panel.sessionContext.ready;
    const kernel = await until(() => panel.sessionContext.session && panel.sessionContext.session.kernel,
                               "waiting for a kernel");
    state.kernel = kernel.name;
    state.phase = "running all cells";
    const started = performance.now();
    state.ranAll = await app.commands.execute("notebook:run-all-cells");
    state.seconds = (performance.now() - started) / 1000;
    await until(() => panel.sessionContext.kernelDisplayStatus === "idle", "waiting for the kernel to be idle");
    state.cells = [];
    for (const cell of panel.content.widgets) {
      if (cell.model.type !== "code") continue;
      const outputs = cell.model.outputs.toJSON();
      state.cells.push({
        count: cell.model.executionCount,
        errors: outputs.filter(o => o.output_type === "error").map(o => `${o.ename}: ${o.evalue}`),
        images: outputs.filter(o => o.data && o.data["image/png"]).length,
      });
    }
    const drew = panel.content.widgets.find(cell => cell.model.type === "code" &&
      cell.model.outputs.toJSON().some(o => o.data && o.data["image/png"]));
    if (drew) {
      await panel.content.scrollToCell(drew, "start");
      const img = await until(() => drew.node.querySelector(".jp-OutputArea-output img"),
                              "waiting for the figure's <img>");
      await until(() => img.complete, "waiting for the figure to load");
      state.figure = [img.naturalWidth, img.naturalHeight];
    }
    state.phase = "finished";
  })().catch(e => { state.error = String(e && e.stack || e); }).finally(() => { state.done = true; });
})();
"""


@dataclass
class Report:
    """What a run of the notebook showed."""

    kernel: str | None = None
    cells: list = field(default_factory=list)  # {"count", "errors", "images"} per code cell
    figure: list | None = None  # [width, height] of the first figure's <img> as the page shows it
    seconds: float | None = None
    requests_elsewhere: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)  # uncaught JavaScript exceptions, for diagnosis
    error: str | None = None
    screenshot: Path | None = None

    def problems(self) -> list[str]:
        """Everything that makes this run a failure; empty when the notebook ran and drew its figure."""
        if self.error:
            return [f"the run did not finish: {self.error}"]
        found = []
        if not self.cells:
            found.append("no code cell was run (nothing compared is not a pass)")
        if self.kernel != "python":
            found.append(f"kernel {self.kernel!r}, expected JupyterLite's Pyodide kernel 'python'")
        for index, cell in enumerate(self.cells, start=1):
            if cell["count"] is None:
                found.append(f"code cell {index} was not run")
            found += [f"code cell {index}: {e}" for e in cell["errors"]]
        if not any(cell["images"] for cell in self.cells):
            found.append("no figure drawn (no image/png output)")
        elif not self.figure or not self.figure[0]:
            found.append(f"a figure in the outputs, but its <img> did not load in the page ({self.figure})")
        found += [f"request to another host: {url}" for url in self.requests_elsewhere]
        return found


class DevTools:
    """A minimal client of Chromium's DevTools protocol over one page's websocket (tornado's client)."""

    def __init__(self, websocket_url: str):
        from tornado.ioloop import IOLoop
        from tornado.websocket import websocket_connect

        self._loop = IOLoop()
        self._socket = self._loop.run_sync(lambda: websocket_connect(websocket_url, max_message_size=256 * 2**20))
        self._next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, timeout: float = 60, **params) -> dict:
        """Send one command and return its result; events that arrive meanwhile are kept in :attr:`events`."""
        self._next_id += 1
        ident = self._next_id

        async def exchange():
            await self._socket.write_message(json.dumps({"id": ident, "method": method, "params": params}))
            while True:
                message = await self._socket.read_message()
                if message is None:
                    raise RuntimeError(f"DevTools connection closed during {method}")
                reply = json.loads(message)
                if reply.get("id") == ident:
                    return reply
                self.events.append(reply)

        reply = self._loop.run_sync(exchange, timeout=timeout)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def close(self):
        self._socket.close()
        self._loop.close()


def start_chromium(binary: str, profile: str, width: int = 1280, height: int = 1400) -> tuple:
    """Headless Chromium with a DevTools port; returns ``(process, websocket URL of its blank page)``."""
    command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
               "--remote-debugging-address=127.0.0.1", f"--window-size={width},{height}", "about:blank"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    port = None
    while port is None and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            raise RuntimeError(f"chromium exited {process.returncode} before it listened")
        match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
        port = match and int(match.group(1))
    if port is None:
        process.kill()
        raise RuntimeError("chromium did not open its DevTools port within 60 s")
    # Chromium keeps logging to stderr; a full pipe would stop it, so the rest is read and dropped.
    threading.Thread(target=process.stderr.read, daemon=True).start()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
        targets = json.load(response)
    page = next(t for t in targets if t.get("type") == "page")
    return process, page["webSocketDebuggerUrl"]


def run_notebook(site: Path, binary: str, screenshot: Path, notebook: str = NOTEBOOK,
                 run_s: float = RUN_S) -> Report:
    """Open ``notebook`` of the JupyterLite ``site`` in headless Chromium, run all its cells, and report."""
    report = Report()
    server, base_url = serve(site)
    with tempfile.TemporaryDirectory(prefix="nadam-ref-lite-") as profile:
        process, websocket_url = start_chromium(binary, profile)
        devtools = None
        try:
            devtools = DevTools(websocket_url)
            devtools.call("Network.enable")
            devtools.call("Runtime.enable")
            devtools.call("Page.enable")
            devtools.call("Page.navigate", url=f"{base_url}notebooks/index.html?path={notebook}")
            deadline = time.monotonic() + run_s
            started = False
            while time.monotonic() < deadline:
                time.sleep(2)
                if not started:
                    started = bool(devtools.evaluate(
                        f"location.href.startsWith({json.dumps(base_url)}) && document.readyState === 'complete'"))
                    if started:
                        devtools.evaluate(RUN_ALL_JS)
                    continue
                state = devtools.evaluate("JSON.stringify(window.__liteCheck || null)")
                state = json.loads(state) if state else None
                if state and state["done"]:
                    break
            else:
                state = json.loads(devtools.evaluate("JSON.stringify(window.__liteCheck || null)") or "null")
                report.error = f"not finished after {run_s:.0f} s (at: {state and state['phase']})"
                state = None
            if state:
                report.kernel = state.get("kernel")
                report.cells = state.get("cells") or []
                report.figure = state.get("figure")
                report.seconds = state.get("seconds")
                report.error = state.get("error")
            time.sleep(1)  # the scrolled page repaints
            shot = devtools.call("Page.captureScreenshot", format="png")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
            report.screenshot = screenshot
            _read_events(devtools.events, base_url, report)
        finally:
            if devtools is not None:
                devtools.close()
            process.kill()
            process.wait()
            server.shutdown()
    return report


def _read_events(events: list[dict], base_url: str, report: Report) -> None:
    for event in events:
        params = event.get("params", {})
        if event.get("method") == "Network.requestWillBeSent":
            url = params["request"]["url"]
            if not url.startswith((base_url, "data:", "blob:", "about:")):
                report.requests_elsewhere.append(url)
        elif event.get("method") == "Runtime.exceptionThrown":
            report.page_errors.append(params["exceptionDetails"].get("text", ""))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lite_check", description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=SITE, help="the built site (book/_build/html/lite)")
    parser.add_argument("--notebook", default=NOTEBOOK, help=f"the notebook to run ({NOTEBOOK})")
    parser.add_argument("--screenshot", type=Path, default=SCREENSHOT, help="where to save the screenshot")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"),
                        help="the Chromium binary (Debian: apt-get install chromium)")
    args = parser.parse_args(argv)
    if not (args.site / "notebooks" / "index.html").is_file():
        print(f"lite_check: no JupyterLite site at {args.site} (run make lite first)", file=sys.stderr)
        return 2
    if shutil.which(args.chromium) is None:
        print(f"lite_check: no browser {args.chromium!r} (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    report = run_notebook(args.site, args.chromium, args.screenshot, args.notebook)
    figures = sum(cell["images"] for cell in report.cells)
    ran = sum(cell["count"] is not None for cell in report.cells)
    print(f"{args.notebook}: {ran} of {len(report.cells)} code cells run in {report.seconds or 0:.0f} s on kernel "
          f"{report.kernel!r}; {figures} figure(s), the first shown at {report.figure} px; "
          f"screenshot {report.screenshot}")
    problems = report.problems()
    if problems:
        for error in report.page_errors:
            print("page error:", error)
    return verdict("lite_check", problems)


if __name__ == "__main__":
    sys.exit(main())
