"""``nadam-ref race``: the files it writes, the must-show Rosenbrock GIF, and bad input without partial output."""

from __future__ import annotations

import csv
import os

import pytest
from PIL import Image

from nadam_ref import PAPER_RULES, cli
from nadam_ref.surfaces import files

QUICK = ["--surface", "quadratic", "--rules", "gd,nadam", "--steps", "30", "--frames", "12"]


def race(*argv):
    return cli.main(["race", *argv])


def read_summary(out):
    with open(os.path.join(out, "summary.csv"), newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_default_rosenbrock_race_writes_a_gif_of_at_least_50_frames_with_the_nine_rules(tmp_path, capsys):
    out = tmp_path / "race"
    assert race("--surface", "rosenbrock", "--out", str(out)) == 0
    assert sorted(os.listdir(out)) == ["loss.png", "race.gif", "race.png", "summary.csv"]
    with Image.open(out / "race.gif") as gif:
        assert gif.n_frames >= 50
        assert gif.is_animated
    rows = read_summary(out)
    assert [r["rule"] for r in rows] == list(PAPER_RULES)
    assert all(r["steps"] == "2000" for r in rows)
    text = capsys.readouterr().out
    assert str(out / "race.gif") in text and "nadam" in text


def test_summary_has_one_row_per_rule_with_the_stated_columns(tmp_path):
    out = tmp_path / "q"
    assert race(*QUICK, "--lr", "gd=0.4", "nadam=0.3", "--format", "png", "--out", str(out)) == 0
    assert sorted(os.listdir(out)) == ["loss.png", "race.png", "summary.csv"]
    rows = read_summary(out)
    assert list(rows[0]) == list(files.SUMMARY_FIELDS)
    assert [r["rule"] for r in rows] == ["gd", "nadam"]
    assert float(rows[0]["lr"]) == 0.4 and float(rows[1]["lr"]) == 0.3 and rows[0]["diverged"] == "False"


def test_html_format_writes_a_jshtml_player(tmp_path):
    out = tmp_path / "h"
    assert race(*QUICK, "--format", "html", "--out", str(out)) == 0
    page = (out / "race.html").read_text()
    assert "<script" in page and "animation" in page.lower()


def test_a_diverging_rule_is_flagged_in_the_summary(tmp_path):
    out = tmp_path / "d"
    assert race(*QUICK, "--lr", "gd=1", "--format", "png", "--out", str(out)) == 0  # gd diverges for η > 0.5
    gd = read_summary(out)[0]
    assert gd["diverged"] == "True" and int(gd["diverged_at_step"]) >= 1


def test_tune_searches_and_writes_the_chosen_lrs(tmp_path):
    out = tmp_path / "t"
    assert race(*QUICK, "--tune", "--format", "png", "--out", str(out)) == 0
    assert (out / "learning_rates.json").exists()
    assert read_summary(out)[0]["lr"] in {"0.2", "0.5"}  # 30 steps: the search may prefer a bolder η


@pytest.mark.parametrize("argv, message", [
    (["--surface", "nope"], "unknown surface 'nope'"),
    (["--rules", "gd,adamw"], "unknown rule 'adamw'"),
    (["--rules", "gd,gd"], "names a rule twice"),
    (["--lr", "gd=0"], "must be a finite number > 0"),
    (["--lr", "gd=-0.1"], "must be a finite number > 0"),
    (["--lr", "gd"], "expected RULE=VALUE"),
    (["--lr", "adam=0.1"], "not in this race's rules"),
    (["--steps", "0"], "expected an integer from 1 to"),
    (["--start", "9,9"], "outside the quadratic window"),
    (["--start", "a,b"], "expected two numbers"),
])
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path, capsys, argv, message):
    out = tmp_path / "never"
    assert race(*QUICK, *argv, "--out", str(out)) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_an_unwritable_out_dir_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert race(*QUICK, "--out", str(blocker / "sub")) == 2
    assert "cannot write to output folder" in capsys.readouterr().err


def test_a_failure_while_writing_leaves_no_partial_output(tmp_path, monkeypatch):
    from nadam_ref.surfaces import plots

    def broken(*args, **kwargs):
        raise RuntimeError("disk full, say")

    monkeypatch.setattr(plots, "loss_figure", broken)
    out = tmp_path / "partial"
    with pytest.raises(RuntimeError, match="disk full"):
        race(*QUICK, "--out", str(out))
    assert os.listdir(out) == []  # the GIF and PNG already drawn were staged, then discarded
