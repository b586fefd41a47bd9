"""The README's JavaScript snippet really checks an implementation against the golden vectors."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nadam_ref.crosscheck import vectors

README = Path(vectors.__file__).with_name("README.md")


def _snippet():
    return re.search(r"```js\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_javascript_snippet_passes_and_catches_a_wrong_schedule(tmp_path):
    good, bad = tmp_path / "good.js", tmp_path / "bad.js"
    good.write_text(_snippet())
    bad.write_text(_snippet().replace("0.96 ** (t / 250)", "0.96 ** t"))
    ok = subprocess.run(["node", str(good), str(vectors.COMMITTED)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and "nadam: 2 cases match the golden vectors" in ok.stdout
    wrong = subprocess.run(["node", str(bad), str(vectors.COMMITTED)], capture_output=True, text=True, timeout=60)
    assert wrong.returncode != 0 and "quadratic, step 1: relative gap" in wrong.stderr


def _python_snippet():
    top = Path(vectors.__file__).parents[2] / "README.md"
    section = top.read_text(encoding="utf-8").split("### Checking an implementation in another language", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_top_level_python_snippet_passes_and_catches_a_wrong_look_ahead(monkeypatch):
    monkeypatch.chdir(Path(vectors.__file__).parents[2])
    exec(compile(_python_snippet(), "README.md", "exec"), {})
    wrong = _python_snippet().replace("mu_at(t + 1) * m[i] / (1 - prod * mu_at(t + 1))",
                                      "mu_at(t) * m[i] / (1 - prod * mu_at(t))")
    assert wrong != _python_snippet()
    with pytest.raises(AssertionError, match="quadratic"):
        exec(compile(wrong, "README.md", "exec"), {})
