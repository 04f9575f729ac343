"""The strikebench command's front door: help, version, typos, Hydra's own flags, progress lines."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from strikebench.app import progress, usage
from strikebench.app.cli import main
from strikebench.config.paths import CONF_DIR
from strikebench.errors import ConfigError

COMMANDS = ("run", "plan", "status", "summary", "report", "leaderboard", "analyse", "export", "data")
HEAVY = ("torch", "lightning", "recbole")


def strikebench(*args, cwd):
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "strikebench", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def imported(stderr: str) -> set[str]:
    """The top-level packages a ``python -X importtime`` run imported."""
    return {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in stderr.splitlines()
            if line.startswith("import time:")}


def test_help_names_strikebench_and_every_command_with_one_line(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: strikebench")
    assert "powered by Hydra" not in out and "`" not in out
    listed = {line.split()[0]: line for line in out.split("commands:\n")[1].split("\n\n")[0].splitlines()}
    assert set(listed) >= set(COMMANDS)
    assert all(len(line.split()) > 3 for line in listed.values())  # each command and what it does
    assert "--hydra-help" in out and "run --help" in out


def test_help_and_version_import_neither_torch_nor_lightning_nor_recbole(tmp_path):
    for args in (["--help"], ["--version"]):
        run = strikebench(*args, cwd=tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        assert not imported(run.stderr) & set(HEAVY), args


@pytest.mark.slow
def test_plan_and_status_start_without_torch(tmp_path):
    (tmp_path / "r" / "cells").mkdir(parents=True)
    status = strikebench("status", str(tmp_path / "r"), cwd=tmp_path)
    plan = strikebench("plan", "-m", "model=pop,bpr", f"results_dir={tmp_path / 'r'}", cwd=tmp_path)
    for run in (status, plan):
        assert run.returncode == 0, run.stderr[-2000:]
        assert not imported(run.stderr) & set(HEAVY)
    assert "0 done, 0 running, 0 failed, 0 missing" in status.stdout
    assert "2 cells, 0 done, 2 missing" in plan.stdout


def test_version_lists_strikebench_torch_lightning_recbole_and_hydra(capsys):
    assert main(["--version"]) == 0
    lines = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert lines["strikebench"] == metadata.version("strikebench")
    assert lines["torch"] == metadata.version("torch")
    assert lines["Lightning"] == metadata.version("lightning")
    assert lines["RecBole"] == metadata.version("recbole") == "1.2.1"
    assert lines["Hydra"] == metadata.version("hydra-core")


@pytest.mark.parametrize("argv, message", [
    (["reprot"], "unknown command 'reprot'; did you mean 'report'?"),
    (["leaderbord", "results"], "unknown command 'leaderbord'; did you mean 'leaderboard'?"),
    (["-m", "stauts"], "unknown command 'stauts'; did you mean 'status'?"),
    (["model=pop", "frobnicate"], "unknown command 'frobnicate' (commands: run, plan,"),
])
def test_a_mistyped_command_is_named_with_a_suggestion_and_exit_status_2(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_shell_completion_is_handed_to_hydra(tmp_path):
    install = subprocess.run([sys.executable, "-m", "strikebench", "-sc", "install=bash"], capture_output=True,
                             text=True, cwd=tmp_path, timeout=300)
    assert install.returncode == 0, install.stderr[-2000:]
    assert "hydra_bash_completion()" in install.stdout and "complete -o nospace" in install.stdout
    assert "Could not override" not in install.stderr
    query = subprocess.run([sys.executable, "-m", "strikebench", "-sc", "query=bash"], capture_output=True, text=True,
                           cwd=tmp_path, timeout=300, env={**os.environ, "COMP_LINE": "strikebench mod", "COMP_POINT": "15"})
    assert query.returncode == 0, query.stderr[-2000:]
    assert query.stdout.split() == ["model", "model."]


def test_run_help_is_hydras_page_without_internal_groups(tmp_path):
    run = subprocess.run([sys.executable, "-m", "strikebench", "run", "--help"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert out.startswith("strikebench run [-m] KEY=VALUE")
    groups = dict(line.split(": ", 1) for line in out.split("== Config groups: GROUP=OPTION ==\n")[1]
                  .split("\n\n")[0].splitlines())
    assert set(groups) == set(usage.USER_GROUPS)
    assert "bpr" in groups["model"].split(", ") and "poison" in groups["strike/lever"].split(", ")
    assert "per_trainer" not in out and "analysis:" not in out and "hydra/sweeper" not in out
    assert "seed: 0" in out  # the config itself follows


def test_the_help_page_group_lists_cover_every_config_group():
    found = {str(path.parent.relative_to(CONF_DIR)) for path in Path(CONF_DIR).rglob("*.yaml")} - {"."}
    internal = {g for g in found if any(g == i or g.startswith(i + "/") for i in usage.INTERNAL_GROUPS)}
    assert found - internal == set(usage.USER_GROUPS)


def test_plan_help_shows_the_multirun_flag(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["plan", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "-m, --multirun" in out and "KEY=VALUE" in out


@pytest.mark.parametrize("command", [["report"], ["leaderboard"], ["leaderboard", "verify"], ["summary"], ["status"],
                                     ["analyse"], ["export"], ["data"], ["data", "fetch"], ["plan"]])
def test_command_help_has_no_rest_backticks(capsys, command):
    try:
        code = main([*command, "--help"])
    except SystemExit as exit_:  # argparse's --help exits; `data` returns its status instead
        code = exit_.code
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: strikebench {' '.join(command)}") and "`" not in out


def test_progress_line_with_fixed_numbers():
    line = progress.progress_line(3, 40, "BPR strike p=0.1 seed=2", 12.0, 240.0, 1320.0)
    assert line == "[3/40] BPR strike p=0.1 seed=2  done in 12 s · elapsed 4 min · ETA 22 min"
    assert progress.progress_line(7, None, "Pop strike p=0 seed=0", 0.42) == "[7/?] Pop strike p=0 seed=0  done in 0.4 s"
    assert [progress.duration(s) for s in (0.04, 9.94, 89, 91, 5399, 5401)] == \
        ["0.0 s", "9.9 s", "89 s", "2 min", "90 min", "1.5 h"]


def test_sweep_clock_eta_is_the_mean_cell_time_times_the_cells_left():
    clock = progress.SweepClock(cells=4, to_run=3, started=100.0)
    assert clock.finished(1, "Pop strike p=0 seed=0", None, now=100.5) == "[1/4] Pop strike p=0 seed=0  reused · elapsed 0.5 s"
    assert clock.finished(2, "Pop strike p=0 seed=1", 10.0, now=111.0) == \
        "[2/4] Pop strike p=0 seed=1  done in 10 s · elapsed 11 s · ETA 20 s"  # 10 s x 2 cells left
    assert clock.finished(3, "Pop strike p=0 seed=2", 20.0, now=131.0).endswith("elapsed 31 s · ETA 15 s")


def test_cells_of_another_process_say_what_they_know(monkeypatch):
    progress.single_cell()
    monkeypatch.setenv(progress.SWEEP_SIZE_ENV, "12")
    assert progress.cell_finished(5, "Pop strike p=0 seed=4", 2.0) == "[5/12] Pop strike p=0 seed=4  done in 2.0 s"


def test_the_check_prints_progress_lines_in_a_log(monkeypatch):
    monkeypatch.setattr(progress, "CHECK_LINE_EVERY_S", 0.0)
    log = io.StringIO()
    assert list(progress.checking(["a", "b", "c"], stream=log)) == ["a", "b", "c"]
    lines = log.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == ["strikebench: checked 1/3 cells", "strikebench: checked 2/3 cells"]


@pytest.mark.parametrize("value, terminal, shown", [("auto", True, True), ("auto", False, False),
                                                    (True, False, True), (False, True, False)])
def test_progress_bar_only_on_a_terminal_unless_asked(monkeypatch, value, terminal, shown):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)
    assert progress.progress_mode(OmegaConf.create({"trainer": {"progress_bar": value}})) is shown


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_bad_progress_bar_value_names_the_field(value):
    with pytest.raises(ConfigError, match="trainer.progress_bar.*auto, true, false"):
        progress.progress_mode(OmegaConf.create({"trainer": {"progress_bar": value}}))


def test_a_cell_that_fails_while_running_is_recorded_for_status(tmp_path, monkeypatch, capsys):
    from strikebench.app import cell
    from strikebench.errors import DataError

    def broken(cfg, log=print, tracking=None):
        raise DataError("the company's data went missing")

    monkeypatch.setattr(cell, "run_cell", broken)
    monkeypatch.chdir(tmp_path)
    results = tmp_path / "r"
    with pytest.raises(SystemExit) as exit_:
        main(["model=pop", "strike.participation=0.1", f"results_dir={results}"])
    assert exit_.value.code == 2
    assert "the company's data went missing" in capsys.readouterr().err
    assert main(["status", str(results)]) == 0
    out = capsys.readouterr().out
    assert "0 done, 0 running, 1 failed" in out
    assert f"model=pop strike.participation=0.1 results_dir={results}" in out and "went missing" in out
