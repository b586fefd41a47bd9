"""tools/reproduction_history: how far runs got, read from their checkpoints; the η history read from git."""

from __future__ import annotations

from nadam_ref.experiments import reproduce
from tools import reproduction_history as history

from .experiments.conftest import linreg  # noqa: F401  (the fixture)


def test_progress_reads_every_run_from_its_checkpoint(linreg, tmp_path):  # noqa: F811
    reproduce.reproduce(["linreg"], "smoke", rules=["adam", "nadam"], seeds=2, first_seed=3, out=str(tmp_path),
                        progress=False, log=lambda *_: None)
    found = history.progress(str(tmp_path))
    assert sorted((r["rule"], r["seed"]) for r in found["runs"]) == [("adam", 3), ("adam", 4), ("nadam", 3),
                                                                      ("nadam", 4)]
    assert all(r["epochs_done"] == r["epochs_planned"] == 3 and r["status"] == "finished" for r in found["runs"])
    assert found["runs_finished"] == 4
    assert "3 of 3" in history.progress_markdown(found)
    assert "no epoch finished" in history.progress_markdown(history.progress(str(tmp_path / "empty")))


def test_every_version_of_learning_rates_is_read_and_each_change_named():
    versions = history.eta_history()
    assert versions and versions[0]["changes"] == []
    for before, after in zip(versions, versions[1:], strict=False):
        for change in after["changes"]:
            assert before["chosen"][change["experiment"]][change["rule"]] == change["old"]
            assert after["chosen"][change["experiment"]][change["rule"]] == change["new"] != change["old"]
