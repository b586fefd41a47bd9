"""``nadam-ref reproduce`` at the command line: bad input gets a clear error and exit status 2."""

from __future__ import annotations

import os

import pytest

from nadam_ref.cli import main


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--experiment", "cifar"], "unknown experiment 'cifar'"),
        (["--scale", "huge"], "unknown scale 'huge'"),
        (["--rules", "nadam", "lion"], "unknown rule 'lion'"),
        (["--rules", "adagrad"], "unknown rule 'adagrad' for the paper's experiments"),
        (["--seeds", "0"], "seeds=0; expected an integer from 1 to 1000"),
        (["--seeds", "1001"], "seeds=1001; expected an integer from 1 to 1000 (seed 1000 tunes η)"),
        (["--set", "lr=1"], "unknown setting"),
        (["--set", "eps"], "expected NAME=VALUE"),
        (["--seeds", "3", "--first-seed", "998"], "first_seed=998 with seeds=3"),
        (["--plan", "no-such-plan.json"], "no-such-plan.json"),
    ],
)
def test_bad_request_is_refused(argv, message, tmp_path, capsys):
    assert main(["reproduce", "--out", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert os.listdir(tmp_path) == []  # nothing written


def test_unwritable_output_dir_is_refused(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert main(["reproduce", "--experiment", "mnist", "--out", str(blocker / "out")]) == 2
    assert f"cannot write to --out {str(blocker / 'out')!r}" in capsys.readouterr().err


def test_checkpoint_of_another_config_is_refused_at_the_cli(linreg, tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["reproduce", "--experiment", "linreg", "--rules", "adam", "--out", out, "--quiet"]) == 0
    assert (
        main(
            [
                "reproduce",
                "--experiment",
                "linreg",
                "--scale",
                "class",
                "--rules",
                "adam",
                "--out",
                out,
                "--quiet",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "written by another configuration" in err and "scale: 'smoke' (checkpoint) vs 'class'" in err
