"""The notebooks: committed without outputs, generated from their sources, every box shown.

Running them top to bottom is nbmake's job: ``pyproject.toml`` adds ``--nbmake`` and ``notebooks/`` to every pytest
run, so ``make test`` executes each notebook as one test item (``notebooks/01_gd_and_momentum.ipynb::…``).
"""

import re

import pytest

import nadam_ref
from tools import notebooks

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
