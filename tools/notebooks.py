"""The notebooks' sources, ``notebooks/src/*.md``, turned into ``notebooks/*.ipynb`` without outputs.

The sources are MyST Markdown notebooks (the text format Jupyter Book reads): markdown, with code cells fenced as

.. code-block:: text

    ```{code-cell} ipython3
    :tags: [hide-cell, solution]
    print("a solution")
    ```

and ``+++`` on a line of its own to start a new markdown cell. A paragraph that states computed numbers is a code cell
tagged ``prose`` (``prose(f"...")``, see ``tools/prose_numbers.py``): the book shows only its Markdown output
(``remove-input`` is added), and JupyterLab folds its source. They diff and review like text; the ``.ipynb`` files
are what JupyterLab, ``pytest --nbmake`` and the book open. ``python -m tools.notebooks`` regenerates them;
``--check`` only says whether they are up to date (a test runs it).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

from nadam_ref._io import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "notebooks" / "src"
NOTEBOOK_DIR = ROOT / "notebooks"

_FENCE_OPEN = re.compile(r"^```\{code-cell\}(?:\s+\S+)?\s*$")
_TAGS = re.compile(r"^:tags:\s*\[(.*)\]\s*$")


class NotebookSourceError(ValueError):
    """A notebook source that does not parse: an unclosed code cell or a malformed tag line."""


def parse(text: str, name: str = "<source>") -> list[dict]:
    """The cells of a MyST Markdown notebook: dicts with ``kind`` ("markdown" or "code"), ``source`` and ``tags``."""
    cells, markdown, lines = [], [], text.splitlines()

    def flush_markdown():
        body = "\n".join(markdown).strip("\n")
        if body.strip():
            cells.append({"kind": "markdown", "source": body, "tags": []})
        markdown.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE_OPEN.match(line):
            flush_markdown()
            start, i, tags = i + 1, i + 1, []
            if i < len(lines) and lines[i].startswith(":tags:"):
                match = _TAGS.match(lines[i])
                if not match:
                    raise NotebookSourceError(f"{name}:{i + 1}: tag line {lines[i]!r}; expected ':tags: [a, b]'")
                tags = [t.strip().strip("'\"") for t in match.group(1).split(",") if t.strip()]
                i += 1
            body = []
            while i < len(lines) and lines[i].rstrip() != "```":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise NotebookSourceError(f"{name}:{start}: code cell opened here is never closed with ```")
            cells.append({"kind": "code", "source": "\n".join(body).strip("\n"), "tags": tags})
        elif line.strip() == "+++":
            flush_markdown()
        else:
            markdown.append(line)
        i += 1
    flush_markdown()
    return cells


def to_notebook(text: str, name: str = "<source>"):
    """An ``nbformat`` v4 notebook of the cells of ``text``: no outputs, no execution counts, stable cell ids."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(parse(text, name)):
        make = nbformat.v4.new_code_cell if cell["kind"] == "code" else nbformat.v4.new_markdown_cell
        new = make(cell["source"])
        new.id = hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:12]
        tags = cell["tags"] + ["remove-input"] * ("prose" in cell["tags"] and "remove-input" not in cell["tags"])
        new.metadata = {"tags": tags} if tags else {}
        if "solution" in tags:  # JupyterLab ignores hide-cell: fold the solution's source and output there
            new.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
        elif "prose" in tags:  # a paragraph a cell wrote: the book shows its output only, JupyterLab folds the code
            new.metadata["jupyter"] = {"source_hidden": True}
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def render(source: Path) -> str:
    """The ``.ipynb`` text for one source file."""
    import nbformat

    return nbformat.writes(to_notebook(source.read_text(encoding="utf-8"), source.name)) + "\n"


def sync(source_dir: Path = SOURCE_DIR, notebook_dir: Path = NOTEBOOK_DIR, check: bool = False) -> list[Path]:
    """Write each ``source_dir/*.md`` as ``notebook_dir/*.ipynb`` (atomically) and return the notebooks that
    changed; with ``check=True`` write nothing and only return the ones that are out of date or missing."""
    sources = sorted(Path(source_dir).glob("*.md"))
    if not sources:
        raise FileNotFoundError(f"no notebook sources (*.md) in {source_dir}")
    changed = []
    for source in sources:
        target = Path(notebook_dir) / (source.stem + ".ipynb")
        text = render(source)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        changed.append(target)
        if not check:
            atomic_write_text(target, text)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook is out of date")
    args = parser.parse_args(argv)
    changed = sync(check=args.check)
    for path in changed:
        print(f"{'out of date' if args.check else 'wrote'}: {path.relative_to(ROOT)}")
    if args.check and changed:
        print("run: python -m tools.notebooks", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
