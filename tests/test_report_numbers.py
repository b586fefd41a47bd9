"""docs/reproduction.md is its template with every number read from the file it cites (tools/report_numbers)."""

from __future__ import annotations

import json
import os

import pytest

from tools import report_numbers

ROOT = report_numbers.ROOT


def _template() -> str:
    with open(os.path.join(ROOT, report_numbers.TEMPLATE), encoding="utf-8") as f:
        return f.read()


def test_the_committed_report_is_its_template_rendered_from_the_files_it_cites():
    with open(os.path.join(ROOT, report_numbers.REPORT), encoding="utf-8") as f:
        committed = f.read()
    assert committed == report_numbers.render(_template()), "run python -m tools.report_numbers"


def test_the_template_holds_no_typed_result():
    assert report_numbers.typed_results(_template()) == []


@pytest.mark.parametrize("text", ["Nadam − Adam −4.05 [−6.59, −1.50]", "coverage 2.9 %", "4,670 s of run time",
                                  "0.0786 ± 0.0064", "p = .012", "it drops to 0.36%"])
def test_a_typed_result_is_found(text):
    assert report_numbers.typed_results(text)


@pytest.mark.parametrize("text", ["§4.1 and Section 4.2", "μ = 0.99, ν = 0.999, 0.96", "seeds 5–10, 3 epochs",
                                  "`0.1017` in code", "{{ docs/x.json :: a.b :: .3g }}", "[file](run-0.1/x.md)",
                                  "```\n0.25 in a fenced block\n```", "Algorithm 6 and Figure 2"])
def test_settings_code_placeholders_and_links_are_not_typed_results(text):
    assert report_numbers.typed_results(text) == []


def test_lookup_follows_keys_selectors_indices_and_counts():
    data = {"primary": [{"id": "a", "x": [1, 2]}, {"id": "b", "x": [3, 4, 5]}]}
    assert report_numbers.lookup(data, "primary[id=b].x[2]") == 5
    assert report_numbers.lookup(data, "len(primary[id=b].x)") == 3
    with pytest.raises(KeyError, match="0 items"):
        report_numbers.lookup(data, "primary[id=c].x")


def test_a_placeholder_is_filled_from_its_file_and_follows_it(tmp_path):
    (tmp_path / "r.json").write_text(json.dumps({"m": -4.0512, "name": "nadam"}))
    (tmp_path / "t.md").write_text("# title\n| a |\n")
    template = "Δ = {{ r.json :: m :: +.3g }} for {{ r.json :: name }}.\n{{ include t.md }}\n"
    assert report_numbers.render(template, str(tmp_path)).endswith("Δ = -4.05 for nadam.\n| a |\n")
    (tmp_path / "r.json").write_text(json.dumps({"m": 2.5, "name": "nadam"}))
    assert "Δ = +2.5 for" in report_numbers.render(template, str(tmp_path))
    with pytest.raises(KeyError):
        report_numbers.render("{{ r.json :: missing }}", str(tmp_path))
    (tmp_path / "t.md").write_text("# title\n## a section\n### a part\n")
    assert report_numbers.render("{{ include t.md }}", str(tmp_path)).endswith("#### a section\n### a part")
