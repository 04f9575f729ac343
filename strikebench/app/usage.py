"""The front door's words: the help page, ``--version``, and what a mistyped command gets.

Nothing here imports torch, Lightning, RecBole or Hydra: ``strikebench --help`` and
``--version`` answer at once.
"""
from __future__ import annotations

import difflib
import importlib.util
import platform
from importlib import metadata

# The commands, in the help page's order: name -> (module, function, one line).
COMMANDS = {
    "run": ("strikebench.app.cli", "run_main",
            "run one cell, or a sweep with -m (KEY=VALUE overrides; the default command)"),
    "plan": ("strikebench.app.plan", "plan_main", "a sweep's cells: done, missing, and the time left"),
    "group": ("strikebench.app.group_command", "main",
              "train several cells (overrides separated by --) K at a time with trainer.stack=K; a Slurm array line"),
    "status": ("strikebench.app.plan", "status_main", "cells done, failed and missing in a results directory"),
    "summary": ("strikebench.reporting.sweep_summary", "main", "table and plot of every record in a results directory"),
    "report": ("strikebench.reporting.report", "main", "Markdown and HTML report of a results directory"),
    "leaderboard": ("strikebench.app.cli", "leaderboard_main",
                    "models ranked by robustness; leaderboard verify MANIFEST --cells K re-runs published cells"),
    "analyse": ("strikebench.app.analyse", "main", "the measures of a results table: loss share, thresholds, back in time, DLP"),
    "export": ("strikebench.app.export", "main", "a cell's company view as RecBole atomic files"),
    "data": ("strikebench.datasets.fetch", "main", "list and fetch the datasets strikebench knows"),
    "wandb-sync": ("strikebench.app.wandb_sync", "main", "a W&B run for each finished cell that has none (offline or failed runs)"),
}
# Versions --version reports: distribution name -> label.
PACKAGES = {"strikebench": "strikebench", "torch": "torch", "lightning": "Lightning", "recbole": "RecBole",
            "hydra-core": "Hydra"}


OPTIONAL = ("analyse",)  # listed only where their module is part of this build


def available_commands() -> dict[str, tuple[str, str, str]]:
    return {name: entry for name, entry in COMMANDS.items()
            if name not in OPTIONAL or importlib.util.find_spec(entry[0]) is not None}


def front_page() -> str:
    commands = available_commands()
    width = max(map(len, commands)) + 2
    listing = "\n".join(f"  {name:<{width}}{line}" for name, (_, _, line) in commands.items())
    return f"""usage: strikebench [COMMAND] [ARGS ...]
       strikebench [run] [-m] KEY=VALUE ...

strikebench: how recommender systems degrade when users strike, withhold, poison or
transfer their data. One cell = one dataset x model x strike x participation x seed.

commands:
{listing}

  Without a command, the arguments are Hydra overrides of a run; without any argument,
  strikebench runs the quick-start sweep (-m experiment=quickstart).

options:
  -h, --help       this page; strikebench COMMAND --help for a command's own
  --version        the versions of strikebench, torch, Lightning, RecBole and Hydra
  --hydra-help     Hydra's flags: -m, --cfg job, --resolve, --info, -sc install=bash, ...
  run --help       the config groups and every key a cell takes

examples:
  strikebench model=bpr strike.participation=0.3               one cell
  strikebench -m model=pop,bpr strike.participation=0,0.1,0.3  a sweep
  strikebench plan -m experiment=data_strikes_random           its cells and the time left
  strikebench report results                                   the report of everything done
"""


def versions() -> str:
    """One line per package, read from the installed metadata (no import of torch)."""
    lines = []
    for dist, label in PACKAGES.items():
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "not installed"
        lines.append(f"{label:<12}{version}")
    lines.append(f"{'Python':<12}{platform.python_version()}")
    return "\n".join(lines)


def unknown_command(word: str) -> str:
    """The message for a bare word that is neither a command nor a KEY=VALUE override."""
    names = list(available_commands())
    close = difflib.get_close_matches(word, names, n=1)
    if close:
        return f"unknown command '{word}'; did you mean '{close[0]}'?"
    return (f"unknown command '{word}' (commands: {', '.join(names)}; "
            f"a config override is KEY=VALUE, e.g. model=bpr)")


# The config groups a user picks from, for ``strikebench run --help``. Hydra's own list would also
# show the internal ones: model/per_trainer/<trainer> (read through each model's defaults),
# analysis (read by report and leaderboard) and hydra/sweeper (strikebench's, set in config.yaml).
# tests/app/test_front_door.py keeps the two lists complete.
USER_GROUPS = ("dataset", "model", "strike", "strike/selector", "strike/lever", "split", "trainer", "logger", "callbacks",
               "experiment", "hydra/launcher")
INTERNAL_GROUPS = ("analysis", "model/per_trainer", "hydra/sweeper", "hydra/job_logging")


def config_groups() -> str:
    """``group: option, option, ...`` per user group (the resolver ``strikebench.config_groups``)."""
    from strikebench.config.paths import config_options

    return "\n".join(f"{group}: {', '.join(config_options(group))}" for group in USER_GROUPS)
