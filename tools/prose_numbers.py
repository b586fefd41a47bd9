"""Typed results in the notebooks' prose: numbers that no cell computed.

A number in a notebook's prose must not drift from the code that produced it. So a *result* (anything measured,
derived or read off a figure) is written into the text by a code cell: a cell tagged ``prose`` whose last expression
is ``nadam_ref.teaching.prose(f"...")``, rendered as Markdown in JupyterLab and in the book, with the cell's source
hidden. :func:`typed_results` finds the numbers that are still typed by hand, in the markdown cells and in the
literal (non-``{…}``) parts of the ``prose`` cells' f-strings.

What is **not** a result, and may be typed (everything else is a result):

1. *labels*: the number after Algorithm, Section, Step, Exercise, equation, notebook, chapter, Figure, Table (and
   ranges and lists of them: "Algorithms 3 and 7", "chapters 1–6", "equations (3) → (4)"), a heading's own number
   ("# 6. Nadam"), and ``\\tag{3}``;
2. *quotations* (of the paper, between double quotes) and *years* of a citation: 1950–2030 directly after "(" or
   before ")" or ",";
3. *small whole numbers* 0–10 (indices such as t = 1, exponents, coefficients of a formula, "four starts"). A claim
   of size is never structure: a number directly before "times", "×" or "orders of magnitude" is a result whatever
   its size and even if the code holds the same literal, and so are the words "hundred", "thousand" and
   "million" and a number word before "times" or "orders of magnitude" ("eight orders of magnitude");
4. *settings*: a value equal to a number literal in the notebook's own code cells (a hyper-parameter or a size the
   code sets: 0.99, 1e-8, 20 000) or to one of the paper's constants in :data:`PAPER_CONSTANTS`; ``10^{-8}``,
   ``4\\times10^{-3}`` and "1 %" are read as the values they denote.

Code spans are checked like text (a result does not become a setting by being put in backticks); URLs and the
targets of links are not.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass

from nadam_ref import schedules

from . import notebooks

# The paper's own constants (Section 4's schedule, the rules' defaults), which the prose quotes from the paper.
PAPER_CONSTANTS = (schedules.PAPER_MU, schedules.PAPER_DECAY, schedules.PAPER_TIMESCALE, 0.5, 0.999, 1e-8)

_LABEL = re.compile(
    r"\b(?:Algorithms?|Sections?|Steps?|[Ee]xercises?|[Ee]quations?|notebooks?|[Cc]hapters?|Figures?|Tables?)"
    r"(?:\s*(?:\d+(?:\.\d+)*[a-z]?|\(\d+\)|and|or|to|,|–|-|→|\\to))+")
_TAG = re.compile(r"\\tag\{\d+\}")
_HEADING = re.compile(r"^#+\s+\d+(?:\.\d+)*\.?", re.M)
_QUOTE = re.compile(r'"[^"]{1,400}"|“[^”]{1,400}”')
_URL = re.compile(r"\]\([^)]*\)|https?://\S+|<!--.*?-->", re.S)
_NUMBER = re.compile(
    r"(?<![\w\\.])(?:"
    r"(?P<mant>\d+(?:\.\d+)?)\s*\\times\s*10\^\{?(?P<exp1>[-−]?\d+)\}?"  # 4\times10^{-3}
    r"|10\^\{?(?P<exp2>[-−]?\d+)\}?"                                      # 10^{-8}
    r"|(?P<plain>\d{1,3}(?:(?:,|\u202f| )\d{3})+(?!\d)|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r")(?P<pct>\s?%)?(?![A-Za-z_\d])")
_SIZE_CLAIM = re.compile(r"^\s*(?:(?<!\\)times\b|×|orders? of magnitude)")
_SIZE_WORDS = re.compile(
    r"\b(?:hundreds?|thousands?|millions?|(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    r"thirty|forty|fifty)\s+(?:times|orders? of magnitude))\b", re.I)
_YEAR_CONTEXT = re.compile(r"(?:\(\s*$|,\s*$)")


@dataclass(frozen=True)
class Typed:
    """One typed result: the cell it is in (index in the notebook), the text as typed, and its context."""

    cell: int
    text: str
    context: str


def code_literals(sources) -> set[float]:
    """Every number literal in the code cells (``-0.5`` as well as ``0.5``): the settings the code makes."""
    values = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:  # IPython magics and the like: no literals from this cell
            continue
        typed = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.FormattedValue)}  # f"{0.0133}" is typed
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(
                    node.value, bool) and id(node) not in typed:
                values.update((float(node.value), -float(node.value)))
            elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow)  # 10**6 is a literal too
                  and all(isinstance(side, ast.Constant) and type(side.value) in (int, float)
                          for side in (node.left, node.right))):
                values.add(float(node.left.value ** node.right.value))
    return values


def prose_template(source: str) -> str:
    """The typed text of a ``prose`` cell: the literal parts of its strings, with each ``{…}`` field removed (a field
    that holds a bare number, ``{0.0133}``, is typed all the same and stays in)."""
    tree, parts, inside = ast.parse(source), [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for value in node.values:
                inside.add(id(value))
                if isinstance(value, ast.Constant):
                    parts.append(value.value)
                elif isinstance(value.value, ast.Constant):
                    parts.append(f" {value.value.value} ")
                else:
                    parts.append(" ")
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside:
            parts.append(node.value)
    return "".join(parts)


def _value(match) -> float:
    if match["mant"]:
        value = float(match["mant"]) * 10.0 ** int(match["exp1"].replace("−", "-"))
    elif match["exp2"]:
        value = 10.0 ** int(match["exp2"].replace("−", "-"))
    else:
        value = float(re.sub(r"[,\u202f ]", "", match["plain"]))
    return value / 100 if match["pct"] else value


def _masked(text: str) -> str:
    """``text`` with the labels, tags, headings' numbers and URLs blanked out (same length, so spans still match)."""
    for pattern in (_URL, _QUOTE, _LABEL, _TAG, _HEADING):
        text = pattern.sub(lambda m: " " * len(m.group()), text)
    return text


