"""The notebooks: committed without outputs, generated from their sources, every box shown.

Running them top to bottom is nbmake's job: ``pyproject.toml`` adds ``--nbmake`` and ``notebooks/`` to every pytest
run, so ``make test`` executes each notebook as one test item (``notebooks/01_gd_and_momentum.ipynb::…``).
"""

import re

import pytest

import nadam_ref
from tools import notebooks, prose_numbers

nbformat = pytest.importorskip("nbformat", reason="needs the notebooks extra: pip install -e '.[notebooks]'")

NOTEBOOKS = sorted(notebooks.NOTEBOOK_DIR.glob("*.ipynb"))
HIDDEN = {"hide-cell", "hide-input", "remove-cell", "dropdown"}


def read(path):
    return nbformat.read(path, as_version=4)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_or_execution_counts(path):
    for index, cell in enumerate(read(path).cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {index} has outputs; strip them"
            assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"


def test_notebooks_match_their_sources():
    stale = notebooks.sync(check=True)
    assert stale == [], f"out of date with notebooks/src: {stale}; run python -m tools.notebooks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_have_folded_solutions_and_full_size_switch(path):
    cells = read(path).cells
    solutions = [c for c in cells if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 2, f"{path.name}: expected at least two exercises with solutions"
    for cell in solutions:
        assert HIDDEN & set(cell.metadata["tags"]), f"{path.name}: a solution cell is not folded in the book"
        assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, (
            f"{path.name}: a solution cell is not folded in JupyterLab (jupyter.source_hidden)")
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    assert 'os.environ.get("NADAM_REF_FULL") == "1"' in code


def test_every_rule_box_is_shown_beside_its_code_in_some_notebook():
    shown = set()
    for path in NOTEBOOKS:
        for cell in read(path).cells:
            if cell.cell_type == "code":
                shown |= set(re.findall(r'box_beside_code\("(\w+)"\)', cell.source))
    assert set(nadam_ref.RULES) <= shown, f"boxes never shown: {sorted(set(nadam_ref.RULES) - shown)}"


def test_the_source_format_parses_cells_tags_and_separators():
    text = "# T\n\nintro\n+++\nsecond\n```{code-cell} ipython3\n:tags: [hide-cell, solution]\nx = 1\n```\ntail\n"
    cells = notebooks.parse(text)
    assert [(c["kind"], c["source"], c["tags"]) for c in cells] == [
        ("markdown", "# T\n\nintro", []), ("markdown", "second", []), ("code", "x = 1", ["hide-cell", "solution"]),
        ("markdown", "tail", [])]
    nb = notebooks.to_notebook(text, "t.md")
    assert [c.id for c in nb.cells] == [c.id for c in notebooks.to_notebook(text, "t.md").cells]  # stable ids


@pytest.mark.parametrize("text, message", [
    ("```{code-cell} ipython3\nx = 1\n", "never closed"),
    ("```{code-cell} ipython3\n:tags: hide\nx = 1\n```\n", "expected ':tags: \\[a, b\\]'"),
])
def test_a_broken_source_is_an_error_naming_the_line(text, message):
    with pytest.raises(notebooks.NotebookSourceError, match=message):
        notebooks.parse(text, "bad.md")


def test_sync_writes_missing_notebooks_and_then_finds_nothing_to_do(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "01_a.md").write_text("# A\n```{code-cell} ipython3\nprint(1)\n```\n")
    assert notebooks.sync(src, tmp_path, check=True) == [tmp_path / "01_a.ipynb"]
    assert not (tmp_path / "01_a.ipynb").exists()
    assert notebooks.sync(src, tmp_path) == [tmp_path / "01_a.ipynb"]
    assert notebooks.sync(src, tmp_path, check=True) == []


SOURCES = sorted(notebooks.SOURCE_DIR.glob("*.md"))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_no_result_is_typed_into_the_prose(source):
    """A measured or derived number in the text is written by a `prose` cell (tools/prose_numbers.py says what is a
    result and what is structure: labels, small indices, the settings the code makes)."""
    found = prose_numbers.typed_results(source.read_text(encoding="utf-8"), source.name)
    assert found == [], "typed results; compute them in a `prose` cell:\n" + "\n".join(
        f"  cell {t.cell}: {t.text!r} in …{t.context}…" for t in found)


def test_a_planted_typed_number_is_found_and_structure_is_not():
    source = (notebooks.SOURCE_DIR / "06_nadam_nadamax.md").read_text(encoding="utf-8")
    assert prose_numbers.typed_results(source) == []
    planted = source.replace("## Step 5:", "Algorithm 8's $\\hat m_1$ is about 0.0133 of $\\bar g$.\n\n## Step 5:", 1)
    assert [t.text for t in prose_numbers.typed_results(planted)] == ["0.0133"]
    in_prose_cell = (source + '\n```{code-cell} ipython3\n:tags: [prose]\n'
                     'prose(f"{1 / 3:.3f}, typed: 75× and {0.0133}")\n```\n')
    assert [t.text for t in prose_numbers.typed_results(in_prose_cell)] == ["75", "0.0133"]
    words = source + "\nIt starts a hundred times too small, seven orders of magnitude, 3 times.\n"
    assert [t.text for t in prose_numbers.typed_results(words)] == ["hundred", "seven orders of magnitude", "3"]
    structure = ("See Algorithms 3 and 7, equations (3) → (4), chapters 1–6, exercise 6.2 (Dozat, 2016), at $t = 1$,"
                 " with $\\mu = 0.99$, $\\varepsilon = 10^{-8}$ and 20 000 coordinates.\n"
                 "```{code-cell} ipython3\nCOORDS = 20_000\n```\n")
    assert prose_numbers.typed_results(structure) == []


def test_prose_cells_render_as_markdown_with_their_code_folded():
    nb = notebooks.to_notebook('```{code-cell} ipython3\n:tags: [prose]\nprose(f"x = {1 + 1}")\n```\n', "p.md")
    cell = nb.cells[0]
    assert "remove-input" in cell.metadata["tags"] and cell.metadata["jupyter"] == {"source_hidden": True}
    from nadam_ref.teaching import prose
    assert prose("  $x = 2$ ")._repr_markdown_() == "$x = 2$"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_solution_asserts_its_answer(path):
    """A solution states its answer as an `assert` on what it computed, so running the notebook checks it."""
    for index, cell in enumerate(read(path).cells):
        if "solution" in cell.metadata.get("tags", []):
            assert re.search(r"^\s*assert\b", cell.source, re.M), f"{path.name} cell {index}: solution asserts nothing"
