"""The README a newcomer reads first: its picture and paper link, its conventions table (generated from the rules'
declarations), and its Python examples, which run and print what it says they print."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nadam_ref import rules
from tools import readme as readme_tool

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_opens_with_the_race_the_paper_and_what_you_will_see():
    first_screen = README[:2000]
    picture = re.search(r"!\[[^\]]+\]\((docs/images/race\.gif)\)", first_screen)
    assert picture and (ROOT / picture.group(1)).stat().st_size > 0
    assert "](https://openreview.net/forum?id=" in first_screen
    assert "## What you will see" in README[:4000]
    assert ".venv/bin/nadam-ref" in README and "source .venv/bin/activate" in README


def test_the_conventions_table_is_the_one_the_declarations_give():
    assert readme_tool.with_table(README) == README, "run python -m tools.readme"
    assert readme_tool.main(["--check"]) == 0


def test_every_declared_hyper_parameter_and_option_value_is_in_the_table():
    table = readme_tool.conventions_table()
    for rule in rules.RULES:
        spec = rules.spec(rule)
        for name in spec.hparams:
            assert f"| `{name}` |" in table, name
        for name, values in spec.options.items():
            row = next(line for line in table.splitlines() if f"| `{name}` |" in line)
            assert all(f"`{value!r}`".replace("'", '"') in row for value in values), (name, values)


def test_a_declared_option_without_a_meaning_is_an_error(monkeypatch):
    monkeypatch.delitem(readme_tool.MEANINGS, "m_hat_correction")
    with pytest.raises(KeyError, match="m_hat_correction"):
        readme_tool.conventions_table()


def _examples():
    """Each ```python block followed by "prints ...:" and a ```text block: (code, expected output)."""
    pattern = re.compile(r"```python\n(.*?)```\n\nprints[^\n]*\n\n```text\n(.*?)```", re.S)
    return pattern.findall(README)


def test_the_readme_has_examples_that_print_something_checkable():
    examples = _examples()
    assert len(examples) == 2
    assert any("cases checked" in out for _, out in examples)


@pytest.mark.parametrize("index", [0, 1])
def test_each_python_example_prints_what_the_readme_says_and_leaves_no_file(tmp_path, index):
    code, expected = _examples()[index]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
    assert list(tmp_path.iterdir()) == []  # state.npz went to a temporary folder, not the working one