def numbers_in(text: str, settings: set[float]) -> list[tuple[str, str]]:
    """The typed results in one piece of prose: ``(number as typed, context)`` pairs."""
    masked = _masked(text)
    found = []
    for match in _NUMBER.finditer(masked):
        value, token = _value(match), match.group().strip()
        before, after = masked[: match.start()], masked[match.end():]
        claim = bool(_SIZE_CLAIM.match(after))
        small = (match["plain"] and "." not in match["plain"] and not match["pct"] and 0 <= value <= 10)
        year = (match["plain"] and re.fullmatch(r"(19[5-9]\d|20[0-2]\d|2030)", match["plain"])
                and (_YEAR_CONTEXT.search(before) or re.match(r"\s*[),]", after)))
        setting = any(math.isclose(value, s, rel_tol=1e-9, abs_tol=0.0) for s in settings)
        if not claim and (year or setting or small):
            continue
        found.append((match.start(), token, _context(text, match)))
    found += [(match.start(), match.group(), _context(text, match)) for match in _SIZE_WORDS.finditer(masked)]
    return [(token, context) for _, token, context in sorted(found)]


def _context(text: str, match) -> str:
    return text[max(match.start() - 40, 0): match.end() + 30].replace("\n", " ")


def typed_results(source_text: str, name: str = "<source>") -> list[Typed]:
    """Every typed result in one notebook source (``notebooks/src/*.md`` text)."""
    cells = notebooks.parse(source_text, name)
    settings = code_literals(c["source"] for c in cells if c["kind"] == "code")
    settings |= {float(c) for c in PAPER_CONSTANTS}
    found = []
    for index, cell in enumerate(cells):
        if cell["kind"] == "markdown":
            text = cell["source"]
        elif "prose" in cell["tags"]:
            text = prose_template(cell["source"])
        else:
            continue
        found.extend(Typed(index, token, context) for token, context in numbers_in(text, settings))
    return found


def prose_cells(source_text: str, name: str = "<source>") -> int:
    """How many ``prose`` cells (paragraphs whose numbers a cell computed) a notebook source has."""
    return sum("prose" in c["tags"] for c in notebooks.parse(source_text, name))


def computed_numbers(source_text: str, name: str = "<source>") -> int:
    """How many numbers the ``prose`` cells of a notebook source write (their formatted ``{…}`` fields)."""
    count = 0
    for cell in notebooks.parse(source_text, name):
        if "prose" in cell["tags"]:
            count += sum(isinstance(n, ast.FormattedValue) for n in ast.walk(ast.parse(cell["source"])))
    return count


def main() -> int:
    total, computed = 0, 0
    for source in sorted(notebooks.SOURCE_DIR.glob("*.md")):
        text = source.read_text(encoding="utf-8")
        found = typed_results(text, source.name)
        computed += computed_numbers(text, source.name)
        total += len(found)
        for typed in found:
            print(f"{source.name} cell {typed.cell}: {typed.text!r} in …{typed.context}…")
    print(f"{total} typed results; {computed} numbers in the prose computed by cells")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
