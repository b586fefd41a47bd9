"""The ``nadam-ref`` command line: help, rules, trace (text and JSON), errors."""

import json
import subprocess
import sys

import numpy
import pytest

import nadam_ref
from nadam_ref.cli import main
from nadam_ref.trajectory import trace_steps


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "nadam_ref", *args], capture_output=True, text=True)


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("rules", "trace", "demo"):
        assert command in result.stdout


def test_rules_lists_every_rule_with_its_default_lr(capsys):
    assert main(["rules", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["rule"] for r in rows] == list(nadam_ref.RULES)
    nadam = next(r for r in rows if r["rule"] == "nadam")
    assert nadam["paper"] == "Algorithm 8" and nadam["default_lr"] == 2e-3
    assert nadam["defaults"]["schedule"] == "paper" and nadam["defaults"]["eps"] == 1e-8


def test_trace_prints_every_box_line_with_values(capsys):
    assert main(["trace", "--rule", "nadam", "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("step t = ") == 2
    for _, line in nadam_ref.rules.get("nadam").BOX:
        assert out.count(line) == 2
    assert "0.997986881" in out


@pytest.mark.parametrize("rule", nadam_ref.RULES)
def test_trace_json_matches_trace_steps(capsys, rule):
    schedule = nadam_ref.rules.select_hparams(rule, {"schedule": "constant"})  # only for the rules that read it
    assert main(["trace", "--rule", rule, "--steps", "3", "--json", *(f"--{k}={v}" for k, v in schedule.items())]) == 0
    result = json.loads(capsys.readouterr().out)
    expected = trace_steps(rule, lambda th: numpy.array([0.2, 4.0]) * th, numpy.ones(2), 3, **schedule)
    assert len(result["steps"]) == 3
    for got, want in zip(result["steps"], expected, strict=True):
        numpy.testing.assert_array_equal(got["theta"], want["theta"])
        assert set(got) == set(want)
    assert [b["symbol"] for b in result["box"]] == [s for s, _ in nadam_ref.rules.get(rule).BOX]


@pytest.mark.parametrize("args,message", [
    (["trace", "--rule", "adamw"], "unknown rule 'adamw'"),
    (["trace", "--rule", "adam", "--steps", "0"], "--steps 0; expected an integer >= 1"),
    (["trace", "--rule", "adam", "--lr", "-1"], "lr=-1.0"),
])
def test_trace_errors_are_clear(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_entry_point_is_installed():
    import shutil

    exe = shutil.which("nadam-ref") or str(__import__("pathlib").Path(sys.executable).parent / "nadam-ref")
    result = subprocess.run([exe, "rules"], capture_output=True, text=True)
    assert result.returncode == 0 and "nadamax" in result.stdout


def test_quick_demo_writes_the_race_and_the_traces(tmp_path, capsys):
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("race.gif", "race.png", "loss.png", "summary.csv"):
        assert (tmp_path / "race" / name).stat().st_size > 0
    traces = (tmp_path / "trace.txt").read_text(encoding="utf-8")
    assert all(f"{rule} (" in traces for rule in nadam_ref.PAPER_RULES)
    assert str(tmp_path / "race") in out and "reproduce-mnist" not in out
    # each race ends in its ranking and a line that names who ended closest, arrived or not
    assert out.count(" 1. ") == 2 and out.count("Closest: ") == 2 and "arrived: none" not in out


def test_trace_streams_its_steps_so_any_step_count_starts_printing_at_once():
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "nadam_ref", "trace", "--rule", "nadam", "--steps", "100000000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout.readline() for _ in range(40)), daemon=True)
    reader.start()
    reader.join(timeout=120)
    proc.kill()
    proc.wait()
    assert sum(line.startswith("step t = ") for line in lines) >= 3


def test_a_reader_that_goes_away_is_not_an_error():
    result = subprocess.run(f"{sys.executable} -m nadam_ref trace --rule nadam --steps 100000 | head -n 3",
                            shell=True, capture_output=True, text=True)
    assert result.stdout.count("\n") == 3 and result.stderr == ""


def test_the_library_trace_text_is_what_the_cli_prints(capsys):
    from nadam_ref.teaching import trace_text

    assert main(["trace", "--rule", "adamax", "--steps", "3", "--eps", "1e-6"]) == 0
    assert capsys.readouterr().out == trace_text("adamax", 3, eps=1e-6) + "\n"


def test_commands_do_not_import_the_cli_back():
    import pathlib

    commands = pathlib.Path(nadam_ref.__file__).parent / "commands"
    for path in commands.glob("*.py"):
        assert "..cli" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("rule", nadam_ref.PAPER_RULES)
def test_trace_columns_line_up_on_screen_despite_combining_marks(capsys, rule):
    """m̂, n̂ and m̄ are a letter and a combining mark: two characters, one column. The '=' of every line of a step
    stands in the same screen column."""
    from nadam_ref.teaching import display_width

    assert main(["trace", "--rule", rule, "--steps", "1"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if " ← " in line]
    columns = {display_width(line[: line.index("  = ")]) for line in lines}
    assert len(lines) >= 2 and len(columns) == 1, lines


def test_display_width_counts_combining_marks_as_nothing():
    from nadam_ref.teaching import display_width, pad

    assert display_width("m̂_t") == 3 and len("m̂_t") == 4
    assert pad("m̄", 3) == "m̄  " and display_width("漢") == 2
