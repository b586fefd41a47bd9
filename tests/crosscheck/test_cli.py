import json

from nadam_ref.cli import main
from nadam_ref.crosscheck import harness


def test_crosscheck_json_reports_each_row_and_exits_0(torch_peer, capsys):
    assert main(["crosscheck", "--against", "torch", "--steps", "5", "--rules", "adam,adamax", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["tolerance"] == 1e-12
    assert [(r["rule"], r["status"]) for r in report["rows"]] == [("adam", "agree"), ("adam", "agree"),
                                                                   ("adamax", "agree")]
    assert report["rows"][1]["variant"] == {"schedule": "constant", "eps_placement": "outside", "max_n": "n"}
    assert report["rows"][2]["variant"] == {"schedule": "constant", "eps_placement": "max"}


def test_crosscheck_table_and_markdown(torch_peer, tmp_path, capsys):
    out = tmp_path / "conventions.md"
    assert main(["crosscheck", "--against", "torch", "--steps", "5", "--rules", "nadam", "--markdown", str(out)]) == 0
    table = capsys.readouterr().out
    assert "no exact mapping; closest: schedule=paper, eps_placement=outside" in table and "OK" in table
    text = out.read_text()
    assert "| nadam | torch 2." in text and "| `NAdam(lr=η, betas=(μ, ν), eps=ε)` |" in text
    assert "## Checking the design notes on other implementations (torch, optax, keras)" in text


def test_a_missing_library_is_skipped_unless_named(monkeypatch, capsys):
    monkeypatch.setattr(harness, "installed_version", lambda name: None if name == "keras" else "99.0")
    monkeypatch.setattr(harness, "LIBRARIES", ("keras",))
    # every library skipped: nothing was compared, which is not a pass
    assert main(["crosscheck", "--against", "all", "--steps", "2"]) == 1
    out = capsys.readouterr().out
    assert "skipped keras: keras is not installed" in out
    assert "NOTHING COMPARED" in out
    assert main(["crosscheck", "--against", "keras", "--steps", "2"]) == 1


def test_bad_arguments_exit_2_with_a_message(capsys):
    assert main(["crosscheck", "--against", "tensorflow"]) == 2
    assert "unknown library 'tensorflow'" in capsys.readouterr().err
    assert main(["crosscheck", "--against", "torch", "--rules", "adamw"]) == 2
    assert "unknown rule 'adamw'" in capsys.readouterr().err
    assert main(["crosscheck", "--against", "torch", "--steps", "0"]) == 2
    assert main(["crosscheck", "--markdown", "/nonexistent/dir/c.md", "--against", "torch", "--rules", "gd"]) == 2
